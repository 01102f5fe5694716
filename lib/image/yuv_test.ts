import assert from "node:assert/strict";
import {
  assertValidYuvImage,
  I420Converter,
  planeHeight,
  planeWidth,
  type Subsampling,
  type YuvImage,
} from "./yuv.ts";

function solid(
  width: number,
  height: number,
  subsampling: Subsampling,
  [y, u, v]: [number, number, number],
  stridePad = 0,
): YuvImage {
  const planes: Uint8Array[] = [];
  const strides: number[] = [];
  const count = subsampling === "gray" ? 1 : 3;
  for (let p = 0; p < count; p++) {
    const stride = planeWidth(p, width, subsampling) + stridePad;
    planes.push(new Uint8Array(stride * planeHeight(p, height, subsampling)).fill([y, u, v][p]));
    strides.push(stride);
  }
  return { width, height, subsampling, planes, strides };
}

Deno.test("plane sizes follow the subsampling, rounding odd sizes up", () => {
  const cases: [Subsampling, number, number, number[]][] = [
    ["420", 5, 3, [5, 3, 3, 2]],
    ["422", 5, 3, [5, 3, 3, 3]],
    ["444", 5, 3, [5, 3, 5, 3]],
    ["gray", 5, 3, [5, 3, 0, 0]],
  ];
  for (const [s, w, h, [yw, yh, cw, ch]] of cases) {
    assert.deepEqual(
      [planeWidth(0, w, s), planeHeight(0, h, s), planeWidth(1, w, s), planeHeight(2, h, s)],
      [yw, yh, cw, ch],
      s,
    );
  }
});

Deno.test("I420Converter passes 4:2:0 through untouched", () => {
  const image = solid(8, 6, "420", [10, 20, 30]);
  assert.equal(new I420Converter().convert(image), image);
});

Deno.test("I420Converter averages 4:2:2 rows and 4:4:4 blocks, fills grey chroma", () => {
  const c = new I420Converter();
  const i422 = solid(4, 4, "422", [50, 0, 0], 3);
  // Column 0 of U alternates 0/200 by row: pairs average to 100.
  for (let row = 0; row < 4; row++) i422.planes[1][row * i422.strides[1]] = row % 2 ? 200 : 0;
  const out422 = c.convert(i422);
  assert.equal(out422.subsampling, "420");
  assert.deepEqual(Array.from(out422.planes[1]), [100, 0, 100, 0]);
  assert.deepEqual(Array.from(out422.planes[0]), new Array(16).fill(50));

  const i444 = solid(3, 3, "444", [7, 40, 60]);
  i444.planes[2][0] = 64; // top-left 2x2 block of V: 64, 60, 60, 60 -> 61
  const out444 = c.convert(i444);
  assert.deepEqual(out444.strides, [3, 2, 2]);
  assert.deepEqual(Array.from(out444.planes[1]), [40, 40, 40, 40]);
  assert.deepEqual(Array.from(out444.planes[2]), [61, 60, 60, 60]);

  const gray = c.convert(solid(3, 3, "gray", [99, 0, 0]));
  assert.deepEqual(Array.from(gray.planes[1]), [128, 128, 128, 128]);
  assert.deepEqual(Array.from(gray.planes[0]), new Array(9).fill(99));
});

Deno.test("I420Converter reuses its buffers for a steady stream", () => {
  const c = new I420Converter();
  for (let i = 0; i < 50; i++) c.convert(solid(64, 48, i % 2 ? "422" : "444", [i, 1, 2]));
  assert.equal(c.allocations, 1);
  c.convert(solid(32, 48, "444", [0, 0, 0]));
  assert.equal(c.allocations, 2);
});

Deno.test("fromRgba uses full-range BT.601 (JFIF)", () => {
  const c = new I420Converter();
  const cases: [number[], number[]][] = [
    [[255, 0, 0], [76, 85, 255]],
    [[0, 255, 0], [150, 44, 21]],
    [[0, 0, 255], [29, 255, 107]],
    [[255, 255, 255], [255, 128, 128]],
    [[0, 0, 0], [0, 128, 128]],
  ];
  for (const [rgb, yuv] of cases) {
    const rgba = new Uint8Array(3 * 3 * 4);
    for (let i = 0; i < 9; i++) rgba.set([...rgb, 255], i * 4);
    const out = c.fromRgba(rgba, 3, 3);
    for (let p = 0; p < 3; p++) {
      for (const value of out.planes[p]) assert.ok(Math.abs(value - yuv[p]) <= 1, `${rgb} ${p}`);
    }
  }
  assert.throws(() => c.fromRgba(new Uint8Array(10), 3, 3), RangeError);
});

Deno.test("assertValidYuvImage rejects planes too small for the size", () => {
  const ok = solid(16, 16, "420", [0, 0, 0]);
  assertValidYuvImage(ok);
  assert.throws(
    () => assertValidYuvImage({ ...ok, planes: [ok.planes[0], new Uint8Array(10), ok.planes[2]] }),
    /plane 1/,
  );
  assert.throws(() => assertValidYuvImage({ ...ok, width: 0 }), RangeError);
  assert.throws(() => assertValidYuvImage({ ...ok, subsampling: "444" }), /plane 1/);
});
