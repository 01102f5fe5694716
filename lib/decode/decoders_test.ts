import assert from "node:assert/strict";
import { withoutHuffmanTables } from "../../tests/support/strip_huffman.ts";
import { I420Converter, type YuvImage } from "../image/mod.ts";
import { makeJpeg, makeJpegs } from "../../tests/support/test_jpegs.ts";
import type { JpegDecoder } from "./decoder.ts";
import { openDecoder } from "./select_decoder.ts";
import { TurboDecoder, TURBOJPEG_LIB_ENV } from "./turbo_decoder.ts";
import { WasmDecoder } from "./wasm_decoder.ts";

async function withDecoders(fn: (decoders: JpegDecoder[]) => Promise<void>): Promise<void> {
  const decoders: JpegDecoder[] = [TurboDecoder.open(), await WasmDecoder.open()];
  try {
    await fn(decoders);
  } finally {
    for (const d of decoders) d.close();
  }
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

async function withEnv(name: string, value: string, fn: () => Promise<void>): Promise<void> {
  const old = Deno.env.get(name);
  Deno.env.set(name, value);
  try {
    await fn();
  } finally {
    if (old === undefined) Deno.env.delete(name);
    else Deno.env.set(name, old);
  }
}

Deno.test("a missing libturbojpeg gives one sentence with the install line", async () => {
  await withEnv(TURBOJPEG_LIB_ENV, "/nonexistent/libturbojpeg.so.0", async () => {
    assert.throws(
      () => TurboDecoder.open(),
      (e: Error) =>
        e.name === "UserError" && /^Cannot load the libjpeg-turbo library/.test(e.message) &&
        e.message.includes("apt install libturbojpeg0") && e.message.split(". ").length === 1,
    );
    const { decoder, fallbackReason } = await openDecoder("auto");
    assert.equal(decoder.name, "wasm");
    assert.match(fallbackReason ?? "", /libturbojpeg0/);
    decoder.close();
    await assert.rejects(() => openDecoder("turbo"), /apt install libturbojpeg0/);
  });
});

Deno.test("openDecoder auto prefers turbo", async () => {
  const { decoder, fallbackReason } = await openDecoder("auto");
  assert.equal(decoder.name, "turbo");
  assert.equal(fallbackReason, undefined);
  decoder.close();
});

Deno.test("turbo decodes each subsampling to planes of the source colour", async () => {
  const decoder = TurboDecoder.open();
  try {
    for (const subsampling of ["420", "422", "444", "gray"] as const) {
      const jpeg = await makeJpeg({ source: "color=c=red", width: 64, height: 48, subsampling });
      const image = await decoder.decode(jpeg);
      assert.equal(image.subsampling, subsampling);
      assert.deepEqual([image.width, image.height], [64, 48]);
      const want = subsampling === "gray" ? [76] : [76, 85, 255];
      for (let p = 0; p < want.length; p++) {
        for (const value of image.planes[p]) assert.ok(Math.abs(value - want[p]) <= 2, subsampling);
      }
    }
  } finally {
    decoder.close();
  }
});

Deno.test("both decoders agree on colour bars, with and without Huffman tables", async () => {
  await withDecoders(async ([turbo, wasm]) => {
    for (const subsampling of ["420", "422"] as const) {
      const jpeg = await makeJpeg({ source: "testsrc2", width: 320, height: 240, subsampling });
      const reference = snapshot(await turbo.decode(jpeg));
      for (
        const [decoder, frame] of [[wasm, jpeg], [turbo, withoutHuffmanTables(jpeg)], [
          wasm,
          withoutHuffmanTables(jpeg),
        ]] as const
      ) {
        const image = await decoder.decode(frame);
        assert.equal(image.width, 320);
        // wasm goes through RGB (clamped, chroma upsampled then averaged again): small drift.
        for (let p = 0; p < 3; p++) {
          const diff = meanAbsDiff(reference.planes[p], snapshot(image).planes[p]);
          assert.ok(diff < 4, `${decoder.name} ${subsampling} plane ${p}: mean diff ${diff}`);
        }
      }
    }
  });
});

Deno.test("corrupt JPEGs reject with 'Cannot decode JPEG' and the decoder keeps working", async () => {
  const jpeg = await makeJpeg({ source: "testsrc2", width: 160, height: 120 });
  const flipped = jpeg.slice();
  for (let i = 700; i < 800; i++) flipped[i] = 0xff;
  const bogusTable = jpeg.slice();
  bogusTable.fill(0xff, 200, 260);
  // An unknown marker right after SOI fails in the header read, which used to leave libjpeg-turbo's
  // handle broken for every later frame.
  const unknownMarker = new Uint8Array([0xff, 0xd8, 0xff, 0x88, ...jpeg.subarray(2)]);
  const bad = [
    unknownMarker,
    new Uint8Array(0),
    new Uint8Array([1, 2, 3]),
    jpeg.subarray(0, 2),
    jpeg.subarray(0, jpeg.length >> 1),
    flipped,
    bogusTable,
  ];
  await withDecoders(async (decoders) => {
    for (const decoder of decoders) {
      for (const [i, frame] of bad.entries()) {
        await assert.rejects(
          () => decoder.decode(frame),
          /^Error: Cannot decode JPEG: /,
          `${decoder.name} #${i}`,
        );
        const image = await decoder.decode(jpeg);
        assert.equal(image.width, 160, `${decoder.name} after #${i}`);
      }
    }
  });
});

Deno.test("decoders reuse buffers and follow resolution changes", async () => {
  const small = await makeJpegs({ source: "testsrc2", width: 160, height: 120, frames: 3 });
  const large = await makeJpeg({ source: "testsrc2", width: 320, height: 240 });
  const turbo = TurboDecoder.open();
  const wasm = await WasmDecoder.open();
  try {
    for (const decoder of [turbo, wasm]) {
      for (let i = 0; i < 30; i++) await decoder.decode(small[i % small.length]);
      assert.equal(decoder.allocations, 1, decoder.name);
      assert.equal((await decoder.decode(large)).width, 320);
      assert.equal((await decoder.decode(small[0])).width, 160);
      assert.equal(decoder.allocations, 3, decoder.name);
    }
    await assert.rejects(
      () => Promise.all([turbo.decode(large), turbo.decode(large)]),
      /still running/,
    );
  } finally {
    turbo.close();
    wasm.close();
  }
  await assert.rejects(() => turbo.decode(large), /closed/);
});

/** Memory we own for decodeXrgb: `rows` rows of `pitchBytes`, and the target pointing at it. */
function xrgbBuffer(pitchBytes: number, rows: number) {
  const bytes = new Uint8Array(new ArrayBuffer(pitchBytes * rows));
  const pointer = Deno.UnsafePointer.of(bytes)!;
  return { bytes, target: { pointer, pitchBytes } };
}

Deno.test("turbo decodes straight to XRGB8888 (B, G, R, unused) for every subsampling", async () => {
  const decoder = TurboDecoder.open();
  try {
    for (const subsampling of ["420", "422", "444", "gray"] as const) {
      const jpeg = await makeJpeg({
        source: "color=c=0x2080c0",
        width: 64,
        height: 48,
        subsampling,
      });
      // Padding after each row must stay untouched: the pitch is the texture's, not the width's.
      const pitchBytes = 64 * 4 + 16;
      const { bytes, target } = xrgbBuffer(pitchBytes, 48);
      bytes.fill(0xaa);
      const sizes: number[][] = [];
      const size = await decoder.decodeXrgb(jpeg, (width, height) => {
        sizes.push([width, height]);
        return target;
      });
      assert.deepEqual(size, { width: 64, height: 48 });
      assert.deepEqual(sizes, [[64, 48]], "target asked once, with the frame's size");
      const luma = Math.round(0.299 * 0x20 + 0.587 * 0x80 + 0.114 * 0xc0);
      const want = subsampling === "gray" ? [luma, luma, luma] : [0xc0, 0x80, 0x20]; // B, G, R
      for (const [x, y] of [[0, 0], [63, 47], [31, 20]]) {
        const at = y * pitchBytes + x * 4;
        const got = Array.from(bytes.subarray(at, at + 3));
        assert.ok(
          got.every((v, i) => Math.abs(v - want[i]) <= 6),
          `${subsampling} at ${x},${y}: got bgr(${got}), want bgr(${want})`,
        );
      }
      for (let y = 0; y < 48; y++) {
        const padding = bytes.subarray(y * pitchBytes + 64 * 4, (y + 1) * pitchBytes);
        assert.ok(padding.every((v) => v === 0xaa), `${subsampling}: row ${y} padding written`);
      }
    }
  } finally {
    decoder.close();
  }
});

Deno.test("turbo's XRGB decode rejects bad input and short rows, then keeps working", async () => {
  const jpeg = await makeJpeg({ source: "testsrc2", width: 160, height: 120 });
  const decoder = TurboDecoder.open();
  const { target } = xrgbBuffer(160 * 4, 120);
  try {
    let asked = 0;
    await assert.rejects(
      () => decoder.decodeXrgb(jpeg.subarray(0, 2), () => (asked++, target)),
      /^Error: Cannot decode JPEG: /,
    );
    assert.equal(asked, 0, "no target is asked for before the header was read");
    await assert.rejects(
      () => decoder.decodeXrgb(jpeg.subarray(0, jpeg.length >> 1), () => target),
      /^Error: Cannot decode JPEG: the data is corrupt or truncated/,
    );
    await assert.rejects(
      () => decoder.decodeXrgb(jpeg, () => ({ ...target, pitchBytes: 160 * 4 - 1 })),
      /^Error: Cannot decode JPEG: rows of 639 bytes cannot hold 160 px/,
    );
    assert.deepEqual(await decoder.decodeXrgb(jpeg, () => target), { width: 160, height: 120 });
    assert.equal((await decoder.decode(jpeg)).width, 160, "the YUV path after the XRGB path");
  } finally {
    decoder.close();
  }
});
