import assert from "node:assert/strict";
import { JpegSplitter, type JpegSplitterStats } from "./splitter.ts";

// ---------------------------------------------------------------------------------------------
// Helpers

/** mulberry32: tiny seeded PRNG, returns floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function bytes(...values: (number | string | Uint8Array)[]): Uint8Array {
  const parts = values.map((v) =>
    typeof v === "number"
      ? Uint8Array.of(v)
      : typeof v === "string"
      ? new TextEncoder().encode(v)
      : v
  );
  return concat(...parts);
}

/** A marker segment: FF code, 2-byte length (counting itself), payload. */
function segment(code: number, payload: Uint8Array): Uint8Array {
  const length = payload.length + 2;
  return bytes(0xff, code, length >> 8, length & 0xff, payload);
}

function indexOfSeq(haystack: Uint8Array, needle: number[], from = 0): number {
  for (let i = from; i <= haystack.length - needle.length; i++) {
    let ok = true;
    for (let k = 0; k < needle.length && ok; k++) ok = haystack[i + k] === needle[k];
    if (ok) return i;
  }
  return -1;
}

function countSeq(haystack: Uint8Array, needle: number[]): number {
  let count = 0;
  for (let i = indexOfSeq(haystack, needle); i >= 0; i = indexOfSeq(haystack, needle, i + 1)) {
    count++;
  }
  return count;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function describeFrames(frames: Uint8Array[]): string {
  return `[${frames.map((f) => f.length).join(", ")}]`;
}

/** Asserts byte-for-byte equal frame lists, with a compact message. */
function assertFrames(actual: Uint8Array[], expected: Uint8Array[], context: string): void {
  const ok = actual.length === expected.length && actual.every((f, i) => sameBytes(f, expected[i]));
  assert.ok(
    ok,
    `${context}: got frames of sizes ${describeFrames(actual)}, ` +
      `expected ${describeFrames(expected)} (or same sizes with different bytes)`,
  );
}

interface Run {
  frames: Uint8Array[];
  stats: JpegSplitterStats;
  pendingBytes: number;
  maxRetainedBytes: number;
}

/** Feeds `stream` cut at the given chunk lengths (the rest as a final chunk). */
function splitWith(splitter: JpegSplitter, stream: Uint8Array, chunkLengths: number[]): Run {
  const frames: Uint8Array[] = [];
  let at = 0;
  let maxRetainedBytes = 0;
  const feed = (end: number) => {
    frames.push(...splitter.push(stream.subarray(at, end)));
    maxRetainedBytes = Math.max(maxRetainedBytes, splitter.retainedBytes);
    at = end;
  };
  for (const length of chunkLengths) feed(Math.min(stream.length, at + length));
  if (at < stream.length) feed(stream.length);
  return { frames, stats: splitter.stats, pendingBytes: splitter.pendingBytes, maxRetainedBytes };
}

function randomChunkLengths(rand: () => number, total: number): number[] {
  const lengths: number[] = [];
  let sum = 0;
  while (sum < total) {
    const length = rand() < 0.5 ? randInt(rand, 1, 16) : randInt(rand, 1, 4096);
    lengths.push(length);
    sum += length;
  }
  return lengths;
}

/** Garbage without an SOI in it; ends in a non-FF byte unless `mayEndInFF`. */
function garbage(rand: () => number, length: number, mayEndInFF = true): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    // Plenty of FF and marker-like bytes so the seek state is exercised.
    const r = rand();
    out[i] = r < 0.2 ? 0xff : r < 0.3 ? 0xd9 : r < 0.35 ? 0xda : randInt(rand, 0, 255);
    if (out[i] === 0xd8 && i > 0 && out[i - 1] === 0xff) out[i] = 0xd9;
  }
  if (!mayEndInFF && length > 0 && out[length - 1] === 0xff) out[length - 1] = 0x00;
  return out;
}

async function runTool(tool: string, args: string[], pkg: string): Promise<Uint8Array> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(tool, { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `Cannot run ${tool}: it is not installed or not on PATH. Install it (apt-get install ${pkg}) ` +
          "to run the JPEG splitter tests.",
      );
    }
    throw error;
  }
  if (!output.success) {
    throw new Error(
      `Cannot run ${tool} ${args.join(" ")}: exit code ${output.code}. stderr: ` +
        new TextDecoder().decode(output.stderr),
    );
  }
  return output.stdout;
}

function lavfi(size: string, frames: number, quality: number): string[] {
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${size}:rate=30`,
    "-frames:v",
    String(frames),
    "-q:v",
    String(quality),
  ];
}

/** Real ffmpeg JPEGs, one file each (split by ffmpeg itself, not by the code under test). */
async function ffmpegJpegs(size: string, count: number, quality = 5): Promise<Uint8Array[]> {
  const dir = await Deno.makeTempDir({ prefix: "jpeg_splitter_test_" });
  try {
    await runTool("ffmpeg", [...lavfi(size, count, quality), `${dir}/f%03d.jpg`], "ffmpeg");
    const jpegs: Uint8Array[] = [];
    for (let i = 1; i <= count; i++) {
      jpegs.push(await Deno.readFile(`${dir}/f${String(i).padStart(3, "0")}.jpg`));
    }
    return jpegs;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A real progressive JPEG made by ImageMagick from an ffmpeg test picture. */
async function progressiveJpeg(): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "jpeg_splitter_test_" });
  try {
    await runTool("ffmpeg", [...lavfi("96x64", 1, 2), `${dir}/in.png`], "ffmpeg");
    await runTool(
      "convert",
      [`${dir}/in.png`, "-quality", "90", "-interlace", "JPEG", `${dir}/out.jpg`],
      "imagemagick",
    );
    return await Deno.readFile(`${dir}/out.jpg`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Inserts, right after SOI, an EXIF-like APP1 segment holding `thumbnail` (a whole JPEG with its
 * own SOI..EOI) and a COM segment containing stray FFD9/FFD8 bytes.
 */
function withThumbnail(jpeg: Uint8Array, thumbnail: Uint8Array): Uint8Array {
  const tiffHeader = bytes("MM", 0x00, 0x2a, 0, 0, 0, 8);
  const app1 = segment(0xe1, bytes("Exif", 0, 0, tiffHeader, thumbnail));
  const com = segment(0xfe, bytes("x", 0xff, 0xd9, 0xff, 0xd8, 0xff, 0xff, 0xd9));
  return bytes(jpeg.subarray(0, 2), app1, com, jpeg.subarray(2));
}

/** Entropy-coded-looking bytes: random, every FF stuffed as FF00. */
function entropy(rand: () => number, length: number): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    const b = rand() < 0.05 ? 0xff : randInt(rand, 0, 255);
    out.push(b);
    if (b === 0xff) out.push(0x00);
  }
  return Uint8Array.from(out);
}

/**
 * A minimal hand-built baseline JPEG with a restart interval: RSTn markers (one after fill
 * bytes) and FF00 stuffing in its entropy data, a TEM marker, tables containing FFD9/FFD8 bytes,
 * an empty COM segment, a second scan after a DHT, fill bytes before SOS and EOI.
 */
function restartJpeg(seed: number): Uint8Array {
  const rand = mulberry32(seed);
  const dqt = new Uint8Array(65);
  for (let i = 1; i < 65; i++) dqt[i] = randInt(rand, 1, 255);
  dqt.set([0xff, 0xd9, 0xff, 0xd8], 10);
  const dht = new Uint8Array(29);
  dht.set([0x00, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  dht.set([0xff, 0xd9, 0xff, 0xd8], 20);
  const parts: Uint8Array[] = [
    bytes(0xff, 0xd8, 0xff, 0x01), // SOI, TEM
    segment(0xe0, bytes("JFIF", 0, 1, 2, 0, 0, 1, 0, 1, 0, 0)),
    segment(0xdb, dqt),
    segment(0xc0, bytes(8, 0, 16, 0, 16, 1, 1, 0x11, 0)),
    segment(0xc4, dht),
    segment(0xdd, bytes(0, 2)), // DRI
    segment(0xfe, new Uint8Array(0)), // COM with length exactly 2
    bytes(0xff, 0xff), // fill before SOS
    segment(0xda, bytes(1, 1, 0, 0, 0x3f, 0)),
  ];
  for (let rst = 0; rst < 11; rst++) {
    parts.push(entropy(rand, randInt(rand, 20, 200)));
    parts.push(
      rst === 5 ? bytes(0xff, 0xff, 0xff, 0xd0 + (rst % 8)) : bytes(0xff, 0xd0 + (rst % 8)),
    );
  }
  parts.push(entropy(rand, 50));
  parts.push(segment(0xc4, dht)); // tables between scans
  parts.push(segment(0xda, bytes(1, 1, 0, 0, 0x3f, 0)));
  parts.push(entropy(rand, 300));
  parts.push(bytes(0xff, 0xff, 0xd9)); // fill, EOI
  return concat(...parts);
}

interface Fixture {
  stream: Uint8Array;
  frames: Uint8Array[];
  garbageBytes: number;
  garbageRuns: number;
}

/** Frames separated by garbage runs (`null` = no garbage there) before, between and after. */
function buildStream(frames: Uint8Array[], garbageRuns: Uint8Array[]): Fixture {
  assert.equal(garbageRuns.length, frames.length + 1);
  const parts: Uint8Array[] = [];
  frames.forEach((frame, i) => parts.push(garbageRuns[i], frame));
  parts.push(garbageRuns[frames.length]);
  return {
    stream: concat(...parts),
    frames,
    garbageBytes: garbageRuns.reduce((sum, g) => sum + g.length, 0),
    garbageRuns: garbageRuns.filter((g) => g.length > 0).length,
  };
}

function expectedStats(fixture: Fixture): JpegSplitterStats {
  return {
    framesOut: fixture.frames.length,
    bytesDiscarded: fixture.garbageBytes,
    framesOversized: 0,
    resyncs: fixture.garbageRuns,
  };
}

function assertRun(run: Run, fixture: Fixture, context: string): void {
  assertFrames(run.frames, fixture.frames, context);
  assert.deepEqual(run.stats, expectedStats(fixture), context);
  assert.equal(run.pendingBytes, 0, context);
}

/** Every two-chunk split, one byte at a time, and `randomRuns` seeded random chunkings. */
function assertAllChunkings(fixture: Fixture, randomRuns: number, seed: number): void {
  const { stream } = fixture;
  for (let cut = 0; cut <= stream.length; cut++) {
    assertRun(splitWith(new JpegSplitter(), stream, [cut]), fixture, `split at ${cut}`);
  }
  assertRun(
    splitWith(new JpegSplitter(), stream, new Array(stream.length).fill(1)),
    fixture,
    "one byte at a time",
  );
  const rand = mulberry32(seed);
  for (let run = 0; run < randomRuns; run++) {
    const lengths = randomChunkLengths(rand, stream.length);
    assertRun(
      splitWith(new JpegSplitter(), stream, lengths),
      fixture,
      `random chunking #${run} (seed ${seed})`,
    );
  }
}

/** Whether a naive FFD8..FFD9 scan would cut `frame` short (the hazard this module exists for). */
function naiveScanCutsShort(frame: Uint8Array): boolean {
  const eoi = indexOfSeq(frame, [0xff, 0xd9], 2);
  return eoi >= 0 && eoi + 2 < frame.length;
}

/** Offset of the first byte of entropy data after the first SOS header. */
function entropyStart(jpeg: Uint8Array): number {
  let at = 2;
  for (;;) {
    while (jpeg[at] === 0xff && jpeg[at + 1] === 0xff) at++;
    const code = jpeg[at + 1];
    if (code === 0x01 || (code >= 0xd0 && code <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = (jpeg[at + 2] << 8) | jpeg[at + 3];
    at += 2 + length;
    if (code === 0xda) return at;
  }
}

// ---------------------------------------------------------------------------------------------
// Tests

Deno.test("JpegSplitter splits ffmpeg -f mjpeg pipe output into the frames ffmpeg writes as files", async () => {
  const args = lavfi("320x240", 4, 5);
  const [files, piped] = await Promise.all([
    ffmpegJpegs("320x240", 4),
    runTool("ffmpeg", [...args, "-f", "mjpeg", "pipe:1"], "ffmpeg"),
  ]);
  assert.ok(
    sameBytes(piped, concat(...files)),
    "ffmpeg's pipe output should be the files back to back",
  );
  const run = splitWith(new JpegSplitter(), piped, randomChunkLengths(mulberry32(7), piped.length));
  assertFrames(run.frames, files, "ffmpeg mjpeg pipe");
  assert.deepEqual(run.stats, { framesOut: 4, bytesDiscarded: 0, framesOversized: 0, resyncs: 0 });
});

Deno.test("JpegSplitter: thumbnails, restart markers and garbage give the original frames for every chunking", async () => {
  const [jpegs, [thumbnail]] = await Promise.all([
    ffmpegJpegs("160x120", 3),
    ffmpegJpegs("32x24", 1, 8),
  ]);
  const frames = [
    withThumbnail(jpegs[0], thumbnail),
    restartJpeg(1),
    withThumbnail(jpegs[1], thumbnail),
    withThumbnail(restartJpeg(2), thumbnail),
    withThumbnail(jpegs[2], thumbnail),
  ];
  // The fixture must actually contain the hazards it claims to test.
  for (const i of [0, 1, 3]) {
    assert.ok(naiveScanCutsShort(frames[i]), `frame ${i} fools a naive scan`);
  }
  assert.ok(countSeq(frames[1], [0xff, 0x00]) > 0, "restart frame has FF00 stuffing");
  assert.ok(countSeq(frames[1], [0xff, 0xd3]) > 0, "restart frame has RST markers");

  const rand = mulberry32(42);
  const fixture = buildStream(frames, [
    garbage(rand, 37),
    garbage(rand, 100),
    bytes(0xff, 0xff, 0xff), // looks like fill bytes right before the next SOI
    new Uint8Array(0), // frames back to back
    garbage(rand, 5),
    garbage(rand, 64, false),
  ]);
  assertAllChunkings(fixture, 300, 1234);
});

Deno.test("JpegSplitter splits a progressive JPEG from ImageMagick (several scans, tables between)", async () => {
  const [progressive, [thumbnail], [baseline]] = await Promise.all([
    progressiveJpeg(),
    ffmpegJpegs("32x24", 1, 8),
    ffmpegJpegs("64x48", 1),
  ]);
  assert.ok(countSeq(progressive, [0xff, 0xda]) >= 2, "ImageMagick should write several SOS");
  const firstSos = indexOfSeq(progressive, [0xff, 0xda]);
  assert.ok(indexOfSeq(progressive, [0xff, 0xc4], firstSos) > firstSos, "DHT between scans");
  assert.ok(indexOfSeq(progressive, [0xff, 0xc2]) >= 0, "SOF2 (progressive) present");

  const rand = mulberry32(99);
  const fixture = buildStream(
    [progressive, withThumbnail(progressive, thumbnail), baseline, progressive],
    [garbage(rand, 3), garbage(rand, 20), new Uint8Array(0), garbage(rand, 1), new Uint8Array(0)],
  );
  assertAllChunkings(fixture, 100, 5678);
});

Deno.test("JpegSplitter discards an oversized frame, counts it, keeps memory capped, and continues", async () => {
  const [small, large] = await Promise.all([
    ffmpegJpegs("64x48", 2),
    ffmpegJpegs("320x240", 1, 2),
  ]);
  const maxFrameBytes = Math.max(small[0].length, small[1].length) + 100;
  assert.ok(large[0].length > 2 * maxFrameBytes, "fixture: large frame well above the cap");
  const stream = concat(small[0], large[0], small[1]);
  const rand = mulberry32(3);
  const chunkings = [[], new Array(stream.length).fill(1), randomChunkLengths(rand, stream.length)];
  for (const [n, lengths] of chunkings.entries()) {
    const splitter = new JpegSplitter({ maxFrameBytes });
    const run = splitWith(splitter, stream, lengths);
    assertFrames(run.frames, small, `chunking ${n}`);
    assert.deepEqual(run.stats, {
      framesOut: 2,
      bytesDiscarded: large[0].length,
      framesOversized: 1,
      resyncs: 0,
    });
    assert.ok(run.maxRetainedBytes <= maxFrameBytes, `retained ${run.maxRetainedBytes} bytes`);
  }
  // Exactly at the cap is allowed, one byte more is not.
  assert.equal(new JpegSplitter({ maxFrameBytes: small[0].length }).push(small[0]).length, 1);
  const over = new JpegSplitter({ maxFrameBytes: small[0].length - 1 });
  assert.equal(over.push(small[0]).length, 0);
  assert.equal(over.stats.framesOversized, 1);
});

Deno.test("JpegSplitter loses only a frame truncated inside its entropy data", async () => {
  const [a, b, c] = await ffmpegJpegs("64x48", 3);
  const from = entropyStart(a);
  assert.ok(from > 100 && from < a.length - 100, `fixture: entropy starts at ${from}`);
  const rand = mulberry32(11);
  for (let cut = from; cut < a.length - 1; cut++) {
    const stream = concat(a.subarray(0, cut), b, c);
    const lengths = cut % 2 === 0 ? [cut] : randomChunkLengths(rand, stream.length);
    const run = splitWith(new JpegSplitter(), stream, lengths);
    assertFrames(run.frames, [b, c], `cut at ${cut}`);
    assert.deepEqual(run.stats, {
      framesOut: 2,
      bytesDiscarded: cut,
      framesOversized: 0,
      resyncs: 1,
    });
  }
});

Deno.test("JpegSplitter survives a frame truncated anywhere: well-formed output, bytes conserved", async () => {
  const [a, b, c] = await ffmpegJpegs("64x48", 3);
  const filler = await ffmpegJpegs("320x240", 6, 2); // > 64 KiB: outlasts any swallowed segment
  const tail = concat(...filler);
  assert.ok(tail.length > 70_000, `fixture: tail is ${tail.length} bytes`);
  let lostNext = 0;
  for (let cut = 0; cut < a.length; cut++) {
    const stream = concat(a.subarray(0, cut), b, c, tail);
    const splitter = new JpegSplitter();
    const run = splitWith(splitter, stream, [cut + 1, 700]);
    const emitted = run.frames.reduce((sum, f) => sum + f.length, 0);
    assert.equal(
      emitted + run.stats.bytesDiscarded + run.pendingBytes,
      stream.length,
      `cut ${cut}`,
    );
    for (const frame of run.frames) {
      assert.ok(frame[0] === 0xff && frame[1] === 0xd8, `cut ${cut}: frame starts with SOI`);
      assert.ok(frame.at(-2) === 0xff && frame.at(-1) === 0xd9, `cut ${cut}: frame ends with EOI`);
    }
    // Whatever happens to the cut frame's neighbours, the stream is back in sync for the last one.
    assert.ok(sameBytes(run.frames.at(-1)!, filler.at(-1)!), `cut ${cut}: last frame intact`);
    if (!run.frames.some((f) => sameBytes(f, b))) lostNext++;
  }
  // A cut inside a segment header may swallow the next frame; that must stay the exception.
  assert.ok(lostNext < a.length / 50, `next frame lost for ${lostNext} of ${a.length} cuts`);
});

Deno.test("JpegSplitter abandons malformed frames and resumes at the next SOI", () => {
  const good = restartJpeg(5);
  const header = bytes(0xff, 0xd8, segment(0xdb, new Uint8Array(65)));
  const cases: { name: string; broken: Uint8Array }[] = [
    // An EOI right after the fault must not complete the abandoned frame.
    { name: "segment length 1", broken: bytes(header, 0xff, 0xc4, 0x00, 0x01, 0xff, 0xd9) },
    { name: "segment length 0", broken: bytes(header, 0xff, 0xc4, 0x00, 0x00, 0xff, 0xd9) },
    { name: "FF00 where a marker is expected", broken: bytes(header, 0xff, 0x00, 0xff, 0xd9) },
    { name: "non-FF where a marker is expected", broken: bytes(header, 0x12, 0xff, 0xd9) },
    { name: "SOI where a marker is expected", broken: header },
    { name: "SOI after fill bytes", broken: bytes(header, 0xff, 0xff) },
    { name: "SOI in entropy data", broken: good.subarray(0, good.length - 40) },
    { name: "SOI right after an SOI", broken: bytes(0xff, 0xd8) },
  ];
  for (const { name, broken } of cases) {
    for (const lengths of [[], [broken.length], [broken.length - 1], [broken.length + 1]]) {
      const run = splitWith(new JpegSplitter(), concat(broken, good), lengths);
      const context = `${name}, chunks ${JSON.stringify(lengths)}`;
      assertFrames(run.frames, [good], context);
      // The offending byte of a non-SOI case is counted too: it belongs to the abandoned frame or
      // is garbage, either way not to a frame and within the same resync.
      assert.deepEqual(
        run.stats,
        { framesOut: 1, bytesDiscarded: broken.length, framesOversized: 0, resyncs: 1 },
        context,
      );
    }
  }
});

Deno.test("JpegSplitter never throws on seeded random and mutated input, and emits only SOI..EOI", () => {
  const valid = concat(restartJpeg(7), withThumbnail(restartJpeg(8), restartJpeg(9)));
  const alphabet = [0xff, 0xff, 0xff, 0xd8, 0xd9, 0xda, 0x00, 0xd0, 0x01, 0xc4, 0x00, 0x02, 0x10];
  for (let seed = 1; seed <= 300; seed++) {
    const rand = mulberry32(seed);
    let stream: Uint8Array;
    const kind = seed % 3;
    if (kind === 0) {
      stream = new Uint8Array(randInt(rand, 0, 3000)).map(() => randInt(rand, 0, 255));
    } else if (kind === 1) {
      stream = new Uint8Array(randInt(rand, 0, 3000)).map(() =>
        rand() < 0.6 ? alphabet[randInt(rand, 0, alphabet.length - 1)] : randInt(rand, 0, 255)
      );
    } else {
      stream = valid.slice();
      for (let m = randInt(rand, 1, 8); m > 0; m--) {
        stream[randInt(rand, 0, stream.length - 1)] ^= 1 << randInt(rand, 0, 7);
      }
    }
    const maxFrameBytes = randInt(rand, 4, 3000);
    const splitter = new JpegSplitter({ maxFrameBytes });
    const run = splitWith(splitter, stream, randomChunkLengths(rand, stream.length));
    const context = `seed ${seed}`;
    const emitted = run.frames.reduce((sum, f) => sum + f.length, 0);
    assert.equal(emitted + run.stats.bytesDiscarded + run.pendingBytes, stream.length, context);
    assert.equal(run.stats.framesOut, run.frames.length, context);
    assert.ok(run.maxRetainedBytes <= maxFrameBytes, context);
    for (const frame of run.frames) {
      assert.ok(frame.length >= 4 && frame.length <= maxFrameBytes, context);
      assert.ok(frame[0] === 0xff && frame[1] === 0xd8 && frame.at(-2) === 0xff, context);
      assert.equal(frame.at(-1), 0xd9, context);
    }
  }
});

Deno.test("JpegSplitter does not retain pushed chunks and reset drops a partial frame", () => {
  const frame = restartJpeg(21);
  const splitter = new JpegSplitter();
  const first = frame.slice(0, 500);
  assert.deepEqual(splitter.push(first), []);
  first.fill(0); // the caller may reuse its read buffer
  const [out] = splitter.push(frame.slice(500));
  assert.ok(out && sameBytes(out, frame), "frame assembled from a reused chunk");

  assert.deepEqual(splitter.push(frame.subarray(0, 80)), []);
  assert.equal(splitter.pendingBytes, 80);
  splitter.reset();
  assert.equal(splitter.pendingBytes, 0);
  // Without the reset, the next frame's SOI would land inside the DQT payload being skipped.
  const [again] = splitter.push(frame);
  assert.ok(again && sameBytes(again, frame), "frame after reset");
  assert.deepEqual(splitter.stats, {
    framesOut: 2,
    bytesDiscarded: 80,
    framesOversized: 0,
    resyncs: 1,
  });
});

Deno.test("JpegSplitter rejects a maxFrameBytes that is not a positive integer", () => {
  for (const maxFrameBytes of [0, -1, 1.5, NaN, Infinity]) {
    assert.throws(
      () => new JpegSplitter({ maxFrameBytes }),
      /^RangeError: Cannot create JpegSplitter/,
    );
  }
  assert.equal(new JpegSplitter({ maxFrameBytes: undefined }).stats.framesOut, 0);
});
