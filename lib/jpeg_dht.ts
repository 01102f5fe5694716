/**
 * Standard Huffman tables for JPEGs that omit them.
 *
 * Many webcams send "MJPEG" frames without a DHT (Define Huffman Table) segment: the AVI1/MJPEG
 * convention is that such frames use the example tables of ITU-T T.81 Annex K.3. libjpeg-turbo
 * fills them in by itself, other decoders refuse the frame. {@linkcode withStandardHuffmanTables}
 * inserts the tables before the first SOS so any baseline decoder accepts the frame.
 *
 * @module
 */

// Annex K.3: BITS (count of codes of each length 1..16) followed by HUFFVAL.
const DC_LUMA_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_CHROMA_BITS = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
const DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_LUMA_BITS = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
const AC_LUMA_VALUES = [
  0x01,
  0x02,
  0x03,
  0x00,
  0x04,
  0x11,
  0x05,
  0x12,
  0x21,
  0x31,
  0x41,
  0x06,
  0x13,
  0x51,
  0x61,
  0x07,
  0x22,
  0x71,
  0x14,
  0x32,
  0x81,
  0x91,
  0xa1,
  0x08,
  0x23,
  0x42,
  0xb1,
  0xc1,
  0x15,
  0x52,
  0xd1,
  0xf0,
  0x24,
  0x33,
  0x62,
  0x72,
  0x82,
  0x09,
  0x0a,
  0x16,
  0x17,
  0x18,
  0x19,
  0x1a,
  0x25,
  0x26,
  0x27,
  0x28,
  0x29,
  0x2a,
  0x34,
  0x35,
  0x36,
  0x37,
  0x38,
  0x39,
  0x3a,
  0x43,
  0x44,
  0x45,
  0x46,
  0x47,
  0x48,
  0x49,
  0x4a,
  0x53,
  0x54,
  0x55,
  0x56,
  0x57,
  0x58,
  0x59,
  0x5a,
  0x63,
  0x64,
  0x65,
  0x66,
  0x67,
  0x68,
  0x69,
  0x6a,
  0x73,
  0x74,
  0x75,
  0x76,
  0x77,
  0x78,
  0x79,
  0x7a,
  0x83,
  0x84,
  0x85,
  0x86,
  0x87,
  0x88,
  0x89,
  0x8a,
  0x92,
  0x93,
  0x94,
  0x95,
  0x96,
  0x97,
  0x98,
  0x99,
  0x9a,
  0xa2,
  0xa3,
  0xa4,
  0xa5,
  0xa6,
  0xa7,
  0xa8,
  0xa9,
  0xaa,
  0xb2,
  0xb3,
  0xb4,
  0xb5,
  0xb6,
  0xb7,
  0xb8,
  0xb9,
  0xba,
  0xc2,
  0xc3,
  0xc4,
  0xc5,
  0xc6,
  0xc7,
  0xc8,
  0xc9,
  0xca,
  0xd2,
  0xd3,
  0xd4,
  0xd5,
  0xd6,
  0xd7,
  0xd8,
  0xd9,
  0xda,
  0xe1,
  0xe2,
  0xe3,
  0xe4,
  0xe5,
  0xe6,
  0xe7,
  0xe8,
  0xe9,
  0xea,
  0xf1,
  0xf2,
  0xf3,
  0xf4,
  0xf5,
  0xf6,
  0xf7,
  0xf8,
  0xf9,
  0xfa,
];
const AC_CHROMA_BITS = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
const AC_CHROMA_VALUES = [
  0x00,
  0x01,
  0x02,
  0x03,
  0x11,
  0x04,
  0x05,
  0x21,
  0x31,
  0x06,
  0x12,
  0x41,
  0x51,
  0x07,
  0x61,
  0x71,
  0x13,
  0x22,
  0x32,
  0x81,
  0x08,
  0x14,
  0x42,
  0x91,
  0xa1,
  0xb1,
  0xc1,
  0x09,
  0x23,
  0x33,
  0x52,
  0xf0,
  0x15,
  0x62,
  0x72,
  0xd1,
  0x0a,
  0x16,
  0x24,
  0x34,
  0xe1,
  0x25,
  0xf1,
  0x17,
  0x18,
  0x19,
  0x1a,
  0x26,
  0x27,
  0x28,
  0x29,
  0x2a,
  0x35,
  0x36,
  0x37,
  0x38,
  0x39,
  0x3a,
  0x43,
  0x44,
  0x45,
  0x46,
  0x47,
  0x48,
  0x49,
  0x4a,
  0x53,
  0x54,
  0x55,
  0x56,
  0x57,
  0x58,
  0x59,
  0x5a,
  0x63,
  0x64,
  0x65,
  0x66,
  0x67,
  0x68,
  0x69,
  0x6a,
  0x73,
  0x74,
  0x75,
  0x76,
  0x77,
  0x78,
  0x79,
  0x7a,
  0x82,
  0x83,
  0x84,
  0x85,
  0x86,
  0x87,
  0x88,
  0x89,
  0x8a,
  0x92,
  0x93,
  0x94,
  0x95,
  0x96,
  0x97,
  0x98,
  0x99,
  0x9a,
  0xa2,
  0xa3,
  0xa4,
  0xa5,
  0xa6,
  0xa7,
  0xa8,
  0xa9,
  0xaa,
  0xb2,
  0xb3,
  0xb4,
  0xb5,
  0xb6,
  0xb7,
  0xb8,
  0xb9,
  0xba,
  0xc2,
  0xc3,
  0xc4,
  0xc5,
  0xc6,
  0xc7,
  0xc8,
  0xc9,
  0xca,
  0xd2,
  0xd3,
  0xd4,
  0xd5,
  0xd6,
  0xd7,
  0xd8,
  0xd9,
  0xda,
  0xe2,
  0xe3,
  0xe4,
  0xe5,
  0xe6,
  0xe7,
  0xe8,
  0xe9,
  0xea,
  0xf2,
  0xf3,
  0xf4,
  0xf5,
  0xf6,
  0xf7,
  0xf8,
  0xf9,
  0xfa,
];

/** One DHT segment (marker included) holding the four Annex K.3 tables. */
export const STANDARD_DHT_SEGMENT: Uint8Array = buildDhtSegment([
  [0x00, DC_LUMA_BITS, DC_VALUES],
  [0x01, DC_CHROMA_BITS, DC_VALUES],
  [0x10, AC_LUMA_BITS, AC_LUMA_VALUES],
  [0x11, AC_CHROMA_BITS, AC_CHROMA_VALUES],
]);

function buildDhtSegment(tables: [number, number[], number[]][]): Uint8Array {
  const body: number[] = [];
  for (const [classAndId, bits, values] of tables) body.push(classAndId, ...bits, ...values);
  const length = body.length + 2;
  return Uint8Array.from([0xff, 0xc4, length >> 8, length & 0xff, ...body]);
}

/** Where the tables before the first scan are, as found by {@linkcode scanJpegHeader}. */
export interface JpegHeaderScan {
  /** Offset of the first SOS marker (0xFF 0xDA), or -1 when none was found. */
  readonly sosOffset: number;
  /** Whether a DHT segment appears before the first SOS. */
  readonly hasDht: boolean;
  /** Frame width from the SOF segment, 0 when none was seen. */
  readonly width: number;
  /** Frame height from the SOF segment, 0 when none was seen (or defined later by DNL). */
  readonly height: number;
}

/**
 * Walks the marker segments from SOI up to the first SOS.
 *
 * Never throws: a buffer that is not a JPEG or is cut short yields `sosOffset: -1`. The walk is
 * bounded by the buffer length since every step advances by at least one byte.
 */
export function scanJpegHeader(jpeg: Uint8Array): JpegHeaderScan {
  let hasDht = false, width = 0, height = 0;
  const fail = () => ({ sosOffset: -1, hasDht, width, height });
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return fail();
  let i = 2;
  while (i + 1 < jpeg.length) {
    if (jpeg[i] !== 0xff) return fail();
    const marker = jpeg[i + 1];
    if (marker === 0xff) {
      i++; // fill byte before a marker
      continue;
    }
    if (marker === 0xda) return { sosOffset: i, hasDht, width, height };
    // Standalone markers carry no length field.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || i + 3 >= jpeg.length) return fail();
    const length = (jpeg[i + 2] << 8) | jpeg[i + 3];
    if (length < 2) return fail();
    if (marker === 0xc4) hasDht = true;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): P(1) Y(2) X(2) ...
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 &&
      marker !== 0xcc;
    if (isSof && length >= 7 && i + 8 < jpeg.length) {
      height = (jpeg[i + 5] << 8) | jpeg[i + 6];
      width = (jpeg[i + 7] << 8) | jpeg[i + 8];
    }
    i += 2 + length;
  }
  return fail();
}

/**
 * Returns `jpeg` itself when it defines Huffman tables before its first scan (or is not a JPEG we
 * can walk: the decoder reports that better), otherwise a new buffer with
 * {@linkcode STANDARD_DHT_SEGMENT} inserted right before the first SOS.
 */
export function withStandardHuffmanTables(jpeg: Uint8Array): Uint8Array {
  const { sosOffset, hasDht } = scanJpegHeader(jpeg);
  if (hasDht || sosOffset < 0) return jpeg;
  const out = new Uint8Array(jpeg.length + STANDARD_DHT_SEGMENT.length);
  out.set(jpeg.subarray(0, sosOffset), 0);
  out.set(STANDARD_DHT_SEGMENT, sosOffset);
  out.set(jpeg.subarray(sosOffset), sosOffset + STANDARD_DHT_SEGMENT.length);
  return out;
}

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
