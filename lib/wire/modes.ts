/**
 * The wire formats udpcam speaks (`--wire`), and the packetizer and depacketizer for each: udpcam
 * v1 (with FEC and a retransmission history), the legacy 1-byte-header format of the Python/OpenCV
 * design, and RTP/JPEG (RFC 2435). Pure: no I/O.
 *
 * @module
 */

import { type FecSetting, paddedFecSetting } from "../fec/mod.ts";
import {
  fecParityDatagrams,
  HEADER_BYTES,
  NackTracker,
  PARITY_FIELDS_BYTES,
  type ParityFields,
  Reassembler,
  type RetransmitHistory,
  V1Packetizer,
  type WireHeader,
} from "./v1/mod.ts";
import { LegacyDepacketizer, LegacyPacketizer } from "./legacy/mod.ts";
import { MAX_DIMENSION_PX, RtpJpegDepacketizer, RtpJpegPacketizer } from "./rtp/mod.ts";
import type { FrameDepacketizer, FramePacketizer } from "./frames/mod.ts";

/** The formats `--wire` accepts. */
export const WIRE_MODES = ["v1", "legacy", "rtp"] as const;
/** One of {@linkcode WIRE_MODES}. */
export type WireMode = typeof WIRE_MODES[number];

/** What a wire format can do: every "does this mode support X" question is answered here. */
export interface WireTraits {
  /** Parity datagrams after each frame (`--fec`). */
  fec: boolean;
  /** Retransmission on request (NACKs; `--no-nack` turns it off). */
  nack: boolean;
  /** Receiver reports, so the sender can fit the stream to the link (`--adapt`). */
  linkReports: boolean;
  /** Sealed datagrams (`--key`). */
  key: boolean;
  /** A stream id the receiver can lock to or switch by (`--stream`, `--follow-newest`). */
  streamLock: boolean;
  /** A session description players open (`--sdp`). */
  sdp: boolean;
  /** The sender's capture time travels with each frame, so the receiver measures latency. */
  captureTime: boolean;
  /** Frames must use the standard Huffman tables and baseline 4:2:0 or 4:2:2 sampling. */
  standardJpeg: boolean;
  /** Largest frame width or height in pixels, or null when the format sets no limit. */
  maxDimensionPx: number | null;
}

/** The traits of each wire format. */
export const WIRE_TRAITS: Readonly<Record<WireMode, Readonly<WireTraits>>> = {
  v1: {
    fec: true,
    nack: true,
    linkReports: true,
    key: true,
    streamLock: true,
    sdp: false,
    captureTime: true,
    standardJpeg: false,
    maxDimensionPx: null,
  },
  legacy: {
    fec: false,
    nack: false,
    linkReports: false,
    key: false,
    streamLock: false,
    sdp: false,
    captureTime: false,
    standardJpeg: false,
    maxDimensionPx: null,
  },
  rtp: {
    fec: false,
    nack: false,
    linkReports: false,
    key: false,
    streamLock: true,
    sdp: true,
    captureTime: false,
    standardJpeg: true,
    maxDimensionPx: MAX_DIMENSION_PX,
  },
};

/**
 * The modes that have `trait` (a flag of {@linkcode WireTraits}), in {@linkcode WIRE_MODES} order:
 * what a message names when a flag needs one of them.
 */
export function wireModesWith(
  trait: { [K in keyof WireTraits]: WireTraits[K] extends boolean ? K : never }[keyof WireTraits],
): WireMode[] {
  return WIRE_MODES.filter((mode) => WIRE_TRAITS[mode][trait]);
}

/** The traits of `--wire` value `wire`, or null when it names no format. */
export function wireTraitsOf(wire: string): Readonly<WireTraits> | null {
  return (WIRE_MODES as readonly string[]).includes(wire) ? WIRE_TRAITS[wire as WireMode] : null;
}

/** What the sender's packetizer is built from. */
export interface SenderWireSettings {
  /** The format. */
  mode: WireMode;
  /** Random id of this sender run (v1 stream id; RTP SSRC). */
  streamId: number;
  /** Largest datagram, header included. */
  maxDatagramBytes: number;
  /** v1 only: parity datagrams after each frame. */
  fec: FecSetting | null;
  /** v1 only: remembers sent datagrams to answer NACKs. */
  history: RetransmitHistory | null;
  /** The clock for the history, in ms. */
  nowMs: () => number;
  /**
   * v1 only: bytes the socket layer adds to every datagram after packetizing (the seal of
   * `--key`, lib/crypto/datagram_seal.ts); fragments are cut this much smaller. Default 0.
   */
  reserveBytes?: number;
  /**
   * v1 only: frames may be padded (link fitting probes a wider link with extra parity), so
   * fragments leave room for the parity fields even without `--fec`. Default false: no padding,
   * and fragments as big as the datagram allows.
   */
  padding?: boolean;
}

/** Counters of the parity a v1 packetizer added. */
export interface FecCounters {
  /** Parity datagrams produced. */
  parityDatagrams: number;
  /** Their bytes. */
  parityBytes: number;
}

/** Counters of the padding a v1 packetizer added (extra parity, when link fitting probes). */
export interface PaddingCounters {
  /** Parity datagrams beyond the `--fec` setting's. */
  datagrams: number;
  /** Their bytes. */
  bytes: number;
}

/**
 * Builds the sender's packetizer for `settings.mode`, the counters of the parity it adds (null
 * unless the mode has FEC and `settings.fec` asks for it) and of the padding it adds when asked
 * (v1 with `settings.padding`, else null: `paddingBytes` is then ignored).
 */
export function createPacketizer(settings: SenderWireSettings): {
  packetizer: FramePacketizer;
  fecCounters: FecCounters | null;
  paddingCounters: PaddingCounters | null;
} {
  switch (settings.mode) {
    case "legacy":
      return {
        packetizer: new LegacyPacketizer(settings.maxDatagramBytes),
        fecCounters: null,
        paddingCounters: null,
      };
    case "rtp":
      return {
        packetizer: new RtpJpegPacketizer({
          maxDatagramBytes: settings.maxDatagramBytes,
          ssrc: settings.streamId,
        }),
        fecCounters: null,
        paddingCounters: null,
      };
    case "v1":
      break;
  }
  const { fec, history } = settings;
  const fecCounters = fec ? { parityDatagrams: 0, parityBytes: 0 } : null;
  const padding = settings.padding ?? false;
  const paddingCounters = padding ? { datagrams: 0, bytes: 0 } : null;
  // Parity datagrams carry 4 bytes of FEC fields more than the largest fragment; padding is
  // parity too.
  const roomBytes = settings.maxDatagramBytes - (settings.reserveBytes ?? 0);
  const fragmenter = new V1Packetizer(
    settings.streamId,
    fec || padding ? roomBytes - PARITY_FIELDS_BYTES : roomBytes,
  );
  const packetizer: FramePacketizer = {
    packetize(frame, captureUs, paddingBytes = 0) {
      const data = fragmenter.packetize(frame, captureUs);
      // Padding: as many parity datagrams more as its bytes fill (lib/fec's paddedFecSetting).
      const parityBytes = HEADER_BYTES + PARITY_FIELDS_BYTES +
        Math.ceil(frame.length / data.length);
      const extra = paddingCounters !== null && paddingBytes > 0
        ? Math.round(paddingBytes / parityBytes)
        : 0;
      const setting = extra > 0 ? paddedFecSetting(data.length, fec, extra) : fec;
      if (setting === null) {
        history?.record(data, settings.nowMs());
        return data;
      }
      const parity = fecParityDatagrams(data, setting);
      const base = fec === null
        ? 0
        : setting === fec
        ? parity.length
        : Math.ceil(data.length / fec.groupData) * fec.groupParity;
      if (fecCounters !== null) {
        fecCounters.parityDatagrams += base;
        fecCounters.parityBytes += base * parityBytes;
      }
      if (paddingCounters !== null) {
        paddingCounters.datagrams += parity.length - base;
        paddingCounters.bytes += (parity.length - base) * parityBytes;
      }
      const all = parity.length > 0 ? [...data, ...parity] : data;
      history?.record(all, settings.nowMs());
      return all;
    },
  };
  return { packetizer, fecCounters, paddingCounters };
}

/** What the receiver's depacketizer is built from. */
export interface ReceiverWireSettings {
  /** An incomplete frame is given up this long after its first datagram. */
  frameTimeoutMs: number;
  /** Modes with the `streamLock` trait: follow only this stream id (null: the first seen). */
  lockedStreamId?: number | null;
  /** Modes with the `streamLock` trait: switch at once to a stream id not seen before. */
  followNewest?: boolean;
  /** Modes with the `nack` trait: also build the NACK tracker fed by the depacketizer. */
  nack?: boolean;
}

/** The receiver's side of a wire mode, built by {@linkcode createDepacketizer}. */
export interface ReceiverWire {
  /** Turns datagrams into frames. */
  depacketizer: FrameDepacketizer;
  /** The stream followed (v1 stream id, RTP SSRC), or null (none yet; legacy has no ids). */
  followedStream: () => number | null;
  /**
   * v1: the header of the last datagram pushed, as the depacketizer decoded it, when it was a
   * fragment or parity of the followed stream (its source may be where replies, NACKs and
   * receiver reports, go; they read it rather than decode it again); null otherwise, and always
   * for the other modes, which reply nothing.
   */
  lastFollowedHeader: () => WireHeader | null;
  /** v1: that datagram's parity fields when it is parity; null otherwise. */
  lastFollowedParity: () => ParityFields | null;
  /**
   * The NACK tracker the depacketizer feeds (v1 with `nack`), or null. Poll it; it learns of
   * every datagram from the depacketizer itself.
   */
  nackTracker: NackTracker | null;
}

/**
 * Builds the receiver's depacketizer for `mode`, a way to read the stream it follows, and (v1,
 * `nack`) the NACK tracker it feeds. `lockedStreamId` and `followNewest` apply to the modes with
 * the `streamLock` trait.
 *
 * @example A frame through the packetizer and depacketizer of a mode
 * ```ts
 * import { createDepacketizer, createPacketizer } from "./modes.ts";
 *
 * const { packetizer } = createPacketizer({
 *   mode: "v1",
 *   streamId: 7,
 *   maxDatagramBytes: 1200,
 *   fec: null,
 *   history: null,
 *   nowMs: () => 0,
 * });
 * const { depacketizer } = createDepacketizer("v1", { frameTimeoutMs: 250 });
 * const frame = new Uint8Array(5000).fill(0xab);
 * let out = null;
 * for (const datagram of packetizer.packetize(frame, 1_700_000_000_000_000)) {
 *   out = depacketizer.push(datagram, 0) ?? out;
 * }
 * if (out?.bytes.length !== 5000 || out.streamId !== 7) throw new Error("not rebuilt");
 * ```
 */
export function createDepacketizer(mode: WireMode, options: ReceiverWireSettings): ReceiverWire {
  switch (mode) {
    case "v1": {
      const reassembler = new Reassembler({
        frameTimeoutMs: options.frameTimeoutMs,
        lockedStreamId: options.lockedStreamId ?? null,
        followNewest: options.followNewest ?? false,
      });
      return {
        depacketizer: reassembler,
        followedStream: () => reassembler.streamId,
        lastFollowedHeader: () => reassembler.lastFollowedHeader,
        lastFollowedParity: () => reassembler.lastFollowedParity,
        nackTracker: options.nack ? new NackTracker(reassembler) : null,
      };
    }
    case "legacy":
      return {
        depacketizer: new LegacyDepacketizer({ frameTimeoutMs: options.frameTimeoutMs }),
        followedStream: () => null,
        lastFollowedHeader: () => null,
        lastFollowedParity: () => null,
        nackTracker: null,
      };
    case "rtp": {
      const depacketizer = new RtpJpegDepacketizer({
        frameTimeoutMs: options.frameTimeoutMs,
        lockedStreamId: options.lockedStreamId ?? null,
        followNewest: options.followNewest ?? false,
      });
      return {
        depacketizer,
        followedStream: () => depacketizer.ssrc,
        lastFollowedHeader: () => null,
        lastFollowedParity: () => null,
        nackTracker: null,
      };
    }
  }
}
