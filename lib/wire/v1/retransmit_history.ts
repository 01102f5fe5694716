/**
 * Sender side of retransmission on request: a bounded history of recent frames' data fragments,
 * and the policy answering NACKs from it. Pure: datagrams and `nowMs` in, datagrams to send out.
 *
 * Amplification is capped whatever the requests: retransmitted bytes come out of a token bucket
 * filled only by the stream's own traffic (`rateShare` of every byte recorded, at most
 * `burstBytes` banked), so over any interval retransmissions stay within `rateShare` of what the
 * stream sent plus `burstBytes`; each frame is answered at most `maxRequestsPerFrame` times. A NACK
 * can only name fragments of frames still in the history, of this stream, in range.
 *
 * The bucket and the per-frame quota are kept per requester (the destination a NACK came from,
 * each of which received the whole stream), so the NACKs of one destination, forged or real,
 * never spend what another destination's recovery needs (issue #19, finding 5). See
 * docs/protocol.md, "Retransmission on request".
 *
 * @module
 */

import { decodeHeader, Flags, PacketType } from "./header.ts";
import { decodeNack } from "./nack.ts";

/** Limits of a {@linkcode RetransmitHistory}. */
export interface RetransmitHistoryOptions {
  /** Most bytes of datagrams kept; the oldest frames go first. */
  maxBytes: number;
  /** Frames older than this are forgotten: a retransmission would come too late anyway. */
  maxAgeMs: number;
  /** Share of the stream's own bytes that may be spent on retransmissions (0..1). */
  rateShare: number;
  /** Most retransmission bytes banked while nothing is asked. */
  burstBytes: number;
  /** Most NACKs answered per frame and requester, 0..255. */
  maxRequestsPerFrame: number;
  /**
   * How many requesters (destinations) ask, numbered 0..n-1: each has its own bucket and per-frame
   * quota. At most {@linkcode MAX_REQUESTERS}.
   */
  requesters: number;
}

/** Most requesters a history keeps budgets for. */
export const MAX_REQUESTERS = 256;

/** Defaults: 8 MB and 300 ms of history, retransmissions within 50 % of the stream's rate. */
export const DEFAULT_RETRANSMIT_HISTORY_OPTIONS: RetransmitHistoryOptions = {
  maxBytes: 8 * 1024 * 1024,
  maxAgeMs: 300,
  rateShare: 0.5,
  burstBytes: 256 * 1024,
  maxRequestsPerFrame: 4,
  requesters: 1,
};

/** What a {@linkcode RetransmitHistory} has done. */
export interface RetransmitCounters {
  /** Datagrams given to `answer`. */
  nacksReceived: number;
  /**
   * NACKs refused: malformed, another stream, a frame not (or no longer) in the history, or from
   * a source that is none of the requesters.
   */
  nacksInvalid: number;
  /** Datagrams returned for sending again. */
  datagramsRetransmitted: number;
  /** Bytes of those datagrams. */
  bytesRetransmitted: number;
  /** Requested datagrams not sent because of the rate or per-frame cap. */
  retransmitCapped: number;
}

interface StoredFrame {
  seq: number;
  recordedMs: number;
  /** Data fragments, index order. */
  fragments: Uint8Array[];
  bytes: number;
  /** NACKs answered, per requester. */
  requests: Uint8Array;
}

/** Recent frames' fragments and the NACK policy; see the module docs. */
export class RetransmitHistory {
  readonly #streamId: number;
  readonly #options: RetransmitHistoryOptions;
  /** Oldest first. */
  readonly #frames: StoredFrame[] = [];
  readonly #bySeq = new Map<number, StoredFrame>();
  #bytes = 0;
  /** Retransmission bytes each requester may still spend. */
  readonly #tokens: Float64Array;
  /** Counters since construction. */
  readonly counters: RetransmitCounters = {
    nacksReceived: 0,
    nacksInvalid: 0,
    datagramsRetransmitted: 0,
    bytesRetransmitted: 0,
    retransmitCapped: 0,
  };

  /**
   * Makes an empty history.
   *
   * @param streamId The stream id this sender puts in its datagrams.
   * @param options Overrides of {@linkcode DEFAULT_RETRANSMIT_HISTORY_OPTIONS}.
   */
  constructor(streamId: number, options: Partial<RetransmitHistoryOptions> = {}) {
    this.#streamId = streamId >>> 0;
    this.#options = { ...DEFAULT_RETRANSMIT_HISTORY_OPTIONS, ...options };
    const { requesters } = this.#options;
    if (!Number.isInteger(requesters) || requesters < 1 || requesters > MAX_REQUESTERS) {
      throw new RangeError(
        `Cannot keep retransmission budgets for ${requesters} requesters: give 1..${MAX_REQUESTERS}.`,
      );
    }
    const perFrame = this.#options.maxRequestsPerFrame;
    if (!Number.isInteger(perFrame) || perFrame < 0 || perFrame > 255) {
      throw new RangeError(
        `Cannot answer ${perFrame} NACKs per frame: give a whole number in 0..255.`,
      );
    }
    this.#tokens = new Float64Array(requesters);
  }

  /** Bytes of datagrams held right now. */
  get bytesHeld(): number {
    return this.#bytes;
  }

  /** Frames held right now. */
  get framesHeld(): number {
    return this.#frames.length;
  }

  /**
   * Records the datagrams of one frame as sent at `nowMs` (data fragments are kept, parity is
   * not; all of them feed the retransmission budget). Ignores anything that is not one frame of
   * this stream.
   */
  record(datagrams: readonly Uint8Array[], nowMs: number): void {
    const sent = datagrams.reduce((sum, d) => sum + d.length, 0);
    const { rateShare, burstBytes, maxBytes, requesters } = this.#options;
    // Every requester received the whole frame: each one's budget grows by it.
    for (let r = 0; r < requesters; r++) {
      this.#tokens[r] = Math.min(burstBytes, this.#tokens[r] + rateShare * sent);
    }
    const first = datagrams.length > 0 ? decodeHeader(datagrams[0]) : null;
    if (first === null || !first.ok || first.header.streamId !== this.#streamId) return;
    const { frameSeq, fragmentCount } = first.header;
    const fragments = datagrams.slice(0, fragmentCount);
    if (fragments.length !== fragmentCount) return;
    const bytes = fragments.reduce((sum, d) => sum + d.length, 0);
    if (bytes > maxBytes) return;
    this.#forget(this.#bySeq.get(frameSeq));
    const frame: StoredFrame = {
      seq: frameSeq,
      recordedMs: nowMs,
      fragments,
      bytes,
      requests: new Uint8Array(requesters),
    };
    this.#frames.push(frame);
    this.#bySeq.set(frameSeq, frame);
    this.#bytes += bytes;
    this.#expire(nowMs);
  }

  /**
   * Answers `datagram`, a NACK received at `nowMs` from `requester` (the destination it came
   * from, 0..requesters-1): returns the datagrams to send again (copies with the retransmission
   * flag set), or none when the request is invalid or capped. What is sent comes out of that
   * requester's budget only.
   */
  answer(datagram: Uint8Array, nowMs: number, requester = 0): Uint8Array[] {
    const counters = this.counters;
    counters.nacksReceived++;
    this.#expire(nowMs);
    if (!Number.isInteger(requester) || requester < 0 || requester >= this.#tokens.length) {
      return this.#invalid();
    }
    const decoded = decodeNack(datagram);
    if (!decoded.ok) return this.#invalid();
    const nack = decoded.nack;
    const frame = this.#bySeq.get(nack.frameSeq);
    if (
      nack.streamId !== this.#streamId || frame === undefined ||
      frame.fragments.length !== nack.fragmentCount
    ) {
      return this.#invalid();
    }
    const requested = nack.ranges.reduce((sum, range) => sum + range.count, 0);
    if (frame.requests[requester] >= this.#options.maxRequestsPerFrame) {
      counters.retransmitCapped += requested;
      return [];
    }
    frame.requests[requester]++;
    const out: Uint8Array[] = [];
    for (const { first, count } of nack.ranges) {
      for (let index = first; index < first + count; index++) {
        const original = frame.fragments[index];
        if (original.length > this.#tokens[requester]) {
          counters.retransmitCapped++;
          continue;
        }
        this.#tokens[requester] -= original.length;
        const copy = original.slice();
        copy[4] |= Flags.Retransmission;
        out.push(copy);
        counters.datagramsRetransmitted++;
        counters.bytesRetransmitted += copy.length;
      }
    }
    return out;
  }

  /** Counts a NACK refused because it came from an address that is not one of our destinations. */
  refuseUnknownSource(): void {
    this.counters.nacksReceived++;
    this.counters.nacksInvalid++;
  }

  /** True when `datagram` looks like a NACK (worth passing to `answer`). */
  static isNack(datagram: Uint8Array): boolean {
    return datagram.length >= 4 && datagram[3] === PacketType.Nack;
  }

  #invalid(): Uint8Array[] {
    this.counters.nacksInvalid++;
    return [];
  }

  #expire(nowMs: number): void {
    const { maxAgeMs, maxBytes } = this.#options;
    while (
      this.#frames.length > 0 &&
      (this.#bytes > maxBytes || nowMs - this.#frames[0].recordedMs > maxAgeMs)
    ) {
      this.#forget(this.#frames[0]);
    }
  }

  #forget(frame: StoredFrame | undefined): void {
    if (frame === undefined) return;
    const at = this.#frames.indexOf(frame);
    if (at >= 0) this.#frames.splice(at, 1);
    this.#bySeq.delete(frame.seq);
    this.#bytes -= frame.bytes;
  }
}
