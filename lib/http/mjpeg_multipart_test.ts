import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { Prng } from "../netsim/mod.ts";
import {
  MJPEG_BOUNDARY,
  mjpegContentType,
  mjpegPart,
  mjpegPreamble,
  MjpegReader,
} from "./mjpeg_multipart.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const jpegLike = (prng: Prng, length: number) => {
  const bytes = prng.bytes(length);
  bytes.set([0xff, 0xd8], 0);
  bytes.set([0xff, 0xd9], length - 2);
  return bytes;
};

Deno.test("mjpegPart: headers, unchanged body, then the delimiter", () => {
  const jpeg = new Uint8Array([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
  const part = mjpegPart(jpeg, { "X-Frame-Seq": "42" });
  const head = "Content-Type: image/jpeg\r\nContent-Length: 7\r\nX-Frame-Seq: 42\r\n\r\n";
  equal(text(part.subarray(0, head.length)), head);
  deepStrictEqual(part.subarray(head.length, head.length + 7), jpeg);
  equal(text(part.subarray(head.length + 7)), `\r\n--${MJPEG_BOUNDARY}\r\n`);
  equal(text(mjpegPreamble()), `--${MJPEG_BOUNDARY}\r\n`);
  equal(mjpegContentType("b"), "multipart/x-mixed-replace; boundary=b");
});

Deno.test("mjpegPart refuses header injection", () => {
  throws(() => mjpegPart(new Uint8Array(2), { "X-A": "1\r\nX-B: 2" }), /plain ASCII/);
  throws(() => mjpegPart(new Uint8Array(2), { "X A": "1" }), /plain ASCII/);
});

Deno.test("MjpegReader reads back any chunking of written parts (seeded)", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const prng = new Prng(seed);
    const frames = Array.from({ length: prng.int(1, 6) }, () => jpegLike(prng, prng.int(2, 5000)));
    const chunks = [
      mjpegPreamble(),
      ...frames.map((f, i) => mjpegPart(f, { "X-Frame-Seq": `${i}` })),
    ];
    const stream = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const chunk of chunks) {
      stream.set(chunk, at);
      at += chunk.length;
    }
    const reader = new MjpegReader(MJPEG_BOUNDARY, { maxPartBytes: 5000 });
    const read = [];
    for (let from = 0; from < stream.length;) {
      const to = Math.min(stream.length, from + prng.int(1, 3000));
      read.push(...reader.push(stream.subarray(from, to)));
      from = to;
    }
    equal(read.length, frames.length, `seed ${seed}`);
    read.forEach((part, i) => {
      deepStrictEqual(part.body, frames[i], `seed ${seed} part ${i}`);
      equal(part.headers["content-type"], "image/jpeg");
      equal(part.headers["x-frame-seq"], String(i));
    });
    equal(reader.bufferedBytes, 0);
  }
});

Deno.test("MjpegReader also accepts a boundary before each part (other servers' style)", () => {
  const enc = new TextEncoder();
  const body = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
  const part = (b: Uint8Array) =>
    new Uint8Array([
      ...enc.encode(`\r\n--x\r\nContent-Type: image/jpeg\r\nContent-Length: ${b.length}\r\n\r\n`),
      ...b,
    ]);
  const reader = new MjpegReader("x");
  const read = reader.push(
    new Uint8Array([...part(body), ...part(body), ...enc.encode("\r\n--x--\r\n")]),
  );
  equal(read.length, 2);
  deepStrictEqual(read[1].body, body);
});

Deno.test("MjpegReader explains malformed streams and enforces its caps", () => {
  const enc = new TextEncoder();
  const table: [string, RegExp, number?][] = [
    ["nope\r\n", /expected the boundary "--b", got "nope"/],
    ["--b\r\nContent-Type: image/jpeg\r\n\r\n", /no valid Content-Length/],
    ["--b\r\nContent-Length: -1\r\n\r\n", /no valid Content-Length/],
    ["--b\r\nbroken header\r\n", /bad part header "broken header"/],
    ["--b\r\nContent-Length: 101\r\n\r\n", /101 bytes exceeds the limit of 100/],
    [`--b\r\nX: ${"a".repeat(300)}`, /longer than 256 bytes/],
    [`--b\r\n${"X: a\r\n".repeat(60)}`, /headers exceed 256 bytes/],
  ];
  for (const [input, expected] of table) {
    const reader = new MjpegReader("b", { maxPartBytes: 100, maxHeaderBytes: 256 });
    throws(() => reader.push(enc.encode(input)), expected, input);
  }
});
