/**
 * A drop-tail bottleneck queue, as a router's buffer in front of a slower link: datagrams leave
 * one after another at the link rate, wait while the link is busy, and are dropped only when they
 * would wait longer than the queue's limit. So delay grows before loss does, which is what a real
 * congested path shows and what a delay-based congestion controller reacts to.
 *
 * Each datagram is served at `max(nowMs, previous departure)` and leaves once its bits are
 * through at the rate in force ({@linkcode RateSchedule}); it is dropped when it would wait more
 * than `queueMs` for the datagrams ahead, or when `maxDatagrams` are already queued. Memory is one
 * number per queued datagram, at most `maxDatagrams`. Pure: the caller passes `nowMs`.
 *
 * @example A burst at 8 Mbit/s with 2 ms of queue: three 1000-byte datagrams fit, the rest drop
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { type BottleneckCounts, BottleneckQueue, type BottleneckOptions } from "./bottleneck_queue.ts";
 * import { RateSchedule } from "./rate_schedule.ts";
 *
 * const options: BottleneckOptions = {
 *   schedule: RateSchedule.constant(8000),
 *   queueMs: 2,
 *   maxDatagrams: 100,
 * };
 * const queue = new BottleneckQueue(options);
 * // 8000 bits at 8000 kbit/s: 1 ms each, back to back; the fourth would wait 3 ms.
 * const departures = [0, 1, 2, 3].map(() => queue.offer(1000, 0));
 * assertEquals(departures, [1, 2, 3, null]);
 * const counts: BottleneckCounts = queue.counts;
 * assertEquals([counts.enqueued, counts.dropped, counts.waitMaxMs], [3, 1, 2]);
 * assertEquals(queue.queuedAt(1.5), 2);
 * ```
 *
 * @module
 */

import type { RateSchedule } from "./rate_schedule.ts";

/** What a {@linkcode BottleneckQueue} is. */
export interface BottleneckOptions {
  /** The link's rate over time. */
  schedule: RateSchedule;
  /** Longest a datagram may wait behind the ones ahead before it is dropped instead, in ms. */
  queueMs: number;
  /** Most datagrams queued at once (a hard cap on memory); more are dropped. */
  maxDatagrams: number;
}

/** What a {@linkcode BottleneckQueue} did. */
export interface BottleneckCounts {
  /** Datagrams offered. */
  offered: number;
  /** Datagrams taken into the queue (offered - dropped). */
  enqueued: number;
  /** Datagrams dropped at the tail: the queue was full (by time or by count). */
  dropped: number;
  /** Longest wait behind earlier datagrams, in ms (not counting a datagram's own serialization). */
  waitMaxMs: number;
  /** Sum of the waits of the enqueued datagrams, in ms (mean = waitTotalMs / enqueued). */
  waitTotalMs: number;
}

/** A drop-tail queue in front of a link of scheduled rate; see the module docs. */
export class BottleneckQueue {
  readonly #schedule: RateSchedule;
  readonly #queueMs: number;
  /** Departure times of the datagrams still queued, oldest first, as a ring. */
  readonly #departures: Float64Array;
  #head = 0;
  #length = 0;
  /** When the link is free again: the last enqueued datagram's departure. */
  #freeAtMs = -Infinity;
  /** Latest `nowMs` seen: time never runs backwards here, even if the caller's clock did. */
  #nowMs = -Infinity;
  /** Counts since construction; read them, do not write them. */
  readonly counts: BottleneckCounts = {
    offered: 0,
    enqueued: 0,
    dropped: 0,
    waitMaxMs: 0,
    waitTotalMs: 0,
  };

  /**
   * An empty queue in front of an idle link.
   *
   * @throws {RangeError} when `queueMs` is negative or `maxDatagrams` not a whole number ≥ 1.
   */
  constructor(options: BottleneckOptions) {
    if (!(options.queueMs >= 0 && Number.isFinite(options.queueMs))) {
      throw new RangeError(`Cannot queue: queueMs must be ≥ 0, got ${options.queueMs}`);
    }
    if (!Number.isInteger(options.maxDatagrams) || options.maxDatagrams < 1) {
      throw new RangeError(
        `Cannot queue: maxDatagrams must be a whole number ≥ 1, got ${options.maxDatagrams}`,
      );
    }
    this.#schedule = options.schedule;
    this.#queueMs = options.queueMs;
    this.#departures = new Float64Array(options.maxDatagrams);
  }

  /**
   * Offers a datagram of `datagramBytes` arriving at `nowMs`. Returns when its last bit leaves the
   * link, or null when it is dropped at the tail.
   */
  offer(datagramBytes: number, nowMs: number): number | null {
    this.#advance(nowMs);
    this.counts.offered++;
    const startMs = Math.max(this.#nowMs, this.#freeAtMs);
    const waitMs = startMs - this.#nowMs;
    if (waitMs > this.#queueMs || this.#length === this.#departures.length) {
      this.counts.dropped++;
      return null;
    }
    const departureMs = this.#schedule.finishMs(startMs, datagramBytes * 8);
    this.#departures[(this.#head + this.#length) % this.#departures.length] = departureMs;
    this.#length++;
    this.#freeAtMs = departureMs;
    this.counts.enqueued++;
    this.counts.waitTotalMs += waitMs;
    if (waitMs > this.counts.waitMaxMs) this.counts.waitMaxMs = waitMs;
    return departureMs;
  }

  /** Datagrams still in the queue at `nowMs` (waiting, or on the link but not through yet). */
  queuedAt(nowMs: number): number {
    this.#advance(nowMs);
    return this.#length;
  }

  /** How long a datagram arriving at `nowMs` would wait behind the queued ones, in ms. */
  waitMsAt(nowMs: number): number {
    this.#advance(nowMs);
    return Math.max(0, this.#freeAtMs - this.#nowMs);
  }

  /** Moves time to `nowMs` and forgets the datagrams that left by then. */
  #advance(nowMs: number): void {
    if (nowMs > this.#nowMs) this.#nowMs = nowMs;
    while (this.#length > 0 && this.#departures[this.#head] <= this.#nowMs) {
      this.#head = (this.#head + 1) % this.#departures.length;
      this.#length--;
    }
  }
}
