/**
 * RTP/JPEG (RFC 3550 + RFC 2435): the header codecs shared by both directions, the quantization
 * tables RFC 2435 Appendix A derives from Q, and {@linkcode RtpJpegPacketizer}.
 *
 * ```text
 * RTP header (RFC 3550 §5.1), 12 bytes:
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * |                           timestamp                           |
 * |                             SSRC                              |
 * JPEG main header (RFC 2435 §3.1), 8 bytes:
 * | type-specific |              fragment offset                  |
 * |     type      |       Q       |     width     |    height     |
 * Restart marker header (types 64..127), 4 bytes:
 * |       restart interval        |F|L|       restart count       |
 * Quantization table header (Q 128..255, fragment offset 0 only), 4 bytes + tables:
 * |      MBZ      |   precision   |            length             |
 * ```
 *
 * Only the entropy-coded scan data travels; the receiver rebuilds every JPEG header from these
 * fields, which is why the standard Huffman tables and 2x1/2x2 luma sampling are mandatory.
 *
 * @module
 */

import { type JpegInfo, parseJpeg, ZIGZAG } from "./jpeg_parse.ts";
import type { FramePacketizer } from "./wire_mode.ts";

/** The static payload type RFC 3551 assigns to JPEG. */
export const RTP_JPEG_PAYLOAD_TYPE = 26;
/** RTP clock rate of every video payload format: 90 kHz. */
export const RTP_VIDEO_CLOCK_HZ = 90_000;
/** Bytes of a fixed RTP header without CSRCs or extension. */
export const RTP_HEADER_BYTES = 12;
/** Bytes of the RFC 2435 main JPEG header. */
export const JPEG_HEADER_BYTES = 8;
/** Bytes of the RFC 2435 restart marker header. */
export const RESTART_HEADER_BYTES = 4;
/** Bytes of the RFC 2435 quantization table header, without the tables. */
export const QTABLE_HEADER_BYTES = 4;
/** Largest fragment offset the 24-bit field holds, so the largest scan we can send. */
export const MAX_SCAN_BYTES = 0xff_ffff;
/** Largest width or height RFC 2435 can describe (255 blocks of 8 pixels). */
export const MAX_DIMENSION_PX = 2040;
/** Q value announcing that the tables are in-band and may change from frame to frame. */
export const Q_DYNAMIC_TABLES = 255;
/** RFC 2435 restart header F=1, L=1, count=0x3FFF: fragments are not aligned to intervals. */
export const RESTART_UNALIGNED = 0xffff;

/** The fields of an RTP fixed header that this project reads or writes. */
export interface RtpHeader {
  /** Marker bit: for JPEG, set on the last packet of a frame. */
  marker: boolean;
  /** Payload type, 0..127. */
  payloadType: number;
  /** Sequence number, 0..65535, +1 per packet. */
  sequence: number;
  /** Media timestamp in clock ticks, 0..2^32-1. */
  timestamp: number;
  /** Synchronization source id. */
  ssrc: number;
}

/** Result of {@linkcode decodeRtp}: the header and where the payload lies. */
export type RtpDecodeResult =
  | { ok: true; header: RtpHeader; payloadStart: number; payloadEnd: number }
  | { ok: false; reason: "short" | "version" | "padding" };

/** Writes a 12-byte RTP header (version 2, no padding, extension or CSRCs) at `offset`. */
export function encodeRtp(header: RtpHeader, target: Uint8Array, offset = 0): void {
  const view = new DataView(target.buffer, target.byteOffset + offset, RTP_HEADER_BYTES);
  view.setUint8(0, 0x80);
  view.setUint8(1, (header.marker ? 0x80 : 0) | (header.payloadType & 0x7f));
  view.setUint16(2, header.sequence & 0xffff);
  view.setUint32(4, header.timestamp >>> 0);
  view.setUint32(8, header.ssrc >>> 0);
}

/** Decodes an RTP header, skipping CSRCs and a header extension and removing padding. */
export function decodeRtp(datagram: Uint8Array): RtpDecodeResult {
  if (datagram.length < RTP_HEADER_BYTES) return { ok: false, reason: "short" };
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.length);
  const first = datagram[0];
  if (first >> 6 !== 2) return { ok: false, reason: "version" };
  let start = RTP_HEADER_BYTES + 4 * (first & 0x0f);
  if ((first & 0x10) !== 0) {
    if (start + 4 > datagram.length) return { ok: false, reason: "short" };
    start += 4 + 4 * view.getUint16(start + 2);
  }
  let end = datagram.length;
  if ((first & 0x20) !== 0) {
    const padding = datagram[end - 1];
    if (padding === 0) return { ok: false, reason: "padding" };
    end -= padding;
  }
  if (start > end) return { ok: false, reason: "short" };
  return {
    ok: true,
    header: {
      marker: (datagram[1] & 0x80) !== 0,
      payloadType: datagram[1] & 0x7f,
      sequence: view.getUint16(2),
      timestamp: view.getUint32(4),
      ssrc: view.getUint32(8),
    },
    payloadStart: start,
    payloadEnd: end,
  };
}

/** The RFC 2435 main JPEG header. */
export interface JpegHeader {
  /** Type-specific field; 0 for progressive (non-interlaced) frames. */
  typeSpecific: number;
  /** Offset of this packet's data within the frame's scan data, 24 bits. */
  fragmentOffset: number;
  /** 0 = 4:2:2 (luma 2x1), 1 = 4:2:0 (luma 2x2); +64 when a restart header follows. */
  type: number;
  /** 1..99 = tables from the Appendix A formula, 128..255 = tables in-band. */
  q: number;
  /** Width in 8-pixel blocks. */
  widthBlocks: number;
  /** Height in 8-pixel blocks. */
  heightBlocks: number;
}

/** Writes an RFC 2435 main JPEG header at `offset`. */
export function encodeJpegHeader(header: JpegHeader, target: Uint8Array, offset: number): void {
  target[offset] = header.typeSpecific;
  target[offset + 1] = (header.fragmentOffset >> 16) & 0xff;
  target[offset + 2] = (header.fragmentOffset >> 8) & 0xff;
  target[offset + 3] = header.fragmentOffset & 0xff;
  target[offset + 4] = header.type;
  target[offset + 5] = header.q;
  target[offset + 6] = header.widthBlocks;
  target[offset + 7] = header.heightBlocks;
}

/** Reads an RFC 2435 main JPEG header; `bytes` needs {@linkcode JPEG_HEADER_BYTES} at `offset`. */
export function decodeJpegHeader(bytes: Uint8Array, offset: number): JpegHeader {
  return {
    typeSpecific: bytes[offset],
    fragmentOffset: (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3],
    type: bytes[offset + 4],
    q: bytes[offset + 5],
    widthBlocks: bytes[offset + 6],
    heightBlocks: bytes[offset + 7],
  };
}

// ITU T.81 Tables K.1 and K.2 in natural (row-major) order; RFC 2435 Appendix A scales them.
// deno-fmt-ignore
const K1_LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61,
  12, 12, 14, 19, 26, 58, 60, 55,
  14, 13, 16, 24, 40, 57, 69, 56,
  14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77,
  24, 35, 55, 64, 81, 104, 113, 92,
  49, 64, 78, 87, 103, 121, 120, 101,
  72, 92, 95, 98, 112, 100, 103, 99,
];
// deno-fmt-ignore
const K2_CHROMA = [
  17, 18, 24, 47, 99, 99, 99, 99,
  18, 21, 26, 66, 99, 99, 99, 99,
  24, 26, 56, 99, 99, 99, 99, 99,
  47, 66, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99,
];

/**
 * The luma and chroma tables (64 bytes each, zig-zag order as DQT stores them) that RFC 2435
 * Appendix A derives from `q` in 1..99. Appendix A's listing indexes the tables in natural
 * order; DQT needs zig-zag, the erratum every implementation applies.
 */
export function quantTablesForQ(q: number): Uint8Array {
  const clamped = Math.min(99, Math.max(1, Math.trunc(q)));
  const factor = clamped < 50 ? Math.trunc(5000 / clamped) : 200 - clamped * 2;
  const out = new Uint8Array(128);
  for (let k = 0; k < 64; k++) {
    const natural = ZIGZAG[k];
    const luma = Math.trunc((K1_LUMA[natural] * factor + 50) / 100);
    const chroma = Math.trunc((K2_CHROMA[natural] * factor + 50) / 100);
    out[k] = Math.min(255, Math.max(1, luma));
    out[64 + k] = Math.min(255, Math.max(1, chroma));
  }
  return out;
}

/** Why a JPEG cannot travel as RTP/JPEG. */
export type RtpJpegUnsupportedReason =
  | "malformed"
  | "notBaseline"
  | "multipleScans"
  | "components"
  | "sampling"
  | "dimensions"
  | "huffmanTables"
  | "quantTables"
  | "tooLarge";

/** Thrown by {@linkcode RtpJpegPacketizer.packetize} for a frame RFC 2435 cannot carry. */
export class RtpJpegUnsupportedError extends Error {
  /** Machine-readable cause, one of {@linkcode RtpJpegUnsupportedReason}. */
  readonly reason: RtpJpegUnsupportedReason;

  /**
   * @param reason Machine-readable cause.
   * @param detail What exactly is wrong with the frame.
   */
  constructor(reason: RtpJpegUnsupportedReason, detail: string) {
    super(
      `Cannot send this JPEG as RTP/JPEG (RFC 2435): ${detail}. ` +
        "Have ffmpeg write baseline 4:2:0 frames with standard tables " +
        "(-huffman default -pix_fmt yuvj420p) or use --wire v1.",
    );
    this.name = "RtpJpegUnsupportedError";
    this.reason = reason;
  }
}

/** What {@linkcode describeForRtp} found: everything a packet needs besides the scan bytes. */
export interface RtpJpegFrameLayout {
  /** RFC 2435 type: 0/1, or 64/65 with a restart header. */
  type: number;
  /** Width in 8-pixel blocks. */
  widthBlocks: number;
  /** Height in 8-pixel blocks. */
  heightBlocks: number;
  /** Luma table then chroma table, 64 bytes each, zig-zag order. */
  quantTables: Uint8Array;
  /** MCUs per restart interval, 0 without DRI. */
  restartInterval: number;
  /** The entropy-coded scan data (a view into the frame). */
  scan: Uint8Array;
}

function unsupported(reason: RtpJpegUnsupportedReason, detail: string): never {
  throw new RtpJpegUnsupportedError(reason, detail);
}

function checkCarriable(info: JpegInfo): void {
  if (info.frameMarker !== 0xc0 || info.sampleBits !== 8) {
    unsupported("notBaseline", `frame marker 0xFF${info.frameMarker.toString(16)} is not baseline`);
  }
  if (info.scanCount !== 1) unsupported("multipleScans", `it has ${info.scanCount} scans`);
  if (info.components.length !== 3) {
    unsupported("components", `it has ${info.components.length} components, RFC 2435 needs 3`);
  }
  const [luma, cb, cr] = info.components;
  const lumaOk = luma.horizontalSampling === 2 &&
    (luma.verticalSampling === 1 || luma.verticalSampling === 2);
  const chromaOk = [cb, cr].every((c) => c.horizontalSampling === 1 && c.verticalSampling === 1);
  if (!lumaOk || !chromaOk) {
    const factors = info.components.map((c) => `${c.horizontalSampling}x${c.verticalSampling}`);
    unsupported("sampling", `sampling ${factors.join(",")} is neither 4:2:2 nor 4:2:0`);
  }
  if (info.width < 1 || info.height < 1) unsupported("dimensions", "it declares a zero size");
  if (info.width > MAX_DIMENSION_PX || info.height > MAX_DIMENSION_PX) {
    unsupported("dimensions", `${info.width}x${info.height} exceeds ${MAX_DIMENSION_PX} px`);
  }
  // The receiver writes tables 0/0 for luma and 1/1 for chroma with the Annex K contents.
  const selectorsOk = luma.dcTableId === 0 && luma.acTableId === 0 &&
    [cb, cr].every((c) => c.dcTableId === 1 && c.acTableId === 1);
  if (!info.standardHuffmanTables || !selectorsOk) {
    unsupported("huffmanTables", "its Huffman tables are not the standard ones (ITU T.81 K.3)");
  }
  if (cb.quantTableId !== cr.quantTableId) {
    unsupported("quantTables", "Cb and Cr use different quantization tables");
  }
  for (const c of [luma, cb]) {
    const table = info.quantTables.get(c.quantTableId);
    if (table === undefined) unsupported("quantTables", `table ${c.quantTableId} is missing`);
    if (table.precision !== 0) unsupported("quantTables", "it has 16-bit quantization tables");
  }
  const scanBytes = info.scanEnd - info.scanStart;
  if (scanBytes > MAX_SCAN_BYTES) {
    unsupported("tooLarge", `its ${scanBytes} bytes of scan data exceed the 24-bit offset`);
  }
}

/**
 * Parses `frame` and returns what RTP/JPEG carries of it.
 *
 * @throws {RtpJpegUnsupportedError} when RFC 2435 cannot describe the frame.
 */
export function describeForRtp(frame: Uint8Array): RtpJpegFrameLayout {
  const parsed = parseJpeg(frame);
  if (!parsed.ok) unsupported("malformed", `it is not a well-formed JPEG (${parsed.reason})`);
  const info = parsed.info;
  checkCarriable(info);
  const [luma, chroma] = info.components;
  const quantTables = new Uint8Array(128);
  quantTables.set(info.quantTables.get(luma.quantTableId)!.values, 0);
  quantTables.set(info.quantTables.get(chroma.quantTableId)!.values, 64);
  const baseType = luma.verticalSampling === 2 ? 1 : 0;
  return {
    type: info.restartInterval > 0 ? baseType + 64 : baseType,
    widthBlocks: Math.ceil(info.width / 8),
    heightBlocks: Math.ceil(info.height / 8),
    quantTables,
    restartInterval: info.restartInterval,
    scan: frame.subarray(info.scanStart, info.scanEnd),
  };
}

/** Settings of a {@linkcode RtpJpegPacketizer}. */
export interface RtpJpegPacketizerOptions {
  /** Largest datagram to produce, RTP header included. */
  maxDatagramBytes: number;
  /** Payload type to stamp; default {@linkcode RTP_JPEG_PAYLOAD_TYPE}. */
  payloadType?: number;
  /** SSRC; random by default. */
  ssrc?: number;
  /** First sequence number; random by default (RFC 3550 §5.1). */
  initialSequence?: number;
  /** Timestamp of the first frame; random by default (RFC 3550 §5.1). */
  initialTimestamp?: number;
}

/** Smallest `maxDatagramBytes` that still fits the in-band tables and one byte of data. */
export const MIN_RTP_JPEG_DATAGRAM_BYTES = RTP_HEADER_BYTES + JPEG_HEADER_BYTES +
  RESTART_HEADER_BYTES + QTABLE_HEADER_BYTES + 128 + 1;

function randomUint32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/**
 * Cuts JPEG frames into RTP/JPEG packets: Q=255 with both tables in-band on each frame's first
 * packet, marker bit on its last, 90 kHz timestamps derived from the capture time.
 */
export class RtpJpegPacketizer implements FramePacketizer {
  /** The SSRC stamped on every packet. */
  readonly ssrc: number;
  readonly #maxDatagramBytes: number;
  readonly #payloadType: number;
  readonly #initialTimestamp: number;
  #sequence: number;
  #firstCaptureUs: number | null = null;

  /**
   * @throws {RangeError} when `maxDatagramBytes` is below {@linkcode MIN_RTP_JPEG_DATAGRAM_BYTES}.
   */
  constructor(options: RtpJpegPacketizerOptions) {
    if (!(options.maxDatagramBytes >= MIN_RTP_JPEG_DATAGRAM_BYTES)) {
      throw new RangeError(
        `Cannot packetize RTP/JPEG into ${options.maxDatagramBytes}-byte datagrams: it needs at ` +
          `least ${MIN_RTP_JPEG_DATAGRAM_BYTES}. Raise the datagram size.`,
      );
    }
    this.#maxDatagramBytes = Math.floor(options.maxDatagramBytes);
    this.#payloadType = options.payloadType ?? RTP_JPEG_PAYLOAD_TYPE;
    this.ssrc = (options.ssrc ?? randomUint32()) >>> 0;
    this.#sequence = (options.initialSequence ?? randomUint32()) & 0xffff;
    this.#initialTimestamp = (options.initialTimestamp ?? randomUint32()) >>> 0;
  }

  /** Sequence number the next packet will carry. */
  get nextSequence(): number {
    return this.#sequence;
  }

  /** The RTP timestamp a frame captured at `captureUs` gets. */
  timestampFor(captureUs: number): number {
    // Relative to the first frame, so the product stays far below 2^53.
    const elapsedUs = captureUs - (this.#firstCaptureUs ?? captureUs);
    const ticks = Math.round(elapsedUs * RTP_VIDEO_CLOCK_HZ / 1_000_000);
    return (this.#initialTimestamp + ticks) >>> 0;
  }

  /**
   * Returns the packets carrying `frame`. Nothing changes when it throws.
   *
   * @throws {RtpJpegUnsupportedError} when RFC 2435 cannot describe the frame.
   */
  packetize(frame: Uint8Array, captureUs: number): Uint8Array[] {
    const layout = describeForRtp(frame);
    this.#firstCaptureUs ??= captureUs;
    const timestamp = this.timestampFor(captureUs);
    const restartBytes = layout.type >= 64 ? RESTART_HEADER_BYTES : 0;
    const fixedBytes = RTP_HEADER_BYTES + JPEG_HEADER_BYTES + restartBytes;
    const tableBytes = QTABLE_HEADER_BYTES + layout.quantTables.length;
    const scan = layout.scan;
    const packets: Uint8Array[] = [];
    let offset = 0;
    do {
      const first = offset === 0;
      const room = this.#maxDatagramBytes - fixedBytes - (first ? tableBytes : 0);
      const take = Math.min(room, scan.length - offset);
      const last = offset + take >= scan.length;
      const packet = new Uint8Array(fixedBytes + (first ? tableBytes : 0) + take);
      encodeRtp({
        marker: last,
        payloadType: this.#payloadType,
        sequence: this.#sequence,
        timestamp,
        ssrc: this.ssrc,
      }, packet);
      this.#sequence = (this.#sequence + 1) & 0xffff;
      encodeJpegHeader(
        {
          typeSpecific: 0,
          fragmentOffset: offset,
          type: layout.type,
          q: Q_DYNAMIC_TABLES,
          widthBlocks: layout.widthBlocks,
          heightBlocks: layout.heightBlocks,
        },
        packet,
        RTP_HEADER_BYTES,
      );
      let at = RTP_HEADER_BYTES + JPEG_HEADER_BYTES;
      if (restartBytes > 0) {
        packet[at] = layout.restartInterval >> 8;
        packet[at + 1] = layout.restartInterval & 0xff;
        packet[at + 2] = RESTART_UNALIGNED >> 8;
        packet[at + 3] = RESTART_UNALIGNED & 0xff;
        at += RESTART_HEADER_BYTES;
      }
      if (first) {
        // MBZ 0, precision 0 (both tables 8-bit), then the table bytes' length.
        packet[at] = 0;
        packet[at + 1] = 0;
        packet[at + 2] = layout.quantTables.length >> 8;
        packet[at + 3] = layout.quantTables.length & 0xff;
        packet.set(layout.quantTables, at + QTABLE_HEADER_BYTES);
        at += tableBytes;
      }
      packet.set(scan.subarray(offset, offset + take), at);
      packets.push(packet);
      offset += take;
    } while (offset < scan.length);
    return packets;
  }
}
