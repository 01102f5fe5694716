/**
 * The 12-byte RTP fixed header (RFC 3550 §5.1): codec and validation.
 *
 * ```text
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * |                           timestamp                           |
 * |                             SSRC                              |
 * ```
 *
 * @module
 */

/** Bytes of a fixed RTP header without CSRCs or extension. */
export const RTP_HEADER_BYTES = 12;

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

/** Decodes an RTP header, skipping CSRCs and a header extension and removing padding. *
 * @example Golden bytes: marker set, payload type 26 (JPEG), sequence 1, timestamp 90000
 * ```ts
 * import { decodeRtp, encodeRtp } from "./header.ts";
 *
 * const packet = new Uint8Array(14);
 * encodeRtp({ marker: true, payloadType: 26, sequence: 1, timestamp: 90000, ssrc: 0xcafe }, packet);
 * // 80: version 2; 9a: marker + PT 26; 0001: sequence; 00015f90: timestamp; 0000cafe: SSRC
 * const hex = Array.from(packet.subarray(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
 * if (hex !== "809a000100015f900000cafe") throw new Error(hex);
 * const decoded = decodeRtp(packet);
 * if (!decoded.ok || decoded.header.ssrc !== 0xcafe || decoded.payloadStart !== 12) {
 *   throw new Error("not decoded");
 * }
 * ```
 */
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
