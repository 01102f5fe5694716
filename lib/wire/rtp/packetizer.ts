/**
 * Cuts JPEG frames into RTP/JPEG packets (RFC 3550 + RFC 2435): checks that a frame is one RFC 2435
 * can carry, finds its scan data and quantization tables, and fragments the scan.
 *
 * Only the entropy-coded scan data travels; the receiver rebuilds every JPEG header from the
 * payload headers (lib/wire/rtp/jpeg_payload.ts), which is why the standard Huffman tables and
 * 2x1/2x2 luma sampling are mandatory.
 *
 * @module
 */

import { type JpegInfo, parseJpeg } from "../../jpeg/mod.ts";
import type { FramePacketizer } from "../frames/mod.ts";
import {
  encodeJpegHeader,
  JPEG_HEADER_BYTES,
  MAX_DIMENSION_PX,
  MAX_SCAN_BYTES,
  Q_DYNAMIC_TABLES,
  QTABLE_HEADER_BYTES,
  RESTART_HEADER_BYTES,
  RESTART_UNALIGNED,
  RTP_JPEG_PAYLOAD_TYPE,
  RTP_VIDEO_CLOCK_HZ,
} from "./jpeg_payload.ts";
import { encodeRtp, RTP_HEADER_BYTES } from "./header.ts";

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
  /** What exactly is wrong with the frame, e.g. "it has 2 scans". */
  readonly detail: string;

  /**
   * Makes the error; its message says what is wrong and what to do.
   *
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
    this.detail = detail;
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
export const MIN_RTP_JPEG_DATAGRAM_BYTES: number = RTP_HEADER_BYTES + JPEG_HEADER_BYTES +
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
   * Makes a packetizer; SSRC, first sequence number and first timestamp are random unless given.
   *
   * @param options Datagram size and, optionally, the RTP identifiers.
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
