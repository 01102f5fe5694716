/**
 * Rebuilds complete JPEG files from RTP/JPEG (RFC 2435) packets: a pure state machine fed
 * `(datagram, nowMs)`, like the v1 reassembler.
 *
 * Guarantees:
 * - a frame comes out only when its fragments tile the scan data from offset 0 to the end of the
 *   marker packet exactly, with the tables it needs; lost packets mean a dropped, counted frame;
 * - latest wins: a frame whose timestamp is not newer than the last one emitted is never emitted;
 * - one source at a time: the first SSRC is followed until it has been silent for
 *   {@linkcode RtpJpegDepacketizerOptions.ssrcIdleMs}, or only the locked one
 *   ({@linkcode RtpJpegDepacketizerOptions.lockedStreamId}), or a new one at once
 *   ({@linkcode RtpJpegDepacketizerOptions.followNewest}): an SSRC is a stream id;
 * - 16-bit sequence numbers are extended across the wrap; packets further behind the newest one
 *   than {@linkcode RtpJpegDepacketizerOptions.reorderWindowPackets} are dropped as stale;
 * - memory is bounded by the options (bytes held count {@linkcode PIECE_BOOKKEEPING_BYTES} per
 *   fragment beside its data); `push` never throws;
 * - linear work: a frame's fragments are sorted to check they tile only once, when the bytes held
 *   reach the end of the marker packet; then it is emitted, or given up (`overlap`) since more
 *   fragments cannot make it tile. Empty fragments and fragments past the end are dropped.
 *
 * The frame bookkeeping (source followed, latest wins, caps, expiry, eviction) is the frame table
 * every format with frame ids shares (lib/wire/frames/frame_table.ts); this module decodes RTP/JPEG
 * and tiles the scan data.
 *
 * @module
 */

import {
  decodeJpegHeader,
  JPEG_HEADER_BYTES,
  QTABLE_HEADER_BYTES,
  quantTablesForQ,
  RESTART_HEADER_BYTES,
  RTP_JPEG_PAYLOAD_TYPE,
} from "./jpeg_payload.ts";
import { decodeRtp } from "./header.ts";
import {
  type DepacketizerCounters,
  type FrameDepacketizer,
  type FrameEntry,
  FrameTable,
  PIECE_BOOKKEEPING_BYTES,
  type ReceivedFrame,
  seqIsNewer,
} from "../frames/mod.ts";
import { zeroCounts } from "../../stats/mod.ts";
import { buildJpegHeaders, RebuildParams } from "./jpeg_rebuild.ts";

/** Limits and timeouts of an {@linkcode RtpJpegDepacketizer}. */
export interface RtpJpegDepacketizerOptions {
  /** Payload type to accept; others are dropped. */
  payloadType: number;
  /** Frames whose scan data would exceed this are refused. */
  maxFrameBytes: number;
  /** Most incomplete frames kept at once; the oldest is evicted past it. */
  maxFramesInFlight: number;
  /** Total scan bytes of incomplete frames kept at once. */
  maxBytesInFlight: number;
  /** An incomplete frame is given up this long after its first packet arrived. */
  frameTimeoutMs: number;
  /** Another SSRC may take over after the followed one has been silent this long. */
  ssrcIdleMs: number;
  /** Follow only this SSRC; others are dropped as `otherSsrc` (null: the first seen). */
  lockedStreamId: number | null;
  /**
   * Switch at once to an SSRC not seen before (a restarted sender takes over without waiting for
   * `ssrcIdleMs`). SSRCs seen before never take over again while another is active.
   */
  followNewest: boolean;
  /** Packets this many sequence numbers behind the newest are too late to use. */
  reorderWindowPackets: number;
  /**
   * A complete frame more than this many 90 kHz ticks ahead of the last one emitted is held back
   * until the next frame confirms it (dropped as `jump`); packets this far behind, for a while,
   * make the depacketizer resync (lib/wire/frames/frame_table.ts).
   */
  maxTimestampJump: number;
}

/** Defaults: a few frames of reordering, frames given up after 250 ms. */
export const DEFAULT_RTP_JPEG_DEPACKETIZER_OPTIONS: RtpJpegDepacketizerOptions = {
  payloadType: RTP_JPEG_PAYLOAD_TYPE,
  maxFrameBytes: 8 * 1024 * 1024,
  maxFramesInFlight: 4,
  maxBytesInFlight: 32 * 1024 * 1024,
  frameTimeoutMs: 250,
  ssrcIdleMs: 500,
  lockedStreamId: null,
  followNewest: false,
  reorderWindowPackets: 256,
  maxTimestampJump: 90_000 / 2,
};

/** Reasons a packet is dropped. */
export const RTP_DATAGRAM_DROP_REASONS = [
  "short",
  "version",
  "padding",
  "payloadType",
  "otherSsrc",
  "unsupportedType",
  "badQ",
  "dimensions",
  "noTables",
  "stale",
  "duplicate",
  "inconsistent",
  "tooLarge",
] as const;

/** A reason a packet is dropped. */
export type RtpDatagramDropReason = typeof RTP_DATAGRAM_DROP_REASONS[number];

/** Reasons an incomplete frame is given up. */
export const RTP_FRAME_DROP_REASONS = [
  "superseded",
  "expired",
  "evicted",
  "jump",
  "ssrcSwitch",
  "overlap",
] as const;

/** A reason an incomplete frame is given up. */
export type RtpFrameDropReason = typeof RTP_FRAME_DROP_REASONS[number];

/** Everything an {@linkcode RtpJpegDepacketizer} has counted. */
export interface RtpJpegDepacketizerCounters extends DepacketizerCounters {
  /** Packets dropped, by reason. */
  datagramDrops: Record<RtpDatagramDropReason, number>;
  /** Frames given up, by reason. */
  frameDrops: Record<RtpFrameDropReason, number>;
  /** Times the depacketizer followed a new SSRC. */
  ssrcSwitches: number;
  /**
   * Times a frame's fragments were sorted to check that they tile: once per frame whose bytes
   * reached its end, which is then emitted or given up (`overlap`).
   */
  tilingChecks: number;
  /**
   * Times it started over on the SSRC it follows: sequence numbers or timestamps kept coming from
   * far behind (a source that restarted, or a forged packet far ahead).
   */
  resyncs: number;
}

interface QuantTables {
  luma: Uint8Array | Uint16Array;
  chroma: Uint8Array | Uint16Array;
  precision: number;
  dataStart: number;
}

/** The RTP/JPEG state of a frame in flight, kept in the frame table (keyed by timestamp). */
interface FrameInFlight {
  type: number;
  q: number;
  widthBlocks: number;
  heightBlocks: number;
  restartInterval: number;
  params: RebuildParams | null;
  fragments: Map<number, Uint8Array>;
  /** Scan bytes held (the frame's bytes in the table also count bookkeeping). */
  scanBytes: number;
  /** The end of the fragment held that ends furthest. */
  maxEnd: number;
  endOffset: number | null;
}

type Frame = FrameEntry<FrameInFlight>;

/** True when 32-bit RTP timestamp `a` comes after `b`: the same serial arithmetic as frame numbers. */
export const timestampIsNewer: (a: number, b: number) => boolean = seqIsNewer;

// After this many packets in a row fall behind the window, assume the source restarted.
const RESYNC_AFTER_STALE_PACKETS = 16;

/** Rebuilds JPEG frames from RTP/JPEG; see the module docs for its guarantees. */
export class RtpJpegDepacketizer implements FrameDepacketizer {
  readonly #options: RtpJpegDepacketizerOptions;
  readonly #table: FrameTable<FrameInFlight, RtpFrameDropReason>;
  // Tables by Q: computed ones for 1..99, in-band ones for 128..254 (RFC 2435 §4.2).
  readonly #tableCache = new Map<number, Omit<QuantTables, "dataStart">>();
  #highestSequence = 0;
  #staleInARow = 0;
  /** Counters since construction; read them, do not write them. */
  readonly counters: RtpJpegDepacketizerCounters = {
    datagramsReceived: 0,
    bytesReceived: 0,
    datagramDrops: zeroCounts(RTP_DATAGRAM_DROP_REASONS),
    framesComplete: 0,
    frameDrops: zeroCounts(RTP_FRAME_DROP_REASONS),
    ssrcSwitches: 0,
    resyncs: 0,
    tilingChecks: 0,
  };

  /**
   * Makes a depacketizer that follows no source yet.
   *
   * @param options Overrides of {@linkcode DEFAULT_RTP_JPEG_DEPACKETIZER_OPTIONS}.
   */
  constructor(options: Partial<RtpJpegDepacketizerOptions> = {}) {
    const all = { ...DEFAULT_RTP_JPEG_DEPACKETIZER_OPTIONS, ...options };
    this.#options = all;
    this.#table = new FrameTable<FrameInFlight, RtpFrameDropReason>({
      maxFramesInFlight: all.maxFramesInFlight,
      maxBytesInFlight: all.maxBytesInFlight,
      frameTimeoutMs: all.frameTimeoutMs,
      sourceIdleMs: all.ssrcIdleMs,
      lockedSourceId: all.lockedStreamId,
      followNewest: all.followNewest,
      maxJumpIds: all.maxTimestampJump,
    }, { frameDrops: this.counters.frameDrops, switchReason: "ssrcSwitch" });
  }

  /** The SSRC currently followed, or null before the first valid packet. */
  get ssrc(): number | null {
    return this.#table.sourceId;
  }

  /** Number of incomplete frames held right now. */
  get framesInFlight(): number {
    return this.#table.framesInFlight;
  }

  /** Bytes held by incomplete frames right now: scan data, and bookkeeping per fragment. */
  get bytesInFlight(): number {
    return this.#table.bytesInFlight;
  }

  /** Feeds one packet received at `nowMs`; returns the frame it completes, if any. Never throws. */
  push(datagram: Uint8Array, nowMs: number): ReceivedFrame | null {
    this.counters.datagramsReceived++;
    this.counters.bytesReceived += datagram.length;
    this.expire(nowMs);

    const rtp = decodeRtp(datagram);
    if (!rtp.ok) return this.#drop(rtp.reason);
    const { header } = rtp;
    if (header.payloadType !== this.#options.payloadType) return this.#drop("payloadType");
    let at = rtp.payloadStart;
    const end = rtp.payloadEnd;
    if (end - at < JPEG_HEADER_BYTES) return this.#drop("short");
    const jpeg = decodeJpegHeader(datagram, at);
    at += JPEG_HEADER_BYTES;
    if ((jpeg.type & 63) > 1 || jpeg.type > 127) return this.#drop("unsupportedType");
    if (jpeg.q === 0 || (jpeg.q >= 100 && jpeg.q < 128)) return this.#drop("badQ");
    if (jpeg.widthBlocks === 0 || jpeg.heightBlocks === 0) return this.#drop("dimensions");
    let restartInterval = 0;
    if (jpeg.type >= 64) {
      if (end - at < RESTART_HEADER_BYTES) return this.#drop("short");
      restartInterval = (datagram[at] << 8) | datagram[at + 1];
      at += RESTART_HEADER_BYTES;
    }

    const table = this.#table;
    const follow = table.follow(header.ssrc, nowMs);
    if (follow === "refused") return this.#drop("otherSsrc");
    if (follow !== "same") {
      if (follow === "switched") this.counters.ssrcSwitches++;
      this.#startSequence(header.sequence);
    }
    if (!this.#acceptSequence(header.sequence)) return this.#drop("stale");

    let params: RebuildParams | null = null;
    if (jpeg.fragmentOffset === 0) {
      const tables = this.#tablesFrom(datagram, at, end, jpeg.q);
      if (tables === null) return this.#drop("noTables");
      at = tables.dataStart;
      params = {
        type: jpeg.type,
        widthBlocks: jpeg.widthBlocks,
        heightBlocks: jpeg.heightBlocks,
        lumaTable: tables.luma,
        chromaTable: tables.chroma,
        precision: tables.precision,
        restartInterval,
      };
    }
    const data = datagram.subarray(at, end);
    // No sender sends a fragment without scan data; held, it would cost memory and checks.
    if (data.length === 0) return this.#drop("short");
    const fragmentEnd = jpeg.fragmentOffset + data.length;
    if (fragmentEnd > this.#options.maxFrameBytes) return this.#drop("tooLarge");
    const charged = data.length + PIECE_BOOKKEEPING_BYTES;

    const timestamp = header.timestamp;
    const admission = table.admit(timestamp, nowMs);
    if (admission === "stale") return this.#drop("stale");
    if (admission === "resynced") {
      this.counters.resyncs++;
      this.#startSequence(header.sequence);
    }
    let entry = table.get(timestamp);
    if (entry === undefined) {
      const opened = table.open(timestamp, nowMs, charged, () => ({
        type: jpeg.type,
        q: jpeg.q,
        widthBlocks: jpeg.widthBlocks,
        heightBlocks: jpeg.heightBlocks,
        restartInterval,
        params: null,
        fragments: new Map(),
        scanBytes: 0,
        maxEnd: 0,
        endOffset: null,
      }));
      if (opened === null) return this.#drop("stale");
      entry = opened;
    } else if (
      entry.state.type !== jpeg.type || entry.state.q !== jpeg.q ||
      entry.state.widthBlocks !== jpeg.widthBlocks ||
      entry.state.heightBlocks !== jpeg.heightBlocks ||
      entry.state.restartInterval !== restartInterval
    ) {
      return this.#drop("inconsistent");
    } else if (!table.makeRoom(entry, charged)) return this.#drop("tooLarge");
    const frame = entry.state;
    if (frame.fragments.has(jpeg.fragmentOffset)) return this.#drop("duplicate");
    // Past the end of the marker packet: no sender sends that.
    if (frame.endOffset !== null && fragmentEnd > frame.endOffset) {
      return this.#drop("inconsistent");
    }
    if (header.marker) {
      if (frame.endOffset !== null && frame.endOffset !== fragmentEnd) {
        return this.#drop("inconsistent");
      }
      frame.endOffset = fragmentEnd;
    }
    if (params !== null) frame.params = params;
    // Copy: the caller may reuse its receive buffer.
    frame.fragments.set(jpeg.fragmentOffset, data.slice());
    frame.scanBytes += data.length;
    frame.maxEnd = Math.max(frame.maxEnd, fragmentEnd);
    table.hold(entry, charged);

    // Only when the bytes reach the end can the fragments tile, and then they are checked once.
    if (frame.params === null || frame.endOffset === null || frame.scanBytes < frame.endOffset) {
      return null;
    }
    return this.#complete(entry, nowMs);
  }

  /** Gives up incomplete frames older than the frame timeout. Call it when idle, too. */
  expire(nowMs: number): void {
    this.#table.expire(nowMs);
  }

  /** Resolves the quantization tables of a frame's first packet; null when it has none. */
  #tablesFrom(datagram: Uint8Array, at: number, end: number, q: number): QuantTables | null {
    if (q < 128) {
      let tables = this.#tableCache.get(q);
      if (tables === undefined) {
        const both = quantTablesForQ(q);
        tables = { luma: both.subarray(0, 64), chroma: both.subarray(64), precision: 0 };
        this.#tableCache.set(q, tables);
      }
      return { ...tables, dataStart: at };
    }
    if (end - at < QTABLE_HEADER_BYTES) return null;
    const precision = datagram[at + 1] & 3;
    const length = (datagram[at + 2] << 8) | datagram[at + 3];
    at += QTABLE_HEADER_BYTES;
    if (end - at < length) return null;
    if (length === 0) {
      // Q 128..254 may omit tables it sent before; 255 must always carry them.
      const cached = q === 255 ? undefined : this.#tableCache.get(q);
      return cached === undefined ? null : { ...cached, dataStart: at };
    }
    const lumaBytes = (precision & 1) ? 128 : 64;
    const chromaBytes = (precision & 2) ? 128 : 64;
    // ffmpeg sends a single table when its JPEG has one for all components: reuse it for chroma.
    const shared = length < lumaBytes + chromaBytes;
    if (length < lumaBytes) return null;
    const read = (start: number, wide: boolean) => {
      const values = new Uint16Array(64);
      for (let k = 0; k < 64; k++) {
        values[k] = wide
          ? (datagram[start + 2 * k] << 8) | datagram[start + 2 * k + 1]
          : datagram[start + k];
      }
      return values;
    };
    const tables = {
      luma: read(at, lumaBytes === 128),
      chroma: shared ? read(at, lumaBytes === 128) : read(at + lumaBytes, chromaBytes === 128),
      precision: shared ? (precision & 1) * 3 : precision,
    };
    if (q !== 255) this.#tableCache.set(q, tables);
    return { ...tables, dataStart: at + length };
  }

  /** Tracks the extended sequence number; false when `sequence` is too far behind to use. */
  #acceptSequence(sequence: number): boolean {
    const delta = ((sequence - (this.#highestSequence & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    if (delta > 0) this.#highestSequence += delta;
    if (delta >= -this.#options.reorderWindowPackets) {
      this.#staleInARow = 0;
      return true;
    }
    if (++this.#staleInARow < RESYNC_AFTER_STALE_PACKETS) return false;
    // A source that restarted with the same SSRC: start over rather than drop it for good.
    this.#table.restart();
    this.counters.resyncs++;
    this.#startSequence(sequence);
    return true;
  }

  /** Counts sequence numbers from `sequence`, for a source followed from now on. */
  #startSequence(sequence: number): void {
    this.#highestSequence = sequence;
    this.#staleInARow = 0;
  }

  /**
   * The frame's bytes reached its end: it is emitted if its fragments tile, else given up, since
   * fragments that add up to the end (or past it) without tiling overlap, and no more fragments
   * can change that. So each frame is sorted and checked once.
   */
  #complete(entry: Frame, nowMs: number): ReceivedFrame | null {
    const frame = entry.state;
    this.counters.tilingChecks++;
    const offsets = [...frame.fragments.keys()].sort((a, b) => a - b);
    let next = 0;
    for (const offset of offsets) {
      if (offset !== next) break;
      next += frame.fragments.get(offset)!.length;
    }
    // Tiled: contiguous from 0 to the end, and nothing else held (no piece inside or past it).
    if (
      next !== frame.endOffset || frame.scanBytes !== frame.endOffset ||
      frame.maxEnd > frame.endOffset
    ) {
      this.#table.discard(entry, "overlap");
      return null;
    }
    // A frame far ahead of the stream is held back until the stream goes on from it.
    if (!this.#table.complete(entry)) return null;

    const headers = buildJpegHeaders(frame.params!);
    const scanBytes = frame.endOffset;
    const lastFragment = frame.fragments.get(offsets[offsets.length - 1])!;
    const n = lastFragment.length;
    // Some senders keep the EOI in the last packet; do not write a second one.
    const hasEoi = n >= 2 && lastFragment[n - 2] === 0xff && lastFragment[n - 1] === 0xd9;
    const bytes = new Uint8Array(headers.length + scanBytes + (hasEoi ? 0 : 2));
    bytes.set(headers, 0);
    for (const offset of offsets) bytes.set(frame.fragments.get(offset)!, headers.length + offset);
    if (!hasEoi) bytes.set([0xff, 0xd9], bytes.length - 2);
    this.counters.framesComplete++;
    return {
      streamId: this.#table.sourceId!,
      frameSeq: entry.id,
      captureUs: null,
      bytes,
      completeMs: nowMs,
    };
  }

  #drop(reason: RtpDatagramDropReason): null {
    this.counters.datagramDrops[reason]++;
    return null;
  }
}
