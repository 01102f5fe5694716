/**
 * Where the receiver's replies (NACKs, receiver reports) go, and how many: to the followed
 * stream's established source only, within a rate. Pure: sources and `nowMs` in, an address and
 * yes/no out.
 *
 * Before this, replies went to whoever sent the last datagram of the followed stream, so without
 * `--key` anyone who knew the stream id could have the receiver send NACKs to them, or to a
 * victim whose address they forged: 1,000 forged 31-byte datagrams brought back 1,973 NACKs
 * (issue #19, finding 9). Now:
 *
 * - The source is established by the first datagram of a followed stream, and again when the
 *   receiver follows another stream (the datagram that switched it names the new source).
 * - Another address sending datagrams of the same stream takes the source over only once the
 *   established one has been silent for `idleMs` (a sender that moved, behind a NAT that remapped
 *   it): a live sender keeps its replies. Such datagrams are counted.
 * - Replies are rate-limited by a token bucket (`perSecond`, `burst`), so whatever forged
 *   datagrams make the receiver ask, the source hears at most that many replies; the ones held
 *   back are counted.
 *
 * @module
 */

/** An address replies can be sent to (a Deno.NetAddr fits). */
export interface ReplyAddress {
  /** The address. */
  hostname: string;
  /** The port. */
  port: number;
}

/** The rules of a {@linkcode ReplyTarget}. */
export interface ReplyTargetOptions {
  /** Another address may take over once the established source has been silent this long. */
  idleMs: number;
  /** Replies per second, sustained. */
  perSecond: number;
  /** Replies that may go at once after a quiet spell. */
  burst: number;
}

/**
 * Defaults: 2 s of silence before another address takes over (as tools/relay.ts), at most 200
 * replies a second with bursts of 50: a stream at 60 fps asking 3 times for every frame stays
 * under it, and reports add 10 a second at most.
 */
export const DEFAULT_REPLY_TARGET_OPTIONS: ReplyTargetOptions = {
  idleMs: 2000,
  perSecond: 200,
  burst: 50,
};

/** What a {@linkcode ReplyTarget} decided. */
export interface ReplyTargetCounters {
  /** Times the source was established or changed (first stream, another stream, a takeover). */
  sourceChanges: number;
  /** Datagrams of the followed stream from an address other than its source (not followed). */
  fromOtherSources: number;
  /** Replies held back by the rate limit. */
  repliesLimited: number;
}

function sameAddress(a: ReplyAddress, b: ReplyAddress): boolean {
  return a.port === b.port &&
    a.hostname.replace(/^::ffff:/i, "").toLowerCase() ===
      b.hostname.replace(/^::ffff:/i, "").toLowerCase();
}

/**
 * The followed stream's source and the reply budget; see the module docs.
 *
 * @example A forger on another address does not become the source
 * ```ts
 * import { ReplyTarget } from "./reply_target.ts";
 *
 * const target = new ReplyTarget();
 * const sender = { hostname: "10.0.0.2", port: 40000 };
 * target.observe(sender, 7, 0);
 * target.observe({ hostname: "10.0.0.9", port: 40000 }, 7, 10); // same stream, another address
 * console.log(target.address?.hostname, target.counters.fromOtherSources); // 10.0.0.2 1
 * console.log(target.take(10)); // true: within the rate
 * ```
 */
export class ReplyTarget<A extends ReplyAddress = ReplyAddress> {
  readonly #options: ReplyTargetOptions;
  #source: A | null = null;
  #streamId: number | null = null;
  #sourceSeenMs = 0;
  #tokens: number;
  #tokensAtMs: number | null = null;
  /** Counters since construction. */
  readonly counters: ReplyTargetCounters = {
    sourceChanges: 0,
    fromOtherSources: 0,
    repliesLimited: 0,
  };

  /**
   * No source yet, a full bucket.
   *
   * @param options Overrides of {@linkcode DEFAULT_REPLY_TARGET_OPTIONS}.
   */
  constructor(options: Partial<ReplyTargetOptions> = {}) {
    this.#options = { ...DEFAULT_REPLY_TARGET_OPTIONS, ...options };
    this.#tokens = this.#options.burst;
  }

  /** Where replies go, or null before the first datagram of a followed stream. */
  get address(): A | null {
    return this.#source;
  }

  /**
   * Notes a datagram of the followed stream `streamId` (null: the wire has no stream ids) from
   * `from` at `nowMs`.
   */
  observe(from: A, streamId: number | null, nowMs: number): void {
    const source = this.#source;
    if (source === null || streamId !== this.#streamId) {
      this.#establish(from, streamId, nowMs);
      return;
    }
    if (sameAddress(source, from)) {
      this.#sourceSeenMs = nowMs;
      return;
    }
    if (nowMs - this.#sourceSeenMs > this.#options.idleMs) {
      this.#establish(from, streamId, nowMs);
      return;
    }
    this.counters.fromOtherSources++;
  }

  /** True when one more reply may go at `nowMs` (it is then counted against the rate). */
  take(nowMs: number): boolean {
    const { perSecond, burst } = this.#options;
    if (this.#tokensAtMs !== null) {
      const elapsedMs = Math.max(0, nowMs - this.#tokensAtMs);
      this.#tokens = Math.min(burst, this.#tokens + (elapsedMs * perSecond) / 1000);
    }
    this.#tokensAtMs = Math.max(nowMs, this.#tokensAtMs ?? nowMs);
    if (this.#tokens < 1) {
      this.counters.repliesLimited++;
      return false;
    }
    this.#tokens -= 1;
    return true;
  }

  #establish(from: A, streamId: number | null, nowMs: number): void {
    this.#source = from;
    this.#streamId = streamId;
    this.#sourceSeenMs = nowMs;
    this.counters.sourceChanges++;
  }
}
