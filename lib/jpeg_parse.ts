/**
 * Just enough JPEG (ITU T.81) parsing to carry a frame over RTP/JPEG (RFC 2435) and to rebuild
 * one: frame header, quantization and Huffman tables, restart interval, and where the
 * entropy-coded scan data starts and ends. It never decodes pixels and never throws.
 *
 * @module
 */

/** Marker codes (the byte after 0xFF) this module cares about. */
export const JpegMarker = {
  /** Start of image. */
  SOI: 0xd8,
  /** End of image. */
  EOI: 0xd9,
  /** Baseline DCT frame header. */
  SOF0: 0xc0,
  /** Extended sequential DCT, Huffman coded. */
  SOF1: 0xc1,
  /** Define Huffman tables. */
  DHT: 0xc4,
  /** Define quantization tables. */
  DQT: 0xdb,
  /** Define restart interval. */
  DRI: 0xdd,
  /** Start of scan. */
  SOS: 0xda,
} as const;

/** One image component as declared by the frame header and the scan header. */
export interface JpegComponent {
  /** Component id from the frame header (usually 1, 2, 3). */
  id: number;
  /** Horizontal sampling factor, 1..4. */
  horizontalSampling: number;
  /** Vertical sampling factor, 1..4. */
  verticalSampling: number;
  /** Quantization table destination, 0..3. */
  quantTableId: number;
  /** DC Huffman table selector from the scan header, or -1 when the scan does not name it. */
  dcTableId: number;
  /** AC Huffman table selector from the scan header, or -1 when the scan does not name it. */
  acTableId: number;
}

/** A quantization table in zig-zag order, as a DQT segment stores it. */
export interface QuantTable {
  /** 0 for 8-bit entries, 1 for 16-bit entries. */
  precision: number;
  /** The 64 entries in zig-zag order. */
  values: Uint16Array;
}

/** The facts {@linkcode parseJpeg} extracts. Offsets index the parsed buffer. */
export interface JpegInfo {
  /** The SOFn marker byte (0xC0 for baseline). */
  frameMarker: number;
  /** Sample precision in bits (8 for baseline). */
  sampleBits: number;
  /** Image width in pixels. */
  width: number;
  /** Image height in pixels. */
  height: number;
  /** Components in frame-header order, with the scan's table selectors filled in. */
  components: JpegComponent[];
  /** Quantization tables by destination id (0..3). */
  quantTables: Map<number, QuantTable>;
  /** MCUs per restart interval, 0 when the image has no DRI. */
  restartInterval: number;
  /** True when every DHT table present equals the ITU T.81 Annex K.3 table for its slot. */
  standardHuffmanTables: boolean;
  /** Number of SOS segments before EOI (1 for the baseline interleaved images RTP can carry). */
  scanCount: number;
  /** Scan header fields: spectral selection start/end and successive approximation. */
  scan: { spectralStart: number; spectralEnd: number; approximation: number };
  /** Offset of the first entropy-coded byte of the first scan. */
  scanStart: number;
  /** Offset just past the last entropy-coded byte of the first scan (where its marker starts). */
  scanEnd: number;
  /** Offset of the EOI marker. */
  eoiOffset: number;
}

/** Why {@linkcode parseJpeg} gave up. */
export type JpegParseFailure =
  | "noSoi"
  | "truncated"
  | "badMarker"
  | "badSegment"
  | "noFrameHeader"
  | "noScan"
  | "noEoi";

/** Result of {@linkcode parseJpeg}. */
export type JpegParseResult =
  | { ok: true; info: JpegInfo }
  | { ok: false; reason: JpegParseFailure };

/** A Huffman table as DHT stores it: code counts per length 1..16, then the symbols. */
export interface HuffmanSpec {
  /** Number of codes of each length 1..16. */
  counts: readonly number[];
  /** The symbols, shortest codes first. */
  symbols: readonly number[];
}

// ITU T.81 Annex K.3 (Tables K.3 to K.6), the tables RFC 2435 receivers assume.

/** Table K.3: luminance DC differences. */
export const STANDARD_DC_LUMA: HuffmanSpec = {
  counts: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
  symbols: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
};

/** Table K.4: chrominance DC differences. */
export const STANDARD_DC_CHROMA: HuffmanSpec = {
  counts: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
  symbols: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
};

/** Table K.5: luminance AC coefficients. */
export const STANDARD_AC_LUMA: HuffmanSpec = {
  counts: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  symbols: [
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
  ],
};

/** Table K.6: chrominance AC coefficients. */
export const STANDARD_AC_CHROMA: HuffmanSpec = {
  counts: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
  symbols: [
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
  ],
};

/** The standard table for DHT slot (class 0 = DC / 1 = AC, id), or undefined for ids above 1. */
export function standardHuffmanTable(tableClass: number, id: number): HuffmanSpec | undefined {
  if (id === 0) return tableClass === 0 ? STANDARD_DC_LUMA : STANDARD_AC_LUMA;
  if (id === 1) return tableClass === 0 ? STANDARD_DC_CHROMA : STANDARD_AC_CHROMA;
  return undefined;
}

/** `ZIGZAG[k]` is the natural (row-major) index of the k-th coefficient in zig-zag order. */
export const ZIGZAG: readonly number[] = (() => {
  const order: number[] = [];
  // Walk the anti-diagonals, alternating direction, as T.81 Figure A.6 draws it.
  for (let sum = 0; sum < 15; sum++) {
    const cells: number[] = [];
    for (let row = 0; row < 8; row++) {
      const col = sum - row;
      if (col >= 0 && col < 8) cells.push(row * 8 + col);
    }
    // Even diagonals run bottom-left to top-right (row decreasing).
    if (sum % 2 === 0) cells.reverse();
    order.push(...cells);
  }
  return order;
})();

function isStandard(tableClass: number, id: number, counts: Uint8Array, symbols: Uint8Array) {
  const standard = standardHuffmanTable(tableClass, id);
  if (standard === undefined || standard.symbols.length !== symbols.length) return false;
  for (let i = 0; i < 16; i++) if (counts[i] !== standard.counts[i]) return false;
  for (let i = 0; i < symbols.length; i++) if (symbols[i] !== standard.symbols[i]) return false;
  return true;
}

function isStandalone(marker: number): boolean {
  // TEM and RSTn carry no length field.
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

/**
 * Finds the end of entropy-coded data starting at `start`: the offset of the first 0xFF that
 * begins a real marker (not a stuffed 0xFF00, not RSTn), or -1 when the buffer ends first.
 */
export function findScanEnd(bytes: Uint8Array, start: number): number {
  let i = bytes.indexOf(0xff, start);
  while (i !== -1 && i + 1 < bytes.length) {
    let next = i + 1;
    // Any number of 0xFF fill bytes may precede a marker.
    while (next < bytes.length && bytes[next] === 0xff) next++;
    if (next >= bytes.length) return -1;
    const code = bytes[next];
    if (code !== 0x00 && !(code >= 0xd0 && code <= 0xd7)) return next - 1;
    i = bytes.indexOf(0xff, next + 1);
  }
  return -1;
}

/**
 * Parses the marker structure of a JPEG from SOI through EOI. Checks lengths, not pixels.
 * Never throws; every read is bounds-checked.
 */
export function parseJpeg(bytes: Uint8Array): JpegParseResult {
  const fail = (reason: JpegParseFailure): JpegParseResult => ({ ok: false, reason });
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== JpegMarker.SOI) return fail("noSoi");

  let frame: Pick<JpegInfo, "frameMarker" | "sampleBits" | "width" | "height"> | null = null;
  const components: JpegComponent[] = [];
  const quantTables = new Map<number, QuantTable>();
  let restartInterval = 0;
  let standardHuffmanTables = true;
  let scanCount = 0;
  let scan = { spectralStart: 0, spectralEnd: 0, approximation: 0 };
  let scanStart = -1;
  let scanEnd = -1;

  let at = 2;
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) return fail("badMarker");
    while (at < bytes.length && bytes[at] === 0xff) at++;
    if (at >= bytes.length) return fail("truncated");
    const marker = bytes[at++];
    if (marker === JpegMarker.EOI) {
      if (frame === null) return fail("noFrameHeader");
      if (scanCount === 0) return fail("noScan");
      return {
        ok: true,
        info: {
          ...frame,
          components,
          quantTables,
          restartInterval,
          standardHuffmanTables,
          scanCount,
          scan,
          scanStart,
          scanEnd,
          eoiOffset: at - 2,
        },
      };
    }
    if (marker === 0x00 || marker === JpegMarker.SOI) return fail("badMarker");
    if (isStandalone(marker)) continue;
    if (at + 2 > bytes.length) return fail("truncated");
    const length = (bytes[at] << 8) | bytes[at + 1];
    if (length < 2) return fail("badSegment");
    const end = at + length;
    if (end > bytes.length) return fail("truncated");
    const body = bytes.subarray(at + 2, end);

    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (frame !== null || body.length < 6) return fail("badSegment");
      const count = body[5];
      if (body.length !== 6 + 3 * count || count === 0) return fail("badSegment");
      frame = {
        frameMarker: marker,
        sampleBits: body[0],
        height: (body[1] << 8) | body[2],
        width: (body[3] << 8) | body[4],
      };
      for (let c = 0; c < count; c++) {
        const p = 6 + 3 * c;
        components.push({
          id: body[p],
          horizontalSampling: body[p + 1] >> 4,
          verticalSampling: body[p + 1] & 0x0f,
          quantTableId: body[p + 2],
          dcTableId: -1,
          acTableId: -1,
        });
      }
    } else if (marker === JpegMarker.DQT) {
      let p = 0;
      while (p < body.length) {
        const precision = body[p] >> 4;
        const id = body[p] & 0x0f;
        const entryBytes = precision === 0 ? 1 : 2;
        if (precision > 1 || id > 3 || p + 1 + 64 * entryBytes > body.length) {
          return fail("badSegment");
        }
        const values = new Uint16Array(64);
        for (let k = 0; k < 64; k++) {
          const q = p + 1 + k * entryBytes;
          values[k] = entryBytes === 1 ? body[q] : (body[q] << 8) | body[q + 1];
        }
        quantTables.set(id, { precision, values });
        p += 1 + 64 * entryBytes;
      }
    } else if (marker === JpegMarker.DHT) {
      let p = 0;
      while (p < body.length) {
        if (p + 17 > body.length) return fail("badSegment");
        const tableClass = body[p] >> 4;
        const id = body[p] & 0x0f;
        const counts = body.subarray(p + 1, p + 17);
        let total = 0;
        for (const n of counts) total += n;
        if (tableClass > 1 || p + 17 + total > body.length) return fail("badSegment");
        const symbols = body.subarray(p + 17, p + 17 + total);
        if (!isStandard(tableClass, id, counts, symbols)) standardHuffmanTables = false;
        p += 17 + total;
      }
    } else if (marker === JpegMarker.DRI) {
      if (body.length !== 2) return fail("badSegment");
      restartInterval = (body[0] << 8) | body[1];
    } else if (marker === JpegMarker.SOS) {
      if (frame === null) return fail("noFrameHeader");
      const count = body[0] ?? 0;
      if (count === 0 || body.length !== 1 + 2 * count + 3) return fail("badSegment");
      scanCount++;
      if (scanCount === 1) {
        for (let c = 0; c < count; c++) {
          const component = components.find((x) => x.id === body[1 + 2 * c]);
          if (component === undefined) return fail("badSegment");
          component.dcTableId = body[2 + 2 * c] >> 4;
          component.acTableId = body[2 + 2 * c] & 0x0f;
        }
        const p = 1 + 2 * count;
        scan = { spectralStart: body[p], spectralEnd: body[p + 1], approximation: body[p + 2] };
      }
      const dataEnd = findScanEnd(bytes, end);
      if (dataEnd === -1) return fail("noEoi");
      if (scanCount === 1) {
        scanStart = end;
        scanEnd = dataEnd;
      }
      at = dataEnd;
      continue;
    }
    at = end;
  }
  return fail("noEoi");
}
