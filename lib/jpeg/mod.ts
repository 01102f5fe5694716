/**
 * JPEG bytes: splitting ffmpeg's MJPEG stream into frames, parsing a frame's headers, and the
 * standard Huffman tables many webcams leave out.
 *
 * @module
 */

export {
  scanJpegHeader,
  STANDARD_DHT_SEGMENT,
  withStandardHuffmanTables,
} from "./huffman_tables.ts";
export { findScanEnd, parseJpeg, ZIGZAG } from "./parse.ts";
export type { JpegInfo } from "./parse.ts";
export { JpegSplitter } from "./splitter.ts";
