/**
 * Test helper: removes the Huffman tables of a JPEG, as many webcams send their MJPEG frames, to
 * test the decoders and the window with such frames.
 *
 * @module
 */

import { scanJpegHeader } from "../../lib/jpeg/mod.ts";

/**
 * Removes every DHT segment before the first SOS: what a webcam's MJPEG frame looks like. Used by
 * tests to make such frames from ordinary JPEGs; returns `jpeg` itself when there is nothing to
 * remove.
 */
export function withoutHuffmanTables(jpeg: Uint8Array): Uint8Array {
  const { sosOffset, hasDht } = scanJpegHeader(jpeg);
  if (!hasDht || sosOffset < 0) return jpeg;
  const parts: Uint8Array[] = [jpeg.subarray(0, 2)];
  let i = 2;
  while (i < sosOffset) {
    if (jpeg[i + 1] === 0xff) {
      parts.push(jpeg.subarray(i, i + 1));
      i++;
      continue;
    }
    const marker = jpeg[i + 1];
    const standalone = marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8);
    const end = standalone ? i + 2 : i + 2 + ((jpeg[i + 2] << 8) | jpeg[i + 3]);
    if (marker !== 0xc4) parts.push(jpeg.subarray(i, end));
    i = end;
  }
  parts.push(jpeg.subarray(sosOffset));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
