import assert from "node:assert/strict";
import { qualityToQscale } from "../capture/mod.ts";
import { parseJpeg } from "../jpeg/mod.ts";
import { libjpegQualityFor } from "../send/mod.ts";
import { I420Converter, type YuvImage } from "../image/mod.ts";
import { Prng } from "../netsim/mod.ts";
import { makeJpeg, makeJpegs } from "../../tests/support/test_jpegs.ts";
import { withoutHuffmanTables } from "../../tests/support/strip_huffman.ts";
import { TurboDecoder } from "./turbo_decoder.ts";
import {
  halve422InPlace,
  plainBaselineProblem,
  scaledDimension,
  TRANSCODE_FAILURES,
  TranscodeError,
  type TranscodeFailure,
  TurboTranscoder,
} from "./turbo_transcoder.ts";

/** Decodes `jpeg` with the real ffmpeg to 8-bit grey; fails naming ffmpeg when it is missing. */
async function ffmpegGrey(jpeg: Uint8Array): Promise<{ pixels: Uint8Array; stderr: string }> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("ffmpeg", {
      args: [
        ...["-v", "error", "-xerror", "-f", "mjpeg", "-i", "pipe:0"],
        ...["-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    throw new Error("Cannot run ffmpeg: not installed. Install it with: apt install ffmpeg", {
      cause: error,
    });
  }
  const writer = child.stdin.getWriter();
  await writer.write(jpeg);
  await writer.close();
  const out = await child.output();
  assert.ok(out.success, `ffmpeg exited with ${out.code}`);
  return { pixels: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

/** The image as 4:2:0 copies, so it survives the decoder's next call. */
function snapshot(image: YuvImage): YuvImage {
  const i420 = new I420Converter().convert(image);
  return { ...i420, planes: i420.planes.map((p) => p.slice()) };
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

async function withTranscoder(
  fn: (transcoder: TurboTranscoder, decoder: TurboDecoder) => Promise<void>,
  maxPixels?: number,
): Promise<void> {
  const transcoder = TurboTranscoder.open({ maxPixels });
  const decoder = TurboDecoder.open();
  try {
    await fn(transcoder, decoder);
  } finally {
    transcoder.close();
    decoder.close();
  }
}

Deno.test("scaledDimension rounds n/8 up, as libjpeg-turbo's TJSCALED", () => {
  const cases: [number, number, number][] = [
    // [pixels, eighths, want]
    [1280, 8, 1280],
    [1280, 6, 960],
    [1280, 4, 640],
    [720, 6, 540],
    [1080, 6, 810],
    [1080, 4, 540],
    [241, 4, 121], // 120.5 → 121
    [7, 1, 1], // 0.875 → 1: never 0
  ];
  for (const [pixels, eighths, want] of cases) {
    assert.equal(scaledDimension(pixels, eighths), want, `${pixels} × ${eighths}/8`);
  }
});

Deno.test("transcoded frames decode (ours and ffmpeg) at the asked size, plain baseline 4:2:0", async () => {
  await withTranscoder(async (transcoder, decoder) => {
    for (const subsampling of ["420", "422", "444", "gray"] as const) {
      const source = await makeJpeg({
        source: "testsrc2",
        width: 320,
        height: 240,
        subsampling,
        qscale: 8,
      });
      for (const scaleEighths of [8, 6, 4, 3, 1]) {
        const label = `${subsampling} at ${scaleEighths}/8`;
        const out = await transcoder.transcode(source, { quality: 60, scaleEighths });
        const width = scaledDimension(320, scaleEighths);
        const height = scaledDimension(240, scaleEighths);
        assert.equal(plainBaselineProblem(out, width, height), null, label);
        const image = await decoder.decode(out);
        assert.deepEqual([image.width, image.height, image.subsampling], [width, height, "420"]);
        const { pixels, stderr } = await ffmpegGrey(out);
        assert.equal(stderr, "", `${label}: ffmpeg complained`);
        assert.equal(pixels.length, width * height, `${label}: ffmpeg decoded another size`);
      }
    }
  });
});

Deno.test("at full size and high quality the picture stays the source's", async () => {
  await withTranscoder(async (transcoder, decoder) => {
    for (const subsampling of ["420", "422"] as const) {
      const source = await makeJpeg({
        source: "testsrc2",
        width: 320,
        height: 240,
        subsampling,
        qscale: 2,
      });
      const before = snapshot(await decoder.decode(source));
      const after = snapshot(
        await decoder.decode(await transcoder.transcode(source, { quality: 95, scaleEighths: 8 })),
      );
      for (let p = 0; p < 3; p++) {
        const diff = meanAbsDiff(before.planes[p], after.planes[p]);
        assert.ok(diff < 2, `${subsampling} plane ${p}: mean difference ${diff}`);
      }
    }
  });
});

Deno.test("halve422InPlace gives I420Converter's 4:2:0, four at a time or one", () => {
  const prng = new Prng(17);
  // [width, height, plane offset]: chroma widths divisible by 4 or not, odd heights, a plane
  // not on a 4-byte boundary (one sample at a time).
  const cases: [number, number, number][] = [
    [320, 240, 0],
    [330, 243, 0],
    [8, 3, 0],
    [8, 2, 1],
    [2, 1, 0],
    [1, 1, 0],
  ];
  for (const [width, height, offset] of cases) {
    const chromaWidth = Math.ceil(width / 2);
    const sizes = [width * height, chromaWidth * height, chromaWidth * height];
    const buffer = new ArrayBuffer(offset + sizes[0] + 2 * (sizes[1] + 4) + 4);
    const starts = [offset, offset + sizes[0] + 4, offset + sizes[0] + sizes[1] + 8];
    const planes = sizes.map((size, p) => {
      const plane = new Uint8Array(buffer, starts[p], size);
      plane.set(prng.bytes(size));
      return plane;
    });
    const image: YuvImage = {
      width,
      height,
      subsampling: "422",
      planes,
      strides: [width, chromaWidth, chromaWidth],
    };
    const want = snapshot(image);
    const got = halve422InPlace(image);
    const label = `${width}x${height} at +${offset}`;
    assert.deepEqual([got.width, got.height, got.subsampling], [width, height, "420"], label);
    assert.equal(got.planes[0], planes[0], `${label}: luma as it is`);
    for (let p = 1; p < 3; p++) {
      const rows = Math.ceil(height / 2);
      assert.deepEqual(got.planes[p].subarray(0, chromaWidth * rows), want.planes[p], label);
    }
  }
});

Deno.test("4:2:2 frames keep their picture through a transcode, at any width", async () => {
  await withTranscoder(async (transcoder, decoder) => {
    // 320: chroma rows of 160 samples, halved four at a time; 330x243: 165, one at a time, and
    // an odd last row.
    for (const [width, height] of [[320, 240], [330, 243]]) {
      const source = await makeJpeg({
        source: "testsrc2",
        width,
        height,
        subsampling: "422",
        qscale: 2,
      });
      const want = snapshot(await decoder.decode(source));
      const out = await transcoder.transcode(source, { quality: 100, scaleEighths: 8 });
      const got = snapshot(await decoder.decode(out));
      for (let p = 0; p < 3; p++) {
        const diff = meanAbsDiff(want.planes[p], got.planes[p]);
        assert.ok(diff < 2, `${width}x${height} plane ${p}: mean difference ${diff}`);
      }
    }
  });
});

Deno.test("lower quality and smaller size make smaller frames, monotonically", async () => {
  await withTranscoder(async (transcoder) => {
    const source = await makeJpeg({ source: "testsrc2", width: 640, height: 360, qscale: 8 });
    const byQuality: number[] = [];
    for (const quality of [95, 80, 60, 40, 20, 10]) {
      byQuality.push((await transcoder.transcode(source, { quality, scaleEighths: 8 })).length);
    }
    for (let i = 1; i < byQuality.length; i++) {
      assert.ok(byQuality[i] < byQuality[i - 1], `sizes by quality: ${byQuality}`);
    }
    const byScale: number[] = [];
    for (const scaleEighths of [8, 6, 4, 2]) {
      byScale.push((await transcoder.transcode(source, { quality: 40, scaleEighths })).length);
    }
    for (let i = 1; i < byScale.length; i++) {
      assert.ok(byScale[i] < byScale[i - 1], `sizes by scale: ${byScale}`);
    }
  });
});

Deno.test("any Huffman tables in (optimal, none), the standard ones out", async () => {
  await withTranscoder(async (transcoder) => {
    // ffmpeg's mjpeg writes optimal tables unless told "-huffman default"; webcams write none.
    const optimal = await ffmpegOptimalJpeg();
    const info = parseJpeg(optimal);
    assert.ok(info.ok && !info.info.standardHuffmanTables, "the source's tables are not standard");
    const webcam = withoutHuffmanTables(
      await makeJpeg({ source: "testsrc2", width: 160, height: 120, subsampling: "422" }),
    );
    // Optimal first: a frame without tables must not be decoded with the previous frame's.
    for (const [label, source] of [["optimal", optimal], ["none", webcam]] as const) {
      const out = await transcoder.transcode(source, { quality: 50, scaleEighths: 8 });
      const parsed = parseJpeg(out);
      assert.ok(parsed.ok, label);
      assert.ok(parsed.info.standardHuffmanTables, `${label}: output tables`);
      assert.equal(plainBaselineProblem(out, 160, 120), null, label);
    }
  });
});

async function ffmpegOptimalJpeg(): Promise<Uint8Array> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-frames:v", "1"],
      ...["-pix_fmt", "yuvj420p", "-c:v", "mjpeg", "-huffman", "optimal", "-f", "mjpeg", "-"],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return out.stdout;
}

Deno.test("plainBaselineProblem names what RTP/JPEG could not carry", async () => {
  const plain = await makeJpeg({ source: "testsrc2", width: 160, height: 120 });
  const cases: [string, Uint8Array, number, number, RegExp | null][] = [
    ["plain 4:2:0 with standard tables", plain, 160, 120, null],
    ["another size", plain, 80, 60, /it is 160x120, not 80x60/],
    [
      "4:2:2",
      await makeJpeg({ source: "testsrc2", width: 160, height: 120, subsampling: "422" }),
      160,
      120,
      /not 4:2:0/,
    ],
    ["optimal Huffman tables", await ffmpegOptimalJpeg(), 160, 120, /not the standard ones/],
    ["truncated", plain.subarray(0, 300), 160, 120, /does not parse/],
    ["progressive (SOF2)", withMarker(plain, 0xc0, 0xc2), 160, 120, /not baseline/],
  ];
  for (const [label, jpeg, width, height, want] of cases) {
    const problem = plainBaselineProblem(jpeg, width, height);
    if (want === null) assert.equal(problem, null, label);
    else assert.match(problem ?? "(none)", want, label);
  }
});

/** `jpeg` with its first FF `from` marker renamed FF `to`. */
function withMarker(jpeg: Uint8Array, from: number, to: number): Uint8Array {
  const copy = jpeg.slice();
  for (let i = 0; i + 1 < copy.length; i++) {
    if (copy[i] === 0xff && copy[i + 1] === from) {
      copy[i + 1] = to;
      return copy;
    }
  }
  throw new Error(`no FF ${from.toString(16)} marker`);
}

/**
 * A 4:4:4 JPEG relabelled 4:4:0: luma sampled 1x2, chroma 1x1. (ffmpeg writes 4:4:4 as 1x2 for
 * every component.) TurboJPEG reads such a header as TJSAMP_440.
 */
function as440(jpeg444: Uint8Array): Uint8Array {
  const copy = jpeg444.slice();
  for (let i = 0; i + 1 < copy.length; i++) {
    if (copy[i] === 0xff && copy[i + 1] === 0xc0) {
      // FF C0, length (2), precision (1), height (2), width (2), count (1), then per component:
      // id, sampling (H << 4 | V), table; the sampling bytes sit at +11, +14 and +17.
      copy[i + 11] = 0x12;
      copy[i + 14] = 0x11;
      copy[i + 17] = 0x11;
      return copy;
    }
  }
  throw new Error("no SOF0");
}

Deno.test("bad frames are refused by reason, counted, and the transcoder keeps working", async () => {
  const jpeg = await makeJpeg({ source: "testsrc2", width: 160, height: 120 });
  const flipped = jpeg.slice();
  for (let i = 700; i < 800; i++) flipped[i] = 0xff;
  const unknownMarker = new Uint8Array([0xff, 0xd8, 0xff, 0x88, ...jpeg.subarray(2)]);
  const big = await makeJpeg({ source: "testsrc2", width: 320, height: 240 });
  const yuv444 = await makeJpeg({
    source: "testsrc2",
    width: 160,
    height: 120,
    subsampling: "444",
  });
  const cases: [string, Uint8Array, TranscodeFailure][] = [
    ["empty", new Uint8Array(0), "empty"],
    ["three bytes", new Uint8Array([1, 2, 3]), "header"],
    ["SOI only", jpeg.subarray(0, 2), "header"],
    ["an unknown marker after SOI", unknownMarker, "header"],
    ["truncated scan", jpeg.subarray(0, jpeg.length >> 1), "decode"],
    ["scan overwritten with 0xFF", flipped, "decode"],
    ["above the pixel limit", big, "tooLarge"],
    ["4:4:0", as440(yuv444), "subsampling"],
  ];
  await withTranscoder(async (transcoder) => {
    for (const [label, frame, reason] of cases) {
      await assert.rejects(
        () => transcoder.transcode(frame, { quality: 50, scaleEighths: 4 }),
        (error: unknown) =>
          error instanceof TranscodeError && error.reason === reason &&
          /^Cannot transcode JPEG: /.test(error.message),
        label,
      );
      const out = await transcoder.transcode(jpeg, { quality: 50, scaleEighths: 4 });
      assert.equal(plainBaselineProblem(out, 80, 60), null, `after ${label}`);
    }
    const want = Object.fromEntries(TRANSCODE_FAILURES.map((r) => [r, 0]));
    for (const [, , reason] of cases) want[reason]++;
    assert.deepEqual(transcoder.counters.failures, want);
    assert.equal(transcoder.counters.framesTranscoded, cases.length);
  }, 160 * 120);
});

Deno.test("options out of range reject without counting; misuse rejects", async () => {
  const jpeg = await makeJpeg({ source: "testsrc2", width: 160, height: 120 });
  const transcoder = TurboTranscoder.open();
  const cases: [number, number][] = [[0, 8], [101, 8], [50.5, 8], [50, 0], [50, 9], [50, 4.5]];
  for (const [quality, scaleEighths] of cases) {
    await assert.rejects(
      () => transcoder.transcode(jpeg, { quality, scaleEighths }),
      RangeError,
      `q ${quality}, ${scaleEighths}/8`,
    );
  }
  assert.deepEqual(Object.values(transcoder.counters.failures), TRANSCODE_FAILURES.map(() => 0));
  const options = { quality: 50, scaleEighths: 8 };
  const [first, second] = await Promise.allSettled([
    transcoder.transcode(jpeg, options),
    transcoder.transcode(jpeg, options),
  ]);
  assert.equal(first.status, "fulfilled");
  assert.ok(second.status === "rejected" && /still running/.test(String(second.reason)));
  // Closing while a transcode runs lets it finish, then frees the handles.
  const running = transcoder.transcode(jpeg, options);
  transcoder.close();
  assert.equal(plainBaselineProblem(await running, 160, 120), null);
  await assert.rejects(() => transcoder.transcode(jpeg, options), /closed/);
  transcoder.close();
});

Deno.test("buffers are reused for a steady stream and follow size changes", async () => {
  const small = await makeJpegs({ source: "testsrc2", width: 160, height: 120, frames: 3 });
  const large = await makeJpeg({ source: "testsrc2", width: 320, height: 240 });
  await withTranscoder(async (transcoder) => {
    const options = { quality: 50, scaleEighths: 8 };
    for (let i = 0; i < 30; i++) await transcoder.transcode(small[i % small.length], options);
    assert.equal(transcoder.allocations, 2, "planes and output once");
    await transcoder.transcode(large, options);
    assert.equal(transcoder.allocations, 4, "planes and output again for the larger frame");
    await transcoder.transcode(small[0], options);
    assert.equal(transcoder.allocations, 5, "new planes; the larger output buffer is kept");
    // The caller's buffer may change as soon as transcode returns: the input was copied.
    const copy = small[1].slice();
    const running = transcoder.transcode(copy, options);
    copy.fill(0);
    assert.equal(plainBaselineProblem(await running, 160, 120), null);
  });
});

/** Sum of the 63 AC quantizers of the luma table (the first component's). */
function lumaAcSum(jpeg: Uint8Array): number {
  const parsed = parseJpeg(jpeg);
  assert.ok(parsed.ok);
  const table = parsed.info.quantTables.get(parsed.info.components[0].quantTableId)!;
  return table.values.subarray(1).reduce((sum, v) => sum + v, 0);
}

Deno.test("libjpegQualityFor makes libjpeg quantize luma as ffmpeg does at that --quality", async () => {
  await withTranscoder(async (transcoder) => {
    for (const quality of [90, 80, 70, 60, 50, 40]) {
      const ffmpeg = await makeJpeg({
        source: "testsrc2",
        width: 160,
        height: 120,
        qscale: qualityToQscale(quality),
      });
      const libjpeg = await transcoder.transcode(ffmpeg, {
        quality: libjpegQualityFor(quality),
        scaleEighths: 8,
      });
      const [want, got] = [lumaAcSum(ffmpeg), lumaAcSum(libjpeg)];
      assert.ok(
        Math.abs(got / want - 1) < 0.03,
        `--quality ${quality}: ffmpeg ${want}, ours ${got}`,
      );
    }
  });
});
