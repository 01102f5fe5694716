/**
 * A token-bucket policer: a datagram passes at once when the bucket holds enough bytes, else it
 * is dropped there and then (no queue). This is a rate cap as an ISP's policer enforces it;
 * {@linkcode BottleneckQueue} is the router that queues instead. The bucket refills at the rate
 * of a {@linkcode RateSchedule}. Pure: the caller passes `nowMs`.
 *
 * @example 8 Mbit/s with a 3000-byte bucket: a burst of three 1000-byte datagrams passes
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { RateSchedule } from "./rate_schedule.ts";
 * import { TokenBucket } from "./token_bucket.ts";
 *
 * const bucket = new TokenBucket(RateSchedule.constant(8000), 3000);
 * assertEquals([0, 0, 0, 0].map((nowMs) => bucket.take(1000, nowMs)), [true, true, true, false]);
 * // 1 ms refills 1000 bytes at 8000 kbit/s.
 * assertEquals(bucket.take(1000, 1), true);
 * ```
 *
 * @module
 */

import type { RateSchedule } from "./rate_schedule.ts";

/** Smallest default bucket, in bytes: two full-size datagrams and a bit always pass. */
const MIN_DEFAULT_BUCKET_BYTES = 3000;

/** The default bucket holds this much time of the rate in force. */
const DEFAULT_BUCKET_MS = 50;

/** Polices a rate; see the module docs. */
export class TokenBucket {
  readonly #schedule: RateSchedule;
  readonly #bucketBytes: number;
  #tokens: number;
  #tokensAtMs: number | null = null;

  /**
   * A full bucket.
   *
   * @param schedule The refill rate over time.
   * @param bucketBytes Bucket depth: how large a burst passes at once. 0 = the default, 50 ms of
   * the rate in force, at least 3000 bytes.
   */
  constructor(schedule: RateSchedule, bucketBytes: number) {
    this.#schedule = schedule;
    this.#bucketBytes = bucketBytes;
    this.#tokens = this.#depthAt(schedule.steps[0].atMs);
  }

  /** Takes `bytes` from the bucket at `nowMs` (non-decreasing) if it holds them. */
  take(bytes: number, nowMs: number): boolean {
    const depth = this.#depthAt(nowMs);
    if (this.#tokensAtMs !== null) {
      const refill = this.#schedule.bitsBetween(this.#tokensAtMs, nowMs) / 8;
      this.#tokens = Math.min(depth, this.#tokens + refill);
    }
    this.#tokensAtMs = Math.max(nowMs, this.#tokensAtMs ?? nowMs);
    if (this.#tokens < bytes) return false;
    this.#tokens -= bytes;
    return true;
  }

  /** The depth at `nowMs`: a default bucket follows the rate, so a slower link bursts less. */
  #depthAt(nowMs: number): number {
    if (this.#bucketBytes > 0) return this.#bucketBytes;
    const bytesPerMs = this.#schedule.rateKbpsAt(nowMs) / 8;
    return Math.max(MIN_DEFAULT_BUCKET_BYTES, bytesPerMs * DEFAULT_BUCKET_MS);
  }
}
