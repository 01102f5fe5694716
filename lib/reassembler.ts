/**
 * Rebuilds JPEG frames from wire-protocol v1 datagrams: a pure state machine fed
 * `(datagram, nowMs)`.
 *
 * Guarantees:
 * - only complete frames come out, byte-for-byte as the sender cut them;
 * - latest wins: a frame older than one already emitted is never emitted;
 * - every dropped datagram and frame is counted by reason;
 * - memory is bounded by {@linkcode ReassemblerOptions.maxBytesInFlight} plus one bit per fragment.
 *
 * @module
 */

import { decodeHeader, fragmentOffset, HEADER_BYTES, PacketType } from "./wire.ts";

/** Limits and timeouts of a {@linkcode Reassembler}. */
export interface ReassemblerOptions {
  /** Most incomplete frames kept at once; the oldest is evicted past it. */
  maxFramesInFlight: number;
  /** Frames announcing more bytes than this are refused. */
  maxFrameBytes: number;
  /** Total bytes of incomplete frames kept at once; the oldest are evicted past it. */
  maxBytesInFlight: number;
  /** An incomplete frame is given up this long after its first fragment arrived. */
  frameTimeoutMs: number;
  /** Another stream may take over after the current one has been silent this long. */
  streamIdleMs: number;
}

/** Defaults: room for a few 4K frames, a frame given up after 250 ms. */
export const DEFAULT_REASSEMBLER_OPTIONS: ReassemblerOptions = {
  maxFramesInFlight: 8,
  maxFrameBytes: 8 * 1024 * 1024,
  maxBytesInFlight: 32 * 1024 * 1024,
  frameTimeoutMs: 250,
  streamIdleMs: 500,
};

/** A frame whose fragments all arrived. */
export interface CompleteFrame {
  /** Stream the frame belongs to. */
  streamId: number;
  /** Sequence number of the frame. */
  frameSeq: number;
  /** Sender's capture time in microseconds since the Unix epoch. */
  captureUs: number;
  /** The JPEG, exactly as the sender read it. */
  bytes: Uint8Array;
  /** Number of datagrams it came in. */
  fragmentCount: number;
  /** `nowMs` of its first fragment. */
  firstFragmentMs: number;
  /** `nowMs` of the fragment that completed it. */
  completeMs: number;
}

/** Reasons a datagram is dropped. */
export const DATAGRAM_DROP_REASONS = [
  "short",
  "magic",
  "version",
  "flags",
  "fields",
  "unknownType",
  "otherStream",
  "stale",
  "duplicate",
  "inconsistent",
  "tooLarge",
] as const;
/** A reason a datagram is dropped. */
export type DatagramDropReason = typeof DATAGRAM_DROP_REASONS[number];

/** Reasons an incomplete frame is given up. */
export const FRAME_DROP_REASONS = ["superseded", "expired", "evicted", "streamSwitch"] as const;
/** A reason an incomplete frame is given up. */
export type FrameDropReason = typeof FRAME_DROP_REASONS[number];

/** Everything a {@linkcode Reassembler} has counted since it was made. */
export interface ReassemblerCounters {
  /** Datagrams pushed. */
  datagramsReceived: number;
  /** Payload bytes of the datagrams pushed, headers included. */
  bytesReceived: number;
  /** Datagrams dropped, by reason. */
  datagramDrops: Record<DatagramDropReason, number>;
  /** Frames emitted. */
  framesComplete: number;
  /** Frames given up incomplete, by reason. */
  frameDrops: Record<FrameDropReason, number>;
  /** Times the reassembler followed a new stream id. */
  streamSwitches: number;
}

interface FrameInFlight {
  seq: number;
  frameBytes: number;
  fragmentCount: number;
  captureUs: number;
  bytes: Uint8Array;
  received: Uint8Array;
  receivedCount: number;
  firstFragmentMs: number;
}

/** True when 32-bit sequence number `a` comes after `b` (RFC 1982 serial arithmetic). */
export function seqIsNewer(a: number, b: number): boolean {
  const distance = (a - b) >>> 0;
  return distance !== 0 && distance < 0x8000_0000;
}

function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

/** Reassembles frames of one stream at a time; see the module docs for its guarantees. */
export class Reassembler {
  readonly #options: ReassemblerOptions;
  readonly #frames = new Map<number, FrameInFlight>();
  #bytesInFlight = 0;
  #streamId: number | null = null;
  #streamLastSeenMs = 0;
  #lastEmittedSeq: number | null = null;
  /** Counters since construction; read them, do not write them. */
  readonly counters: ReassemblerCounters = {
    datagramsReceived: 0,
    bytesReceived: 0,
    datagramDrops: zeroCounts(DATAGRAM_DROP_REASONS),
    framesComplete: 0,
    frameDrops: zeroCounts(FRAME_DROP_REASONS),
    streamSwitches: 0,
  };

  /** @param options Overrides of {@linkcode DEFAULT_REASSEMBLER_OPTIONS}. */
  constructor(options: Partial<ReassemblerOptions> = {}) {
    this.#options = { ...DEFAULT_REASSEMBLER_OPTIONS, ...options };
  }

  /** The stream currently followed, or null before the first valid fragment. */
  get streamId(): number | null {
    return this.#streamId;
  }

  /** Bytes held by incomplete frames right now. */
  get bytesInFlight(): number {
    return this.#bytesInFlight;
  }

  /** Number of incomplete frames held right now. */
  get framesInFlight(): number {
    return this.#frames.size;
  }

  /**
   * Feeds one datagram received at `nowMs`; returns the frame it completes, if any.
   * Never throws, whatever the bytes.
   */
  push(datagram: Uint8Array, nowMs: number): CompleteFrame | null {
    const counters = this.counters;
    counters.datagramsReceived++;
    counters.bytesReceived += datagram.length;
    this.expire(nowMs);

    const decoded = decodeHeader(datagram);
    if (!decoded.ok) return this.#drop(decoded.reason);
    const header = decoded.header;
    if (header.type !== PacketType.Fragment) return this.#drop("unknownType");

    if (header.streamId !== this.#streamId) {
      const idle = nowMs - this.#streamLastSeenMs >= this.#options.streamIdleMs;
      if (this.#streamId !== null && !idle) return this.#drop("otherStream");
      this.#switchStream(header.streamId);
    }
    this.#streamLastSeenMs = nowMs;

    const seq = header.frameSeq;
    if (this.#lastEmittedSeq !== null && !seqIsNewer(seq, this.#lastEmittedSeq)) {
      return this.#drop("stale");
    }
    let frame = this.#frames.get(seq);
    if (frame === undefined) {
      if (header.frameBytes > this.#options.maxFrameBytes) return this.#drop("tooLarge");
      if (!this.#makeRoomFor(seq, header.frameBytes)) return this.#drop("stale");
      frame = {
        seq,
        frameBytes: header.frameBytes,
        fragmentCount: header.fragmentCount,
        captureUs: header.captureUs,
        bytes: new Uint8Array(header.frameBytes),
        received: new Uint8Array(header.fragmentCount),
        receivedCount: 0,
        firstFragmentMs: nowMs,
      };
      this.#frames.set(seq, frame);
      this.#bytesInFlight += header.frameBytes;
    } else if (
      frame.frameBytes !== header.frameBytes || frame.fragmentCount !== header.fragmentCount ||
      frame.captureUs !== header.captureUs
    ) {
      return this.#drop("inconsistent");
    }

    const index = header.fragmentIndex;
    if (frame.received[index] === 1) return this.#drop("duplicate");
    // decodeHeader has checked that the payload length matches this index exactly.
    frame.bytes.set(
      datagram.subarray(HEADER_BYTES),
      fragmentOffset(frame.frameBytes, frame.fragmentCount, index),
    );
    frame.received[index] = 1;
    frame.receivedCount++;
    if (frame.receivedCount < frame.fragmentCount) return null;
    return this.#complete(frame, nowMs);
  }

  /** Gives up incomplete frames older than the frame timeout. Call it when idle, too. */
  expire(nowMs: number): void {
    for (const frame of this.#frames.values()) {
      if (nowMs - frame.firstFragmentMs >= this.#options.frameTimeoutMs) {
        this.#discard(frame, "expired");
      }
    }
  }

  #complete(frame: FrameInFlight, nowMs: number): CompleteFrame {
    this.#frames.delete(frame.seq);
    this.#bytesInFlight -= frame.frameBytes;
    this.#lastEmittedSeq = frame.seq;
    for (const other of this.#frames.values()) {
      if (!seqIsNewer(other.seq, frame.seq)) this.#discard(other, "superseded");
    }
    this.counters.framesComplete++;
    return {
      streamId: this.#streamId!,
      frameSeq: frame.seq,
      captureUs: frame.captureUs,
      bytes: frame.bytes,
      fragmentCount: frame.fragmentCount,
      firstFragmentMs: frame.firstFragmentMs,
      completeMs: nowMs,
    };
  }

  /** Evicts older frames until a new one fits; false when the new one is the oldest of all. */
  #makeRoomFor(seq: number, frameBytes: number): boolean {
    const { maxFramesInFlight, maxBytesInFlight } = this.#options;
    while (
      this.#frames.size >= maxFramesInFlight ||
      this.#bytesInFlight + frameBytes > maxBytesInFlight
    ) {
      let oldest: FrameInFlight | null = null;
      for (const frame of this.#frames.values()) {
        if (oldest === null || seqIsNewer(oldest.seq, frame.seq)) oldest = frame;
      }
      if (oldest === null || seqIsNewer(oldest.seq, seq)) return false;
      this.#discard(oldest, "evicted");
    }
    return true;
  }

  #switchStream(streamId: number): void {
    if (this.#streamId !== null) this.counters.streamSwitches++;
    for (const frame of this.#frames.values()) this.#discard(frame, "streamSwitch");
    this.#streamId = streamId;
    this.#lastEmittedSeq = null;
  }

  #discard(frame: FrameInFlight, reason: FrameDropReason): void {
    this.#frames.delete(frame.seq);
    this.#bytesInFlight -= frame.frameBytes;
    this.counters.frameDrops[reason]++;
  }

  #drop(reason: DatagramDropReason): null {
    this.counters.datagramDrops[reason]++;
    return null;
  }
}
