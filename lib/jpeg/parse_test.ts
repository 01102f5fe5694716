import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { findScanEnd, parseJpeg } from "./parse.ts";
import { testsrcJpegs } from "../../tests/support/ffmpeg_frames.ts";
import { Prng } from "../netsim/mod.ts";

Deno.test("findScanEnd skips stuffed bytes, restart markers and fill bytes", () => {
  const table: [number[], number][] = [
    [[0x12, 0xff, 0x00, 0x34, 0xff, 0xd9], 4], // FF00 is a data byte
    [[0x12, 0xff, 0xd0, 0x34, 0xff, 0xd9], 4], // RST0 belongs to the scan
    [[0x12, 0xff, 0xff, 0xd9], 1], // fill byte, then EOI
    [[0x12, 0xff, 0x00], -1], // no marker before the end
  ];
  for (const [bytes, expected] of table) {
    equal(findScanEnd(Uint8Array.from(bytes), 0), expected, bytes.join(" "));
  }
});

Deno.test("parseJpeg reads an ffmpeg frame: 4:2:0, one shared table, standard Huffman", async () => {
  const [frame] = await testsrcJpegs(1);
  const parsed = parseJpeg(frame);
  ok(parsed.ok);
  const info = parsed.info;
  deepStrictEqual([info.frameMarker, info.sampleBits, info.width, info.height], [
    0xc0,
    8,
    320,
    240,
  ]);
  deepStrictEqual(
    info.components.map((c) => [c.id, c.horizontalSampling, c.verticalSampling, c.dcTableId]),
    [[1, 2, 2, 0], [2, 1, 1, 1], [3, 1, 1, 1]],
  );
  equal(info.standardHuffmanTables, true);
  equal(info.scanCount, 1);
  equal(info.eoiOffset, frame.length - 2);
  equal(info.scanEnd, info.eoiOffset);
  const [optimal] = await testsrcJpegs(1, "320x240", ["-pix_fmt", "yuvj420p"]);
  const parsedOptimal = parseJpeg(optimal);
  ok(parsedOptimal.ok);
  equal(parsedOptimal.info.standardHuffmanTables, false);
});

Deno.test("parseJpeg never throws on truncated or corrupted frames", async () => {
  const [frame] = await testsrcJpegs(1);
  const prng = new Prng(3);
  for (let n = 0; n < 300; n++) {
    const bytes = frame.slice(0, prng.int(0, 800));
    for (let flips = prng.int(0, 3); flips > 0; flips--) bytes[prng.int(0, 700)] ^= 0xff;
    const parsed = parseJpeg(bytes);
    if (parsed.ok) ok(parsed.info.scanEnd <= bytes.length);
  }
});
