/**
 * The RTP/JPEG payload headers (RFC 2435 §3.1): the 8-byte main header, the restart and
 * quantization-table headers, and the tables Appendix A derives from Q.
 *
 * ```text
 * JPEG main header (RFC 2435 §3.1), 8 bytes:
 * | type-specific |              fragment offset                  |
 * |     type      |       Q       |     width     |    height     |
 * Restart marker header (types 64..127), 4 bytes:
 * |       restart interval        |F|L|       restart count       |
 * Quantization table header (Q 128..255, fragment offset 0 only), 4 bytes + tables:
 * |      MBZ      |   precision   |            length             |
 * ```
 *
 * @module
 */

import { ZIGZAG } from "../../jpeg/mod.ts";

/** The static payload type RFC 3551 assigns to JPEG. */
export const RTP_JPEG_PAYLOAD_TYPE = 26;

/** RTP clock rate of every video payload format: 90 kHz. */
export const RTP_VIDEO_CLOCK_HZ = 90_000;

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

// ITU T.81 Tables K.1 and K.2 in natural (row-major) order, in rows of 8 as the standard prints
// them; RFC 2435 Appendix A scales them.
// deno-fmt-ignore
const K1_LUMA = [
   16,  11,  10,  16,  24,  40,  51,  61,
   12,  12,  14,  19,  26,  58,  60,  55,
   14,  13,  16,  24,  40,  57,  69,  56,
   14,  17,  22,  29,  51,  87,  80,  62,
   18,  22,  37,  56,  68, 109, 103,  77,
   24,  35,  55,  64,  81, 104, 113,  92,
   49,  64,  78,  87, 103, 121, 120, 101,
   72,  92,  95,  98, 112, 100, 103,  99,
];

// deno-fmt-ignore
const K2_CHROMA = [
   17,  18,  24,  47,  99,  99,  99,  99,
   18,  21,  26,  66,  99,  99,  99,  99,
   24,  26,  56,  99,  99,  99,  99,  99,
   47,  66,  99,  99,  99,  99,  99,  99,
   99,  99,  99,  99,  99,  99,  99,  99,
   99,  99,  99,  99,  99,  99,  99,  99,
   99,  99,  99,  99,  99,  99,  99,  99,
   99,  99,  99,  99,  99,  99,  99,  99,
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
