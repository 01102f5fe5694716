import assert from "node:assert/strict";
import { makeJpeg } from "../../tests/support/test_jpegs.ts";
import {
  scanJpegHeader,
  STANDARD_DHT_SEGMENT,
  withStandardHuffmanTables,
} from "./huffman_tables.ts";
import { withoutHuffmanTables } from "../../tests/support/strip_huffman.ts";

/** Huffman tables defined before the first SOS, keyed "class/id", as hex of BITS + HUFFVAL. */
function huffmanTables(jpeg: Uint8Array): Map<string, string> {
  const tables = new Map<string, string>();
  const { sosOffset } = scanJpegHeader(jpeg);
  let i = 2;
  while (i < sosOffset) {
    const length = (jpeg[i + 2] << 8) | jpeg[i + 3];
    if (jpeg[i + 1] === 0xc4) {
      let t = i + 4;
      while (t < i + 2 + length) {
        const count = jpeg.subarray(t + 1, t + 17).reduce((a, b) => a + b, 0);
        const body = jpeg.subarray(t + 1, t + 17 + count);
        tables.set(`${jpeg[t] >> 4}/${jpeg[t] & 15}`, Array.from(body).join(","));
        t += 17 + count;
      }
    }
    i += 2 + length;
  }
  return tables;
}

Deno.test("the standard tables are the ones ffmpeg writes with -huffman default", async () => {
  const jpeg = await makeJpeg({ source: "testsrc2", width: 64, height: 48 });
  const ffmpegTables = huffmanTables(jpeg);
  assert.equal(ffmpegTables.size, 4);
  const ours = huffmanTables(Uint8Array.from([0xff, 0xd8, ...STANDARD_DHT_SEGMENT, 0xff, 0xda]));
  assert.deepEqual(ours, ffmpegTables);
});

Deno.test("stripping and re-inserting tables gives a frame with tables before SOS", async () => {
  const jpeg = await makeJpeg({ source: "testsrc2", width: 64, height: 48 });
  const original = scanJpegHeader(jpeg);
  assert.deepEqual([original.hasDht, original.width, original.height], [true, 64, 48]);
  assert.equal(withStandardHuffmanTables(jpeg), jpeg, "frames with tables stay as they are");

  const stripped = withoutHuffmanTables(jpeg);
  const strippedScan = scanJpegHeader(stripped);
  assert.equal(strippedScan.hasDht, false);
  assert.ok(strippedScan.sosOffset > 0);
  assert.deepEqual(
    stripped.subarray(strippedScan.sosOffset),
    jpeg.subarray(original.sosOffset),
    "scan data untouched",
  );

  const fixed = withStandardHuffmanTables(stripped);
  const fixedScan = scanJpegHeader(fixed);
  assert.equal(fixedScan.hasDht, true);
  assert.deepEqual(
    fixed.subarray(fixedScan.sosOffset - STANDARD_DHT_SEGMENT.length, fixedScan.sosOffset),
    STANDARD_DHT_SEGMENT,
  );
  assert.deepEqual(huffmanTables(fixed), huffmanTables(jpeg));
});

Deno.test("scanJpegHeader never throws on garbage or truncation (seeded fuzz)", async () => {
  const jpeg = await makeJpeg({ source: "testsrc2", width: 32, height: 32 });
  let seed = 42;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < 500; i++) {
    const cut = jpeg.slice(0, Math.floor(rand() * jpeg.length));
    for (let k = 0; k < 3; k++) cut[Math.floor(rand() * cut.length)] = Math.floor(rand() * 256);
    const scan = scanJpegHeader(cut);
    assert.ok(scan.sosOffset < cut.length);
    const fixed = withStandardHuffmanTables(cut);
    assert.ok(fixed === cut || fixed.length === cut.length + STANDARD_DHT_SEGMENT.length);
    withoutHuffmanTables(cut);
  }
  assert.equal(scanJpegHeader(new Uint8Array([1, 2, 3])).sosOffset, -1);
  assert.equal(withStandardHuffmanTables(new Uint8Array(0)).length, 0);
});
