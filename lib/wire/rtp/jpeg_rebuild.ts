/**
 * Rebuilds the JPEG headers RTP/JPEG does not carry (RFC 2435 Appendix B): SOI, DQT, SOF, the
 * standard Huffman tables, DRI and SOS, from the fields of a frame's RTP/JPEG headers.
 *
 * @module
 */

import { STANDARD_DHT_SEGMENT } from "../../jpeg/mod.ts";

/** What the JPEG headers of a rebuilt frame are made from. */
export interface RebuildParams {
  /** RFC 2435 type: 0, 1, 64 or 65. */
  type: number;
  /** Width in 8-pixel blocks, 1..255. */
  widthBlocks: number;
  /** Height in 8-pixel blocks, 1..255. */
  heightBlocks: number;
  /** Luma table, zig-zag order, 64 entries. */
  lumaTable: Uint16Array | Uint8Array;
  /** Chroma table, zig-zag order, 64 entries. */
  chromaTable: Uint16Array | Uint8Array;
  /** Bit 0: luma table is 16-bit; bit 1: chroma table is 16-bit (RFC 2435 precision field). */
  precision: number;
  /** MCUs per restart interval (types 64..127), else 0. */
  restartInterval: number;
}

function segment(out: number[], marker: number, body: number[]): void {
  const length = body.length + 2;
  out.push(0xff, marker, length >> 8, length & 0xff, ...body);
}

/**
 * The JPEG bytes that precede the scan data of a frame described by `params`: SOI, DQT, SOF0
 * (SOF1 with 16-bit tables), the standard DHT tables, DRI when the type has restart markers,
 * and SOS. Follows RFC 2435 Appendix B.
 */
export function buildJpegHeaders(params: RebuildParams): Uint8Array {
  const out: number[] = [0xff, 0xd8];
  const dqt: number[] = [];
  const tables = [params.lumaTable, params.chromaTable];
  for (let id = 0; id < 2; id++) {
    const wide = (params.precision >> id) & 1;
    dqt.push((wide << 4) | id);
    for (const value of tables[id]) {
      if (wide) dqt.push(value >> 8, value & 0xff);
      else dqt.push(value & 0xff);
    }
  }
  segment(out, 0xdb, dqt);
  const height = params.heightBlocks * 8;
  const width = params.widthBlocks * 8;
  const lumaSampling = (params.type & 63) === 0 ? 0x21 : 0x22;
  segment(out, params.precision !== 0 ? 0xc1 : 0xc0, [
    8,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    3,
    ...[1, lumaSampling, 0],
    ...[2, 0x11, 1],
    ...[3, 0x11, 1],
  ]);
  out.push(...STANDARD_DHT_SEGMENT);
  if (params.type >= 64) {
    segment(out, 0xdd, [params.restartInterval >> 8, params.restartInterval & 0xff]);
  }
  // Three components: luma with tables 0/0, both chroma with 1/1; full spectrum, no approximation.
  segment(out, 0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);
  return new Uint8Array(out);
}
