/**
 * Just enough JPEG (ITU T.81) parsing to carry a frame over RTP/JPEG (RFC 2435) and to rebuild
 * one: frame header, quantization and Huffman tables, restart interval, and where the
 * entropy-coded scan data starts and ends. It never decodes pixels and never throws.
 *
 * @module
 */

import { STANDARD_DHT_SEGMENT } from "./huffman_tables.ts";

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

// Slot byte (class << 4 | id) -> the 16 code counts and the symbols of the ITU T.81 Annex K.3
// table for that slot, read back from the DHT segment jpeg_dht.ts builds.
const STANDARD_TABLES: ReadonlyMap<number, Uint8Array> = (() => {
  const tables = new Map<number, Uint8Array>();
  const body = STANDARD_DHT_SEGMENT.subarray(4);
  let p = 0;
  while (p + 17 <= body.length) {
    let total = 0;
    for (let i = 1; i <= 16; i++) total += body[p + i];
    tables.set(body[p], body.subarray(p + 1, p + 17 + total));
    p += 17 + total;
  }
  return tables;
})();

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

function isStandard(slot: number, table: Uint8Array): boolean {
  const standard = STANDARD_TABLES.get(slot);
  if (standard === undefined || standard.length !== table.length) return false;
  for (let i = 0; i < table.length; i++) if (table[i] !== standard[i]) return false;
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
    if (code !== 0x00 && !(code >= 0xd0 && code <= 0xd7)) return i;
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
        const counts = body.subarray(p + 1, p + 17);
        let total = 0;
        for (const n of counts) total += n;
        if (tableClass > 1 || p + 17 + total > body.length) return fail("badSegment");
        if (!isStandard(body[p], body.subarray(p + 1, p + 17 + total))) {
          standardHuffmanTables = false;
        }
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
