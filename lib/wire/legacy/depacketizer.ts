/**
 * Legacy wire mode: the datagram format of the widely copied Python/OpenCV webcam-over-UDP
 * design, so udpcam can talk to its senders and receivers.
 *
 * ```text
 *  0               1
 *  0 1 2 3 4 5 6 7 0 1 2 3 ...
 * +---------------+------------------------------------------+
 * |  segments     |  up to 65472 bytes of the frame's JPEG   |
 * |  left (1..255)|                                          |
 * +---------------+------------------------------------------+
 * ```
 *
 * The first byte counts the segments still to come including this one, so the last segment of a
 * frame carries 1. There is no frame id, no length and no checksum. Every segment but the last
 * is full (65472 bytes in the original, which assumes 64 KiB datagrams; macOS refuses UDP
 * datagrams above 9216 bytes by default, so use a smaller `maxDatagramBytes` there).
 *
 * @module
 */

import type { DepacketizerCounters, FrameDepacketizer, ReceivedFrame } from "../frames/mod.ts";
import { zeroCounts } from "../../stats/mod.ts";

/** Limits and timeouts of a {@linkcode LegacyDepacketizer}. */
export interface LegacyDepacketizerOptions {
  /** Frames longer than this are dropped as they grow. */
  maxFrameBytes: number;
  /** An incomplete frame is given up this long after its first segment arrived. */
  frameTimeoutMs: number;
}

/** Defaults: the format's own ceiling (255 full segments) is larger; 8 MiB is plenty for JPEG. */
export const DEFAULT_LEGACY_DEPACKETIZER_OPTIONS: LegacyDepacketizerOptions = {
  maxFrameBytes: 8 * 1024 * 1024,
  frameTimeoutMs: 250,
};

/** Reasons a datagram is dropped on its own. */
export const LEGACY_DATAGRAM_DROP_REASONS = ["empty", "zeroCount", "unsynced"] as const;

/** A reason a datagram is dropped. */
export type LegacyDatagramDropReason = typeof LEGACY_DATAGRAM_DROP_REASONS[number];

/** Reasons a frame in progress is given up. */
export const LEGACY_FRAME_DROP_REASONS = [
  "discontinuity",
  "segmentSize",
  "noEoi",
  "tooLarge",
  "expired",
] as const;

/** A reason a frame is given up. */
export type LegacyFrameDropReason = typeof LEGACY_FRAME_DROP_REASONS[number];

/** Everything a {@linkcode LegacyDepacketizer} has counted. */
export interface LegacyDepacketizerCounters extends DepacketizerCounters {
  /** Datagrams dropped on their own, by reason. */
  datagramDrops: Record<LegacyDatagramDropReason, number>;
  /** Frames given up, by reason. */
  frameDrops: Record<LegacyFrameDropReason, number>;
}

/**
 * Rebuilds frames from legacy datagrams and, unlike the original receiver, refuses to emit
 * truncated frames and most spliced ones:
 * - a frame starts only with a segment whose payload begins with a JPEG SOI, and a segment that
 *   begins with SOI is never taken as a continuation;
 * - each further segment must carry exactly the previous count minus one, and every segment
 *   but the last must be as long as the first (the sender fills them all);
 * - the assembled frame must end with EOI.
 *
 * A datagram that breaks the sequence drops the frame in progress and is then considered as the
 * start of a new frame. With in-order delivery, splicing two frames takes a burst of lost
 * datagrams at least as long as the second frame's segment count. The format has no frame id, so
 * a burst like that, or reordering (`X2 X1 Y2 Y1` arriving as `X1 X2 Y1 Y2`), can still glue
 * segments of two frames into one that passes every check; docs/protocol.md says so.
 *
 * @example The original format: the count byte says how many segments are left
 * ```ts
 * import { LegacyDepacketizer } from "./depacketizer.ts";
 * import { LegacyPacketizer } from "./packetizer.ts";
 *
 * const frame = new Uint8Array(2500);
 * frame.set([0xff, 0xd8]); // SOI: a frame starts like a JPEG, which is how a receiver syncs
 * frame.set([0xff, 0xd9], 2498); // EOI: and ends like one, or it is not emitted
 * const datagrams = new LegacyPacketizer(1000).packetize(frame, 0);
 * if (datagrams.map((d) => d[0]).join() !== "3,2,1") throw new Error("segments left");
 * const depacketizer = new LegacyDepacketizer();
 * let out = null;
 * for (const datagram of datagrams) out = depacketizer.push(datagram, 0) ?? out;
 * if (out?.bytes.length !== 2500) throw new Error("no frame");
 * ```
 */
export class LegacyDepacketizer implements FrameDepacketizer {
  readonly #options: LegacyDepacketizerOptions;
  #segments: Uint8Array[] = [];
  #bytes = 0;
  #expectedCount = 0;
  #firstSegmentMs = 0;
  #frameSeq = 0;
  /** Counters since construction; read them, do not write them. */
  readonly counters: LegacyDepacketizerCounters = {
    datagramsReceived: 0,
    bytesReceived: 0,
    datagramDrops: zeroCounts(LEGACY_DATAGRAM_DROP_REASONS),
    framesComplete: 0,
    frameDrops: zeroCounts(LEGACY_FRAME_DROP_REASONS),
  };

  /**
   * Makes a depacketizer with no frame in progress.
   *
   * @param options Overrides of {@linkcode DEFAULT_LEGACY_DEPACKETIZER_OPTIONS}.
   */
  constructor(options: Partial<LegacyDepacketizerOptions> = {}) {
    this.#options = { ...DEFAULT_LEGACY_DEPACKETIZER_OPTIONS, ...options };
  }

  /** Payload bytes of the frame in progress. */
  get bytesInFlight(): number {
    return this.#bytes;
  }

  /** Feeds one datagram received at `nowMs`; returns the frame it completes, if any. Never throws. */
  push(datagram: Uint8Array, nowMs: number): ReceivedFrame | null {
    this.counters.datagramsReceived++;
    this.counters.bytesReceived += datagram.length;
    this.expire(nowMs);
    if (datagram.length < 2) return this.#dropDatagram("empty");
    const count = datagram[0];
    if (count === 0) return this.#dropDatagram("zeroCount");
    const payload = datagram.subarray(1);

    const startsFrame = payload.length >= 2 && payload[0] === 0xff && payload[1] === 0xd8;
    if (this.#segments.length > 0) {
      // FF D8 cannot occur in entropy-coded data, so a continuation never starts with it.
      if (count === this.#expectedCount && !startsFrame && this.#fitsFrame(payload)) {
        return this.#append(payload, count, nowMs);
      }
      const sizeOnly = count === this.#expectedCount && !startsFrame;
      this.#dropFrame(sizeOnly ? "segmentSize" : "discontinuity");
    }
    if (!startsFrame) return this.#dropDatagram("unsynced");
    this.#firstSegmentMs = nowMs;
    return this.#append(payload, count, nowMs);
  }

  /** Gives up a frame in progress older than the frame timeout. Call it when idle, too. */
  expire(nowMs: number): void {
    if (
      this.#segments.length > 0 && nowMs - this.#firstSegmentMs >= this.#options.frameTimeoutMs
    ) {
      this.#dropFrame("expired");
    }
  }

  /** True when `payload` may follow the segments held: full ones stay full. */
  #fitsFrame(payload: Uint8Array): boolean {
    const full = this.#segments[0].length;
    const last = this.#segments[this.#segments.length - 1];
    return last.length === full && payload.length <= full;
  }

  #append(payload: Uint8Array, count: number, nowMs: number): ReceivedFrame | null {
    if (this.#bytes + payload.length > this.#options.maxFrameBytes) {
      // Counted as a frame even when it had not started: it is one the sender meant to send.
      this.#segments.push(payload);
      this.#dropFrame("tooLarge");
      return null;
    }
    // Copy: the caller may reuse its receive buffer.
    this.#segments.push(payload.slice());
    this.#bytes += payload.length;
    if (count > 1) {
      this.#expectedCount = count - 1;
      return null;
    }
    const bytes = new Uint8Array(this.#bytes);
    let at = 0;
    for (const segment of this.#segments) {
      bytes.set(segment, at);
      at += segment.length;
    }
    this.#segments = [];
    this.#bytes = 0;
    if (bytes.length < 4 || bytes[bytes.length - 2] !== 0xff || bytes[bytes.length - 1] !== 0xd9) {
      this.counters.frameDrops.noEoi++;
      return null;
    }
    this.counters.framesComplete++;
    const frameSeq = this.#frameSeq;
    this.#frameSeq = (this.#frameSeq + 1) >>> 0;
    return { streamId: 0, frameSeq, captureUs: null, bytes, completeMs: nowMs };
  }

  #dropFrame(reason: LegacyFrameDropReason): void {
    this.#segments = [];
    this.#bytes = 0;
    this.counters.frameDrops[reason]++;
  }

  #dropDatagram(reason: LegacyDatagramDropReason): null {
    this.counters.datagramDrops[reason]++;
    return null;
  }
}
