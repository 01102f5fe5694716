import assert from "node:assert/strict";
import { makeJpeg } from "../../tests/support/test_jpegs.ts";
import type { JpegDecoder } from "../decode/decoder.ts";
import { TurboDecoder } from "../decode/turbo_decoder.ts";
import { WasmDecoder } from "../decode/wasm_decoder.ts";
import { withoutHuffmanTables } from "../../tests/support/strip_huffman.ts";
import type { YuvImage } from "../image/mod.ts";
import { SDL_EVENT_BYTES, SDL_KEYDOWN, SDL_MOUSEBUTTONDOWN, SDL_WINDOWEVENT } from "./ffi.ts";
import { SDL2_LIB_ENV, sdlLibraryCandidates } from "./library.ts";
import { parseSdlEvent, type RgbaPixels, VideoWindow } from "./video_window.ts";

// Real SDL without a display; keep a driver the caller chose (e.g. x11 under xvfb-run).
if (!Deno.env.get("SDL_VIDEODRIVER")) Deno.env.set("SDL_VIDEODRIVER", "dummy");

/** A window of a fixed size (frames are letterboxed into it). */
function openWindow(width: number, height: number): VideoWindow {
  return VideoWindow.open("udpcam test", width, height, {
    vsync: false,
    hidden: true,
    fitToFrame: false,
  });
}

/** Decodes `jpeg` the software renderer's way (XRGB8888 into what lockXrgb gives) and shows it. */
async function showXrgb(window: VideoWindow, decoder: TurboDecoder, jpeg: Uint8Array) {
  await decoder.decodeXrgb(jpeg, (width, height) => window.lockXrgb(width, height));
  window.presentLocked();
}

function pixel(p: RgbaPixels, x: number, y: number): number[] {
  const i = (y * p.width + x) * 4;
  return Array.from(p.data.subarray(i, i + 3));
}

function assertColour(actual: number[], want: number[], tolerance: number, label: string): void {
  const ok = actual.every((v, i) => Math.abs(v - want[i]) <= tolerance);
  assert.ok(ok, `${label}: got rgb(${actual}), want rgb(${want}) ±${tolerance}`);
}

async function decoders(): Promise<JpegDecoder[]> {
  return [TurboDecoder.open(), await WasmDecoder.open()];
}

Deno.test("a missing SDL2 gives one sentence with the install line and --headless", () => {
  const old = Deno.env.get(SDL2_LIB_ENV);
  Deno.env.set(SDL2_LIB_ENV, "/nonexistent/libSDL2-2.0.so.0");
  try {
    assert.throws(
      () => openWindow(64, 48),
      (e: Error) =>
        e.name === "UserError" && /^Cannot load the SDL2 library/.test(e.message) &&
        e.message.includes("apt install libsdl2-2.0-0") && e.message.endsWith("--headless."),
    );
  } finally {
    if (old === undefined) Deno.env.delete(SDL2_LIB_ENV);
    else Deno.env.set(SDL2_LIB_ENV, old);
  }
});

Deno.test("solid colours survive decode and display for every subsampling and decoder", async () => {
  const window = openWindow(320, 240);
  const list = await decoders();
  try {
    const colours: [string, number[]][] = [
      ["red", [255, 0, 0]],
      ["0x2080c0", [0x20, 0x80, 0xc0]],
      ["white", [255, 255, 255]],
    ];
    for (const [name, rgb] of colours) {
      for (const subsampling of ["420", "422", "444", "gray"] as const) {
        const jpeg = await makeJpeg({
          source: `color=c=${name}`,
          width: 320,
          height: 240,
          subsampling,
        });
        const want = subsampling === "gray"
          ? new Array(3).fill(Math.round(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]))
          : rgb;
        for (const decoder of list) {
          window.present(await decoder.decode(jpeg));
          const pixels = window.readPixelsRgba();
          assert.deepEqual([pixels.width, pixels.height], [320, 240]);
          const label = `${name} ${subsampling} ${decoder.name}`;
          for (const [x, y] of [[0, 0], [160, 120], [319, 239], [37, 201]]) {
            assertColour(pixel(pixels, x, y), want, 6, `${label} at ${x},${y}`);
          }
        }
      }
    }
  } finally {
    for (const d of list) d.close();
    window.close();
  }
});

Deno.test("colour bars look the same through both decoders, with and without DHT", async () => {
  const window = openWindow(320, 240);
  const [turbo, wasm] = await decoders();
  try {
    const jpeg = await makeJpeg({ source: "testsrc2", width: 320, height: 240 });
    window.present(await turbo.decode(jpeg));
    const reference = window.readPixelsRgba();
    for (
      const [decoder, frame] of [[wasm, jpeg], [turbo, withoutHuffmanTables(jpeg)], [
        wasm,
        withoutHuffmanTables(jpeg),
      ]] as const
    ) {
      window.present(await decoder.decode(frame));
      const shown = window.readPixelsRgba();
      let sum = 0, far = 0;
      for (let i = 0; i < shown.data.length; i++) {
        if (i % 4 === 3) continue;
        const d = Math.abs(shown.data[i] - reference.data[i]);
        sum += d;
        if (d > 24) far++;
      }
      const mean = sum / (shown.data.length * 0.75);
      assert.ok(mean < 3, `${decoder.name}: mean difference ${mean}`);
      // Only edges of saturated bars may differ more (chroma resampled twice on the wasm path).
      assert.ok(far < shown.data.length * 0.02, `${decoder.name}: ${far} values differ by >24`);
    }
  } finally {
    turbo.close();
    wasm.close();
    window.close();
  }
});

Deno.test("a resolution change mid-stream recreates the texture once, 100 frames reuse it", async () => {
  const window = openWindow(320, 240);
  const decoder = TurboDecoder.open();
  try {
    const red = await makeJpeg({ source: "color=c=red", width: 320, height: 240 });
    const blue = await makeJpeg({ source: "color=c=blue", width: 160, height: 120 });
    for (let i = 0; i < 100; i++) window.present(await decoder.decode(red));
    assert.equal(window.textureCreations, 1);
    window.present(await decoder.decode(blue));
    assert.equal(window.textureCreations, 2);
    assertColour(pixel(window.readPixelsRgba(), 300, 200), [0, 0, 255], 6, "scaled blue");
    for (let i = 0; i < 10; i++) window.present(await decoder.decode(blue));
    assert.equal(window.textureCreations, 2);
  } finally {
    decoder.close();
    window.close();
  }
});

Deno.test("frames are letterboxed at their aspect ratio; waiting screen shows a bar", async () => {
  const window = openWindow(400, 200);
  const decoder = TurboDecoder.open();
  try {
    window.presentWaiting(1000);
    const waiting = window.readPixelsRgba();
    const background = pixel(waiting, 0, 0);
    assert.notDeepEqual(pixel(waiting, 200, 100), background, "bar in the middle");

    window.present(
      await decoder.decode(
        await makeJpeg({
          source: "color=c=red",
          width: 320,
          height: 240,
        }),
      ),
    );
    // 4:3 in 400x200 -> 267x200 centred at x = 66: bars left and right.
    const shown = window.readPixelsRgba();
    assertColour(pixel(shown, 200, 100), [255, 0, 0], 6, "picture");
    assertColour(pixel(shown, 70, 10), [255, 0, 0], 6, "picture left edge");
    assert.deepEqual(pixel(shown, 10, 100), background, "left bar");
    assert.deepEqual(pixel(shown, 390, 100), background, "right bar");
  } finally {
    decoder.close();
    window.close();
  }
});

Deno.test("window controls work on a live window", () => {
  const window = openWindow(64, 48);
  try {
    window.setTitle("udpcam — 30 fps");
    // The driver this file asked for at the top (dummy, or the caller's).
    assert.equal(window.videoDriver, Deno.env.get("SDL_VIDEODRIVER"));
    assert.ok(Array.isArray(window.pollEvents()));
    const before = window.fullscreen;
    assert.equal(window.toggleFullscreen(), !before);
    assert.equal(window.toggleFullscreen(), before);
    const grey: YuvImage = {
      width: 2,
      height: 2,
      subsampling: "gray",
      planes: [new Uint8Array([128, 128, 128, 128])],
      strides: [2],
    };
    window.present(grey);
  } finally {
    window.close();
  }
  window.close();
  assert.throws(() => window.pollEvents(), /closed/);
});

Deno.test("parseSdlEvent maps SDL_Event bytes to actions", () => {
  const event = (fill: (v: DataView) => void) => {
    const view = new DataView(new ArrayBuffer(SDL_EVENT_BYTES));
    fill(view);
    return parseSdlEvent(view);
  };
  const key = (sym: number, repeat = 0) =>
    event((v) => {
      v.setUint32(0, SDL_KEYDOWN, true);
      v.setUint8(13, repeat);
      v.setInt32(20, sym, true);
    });
  assert.deepEqual(event((v) => v.setUint32(0, 0x100, true)), { type: "quit" });
  assert.deepEqual(key(0x71), { type: "quit" });
  assert.deepEqual(key(27), { type: "quit" });
  assert.deepEqual(key(0x66), { type: "toggleFullscreen" });
  assert.deepEqual(key(0x73), { type: "save" });
  assert.equal(key(0x73, 1), null, "auto-repeat ignored");
  assert.equal(key(0x61), null);
  const click = (button: number, clicks: number) =>
    event((v) => {
      v.setUint32(0, SDL_MOUSEBUTTONDOWN, true);
      v.setUint8(16, button);
      v.setUint8(17, 1);
      v.setUint8(18, clicks);
    });
  assert.deepEqual(click(1, 2), { type: "toggleFullscreen" });
  assert.equal(click(1, 1), null);
  assert.equal(click(3, 2), null);
  const windowEvent = (id: number) =>
    event((v) => {
      v.setUint32(0, SDL_WINDOWEVENT, true);
      v.setUint8(12, id);
      v.setInt32(16, 800, true);
      v.setInt32(20, 600, true);
    });
  assert.deepEqual(windowEvent(6), { type: "resized", width: 800, height: 600 });
  assert.deepEqual(windowEvent(14), { type: "quit" });
  assert.equal(windowEvent(1), null);
});

Deno.test("on the software renderer frames are decoded into the texture, colours right", async () => {
  const window = openWindow(320, 240);
  const decoder = TurboDecoder.open();
  try {
    // The dummy driver has no GPU: SDL picks its software renderer.
    assert.equal(window.prefersXrgb, true);
    for (const subsampling of ["420", "422", "444", "gray"] as const) {
      const jpeg = await makeJpeg({
        source: "color=c=0x2080c0",
        width: 320,
        height: 240,
        subsampling,
      });
      await decoder.decodeXrgb(jpeg, (width, height) => window.lockXrgb(width, height));
      window.presentLocked();
      const luma = Math.round(0.299 * 0x20 + 0.587 * 0x80 + 0.114 * 0xc0);
      const want = subsampling === "gray" ? [luma, luma, luma] : [0x20, 0x80, 0xc0];
      const pixels = window.readPixelsRgba();
      for (const [x, y] of [[0, 0], [160, 120], [319, 239]]) {
        assertColour(pixel(pixels, x, y), want, 6, `${subsampling} at ${x},${y}`);
      }
    }
    // Each frame filled the window 1:1, so it went straight into the window surface.
    assert.equal(window.framesToSurface, 4);
    assert.equal(window.textureCreations, 0);
    // The same colour bars through the YUV planes (SDL converts) and through XRGB (libjpeg-turbo
    // converts) look the same.
    const bars = await makeJpeg({ source: "testsrc2", width: 320, height: 240 });
    window.present(await decoder.decode(bars));
    const viaPlanes = window.readPixelsRgba();
    await decoder.decodeXrgb(bars, (width, height) => window.lockXrgb(width, height));
    window.presentLocked();
    const viaXrgb = window.readPixelsRgba();
    let sum = 0;
    for (let i = 0; i < viaXrgb.data.length; i++) {
      if (i % 4 !== 3) sum += Math.abs(viaXrgb.data[i] - viaPlanes.data[i]);
    }
    const mean = sum / (viaXrgb.data.length * 0.75);
    assert.ok(mean < 3, `mean difference ${mean}`);
  } finally {
    decoder.close();
    window.close();
  }
});

Deno.test("a frame that fails to decode into the texture is never drawn", async () => {
  const window = openWindow(160, 120);
  const decoder = TurboDecoder.open();
  try {
    window.presentWaiting(0);
    const background = pixel(window.readPixelsRgba(), 0, 0);
    const red = await makeJpeg({ source: "color=c=red", width: 160, height: 120 });
    const blue = await makeJpeg({ source: "color=c=blue", width: 160, height: 120, qscale: 2 });
    await decoder.decodeXrgb(red, (width, height) => window.lockXrgb(width, height));
    window.presentLocked();
    assertColour(pixel(window.readPixelsRgba(), 80, 60), [255, 0, 0], 6, "red shown");
    // Half a blue frame: libjpeg-turbo writes its first rows into the texture, then fails.
    await assert.rejects(
      () =>
        decoder.decodeXrgb(
          blue.subarray(0, blue.length - 200),
          (width, height) => window.lockXrgb(width, height),
        ),
      /Cannot decode JPEG/,
    );
    window.discardLocked();
    const after = window.readPixelsRgba();
    for (const [x, y] of [[0, 0], [80, 60], [159, 119]]) {
      assert.deepEqual(
        pixel(after, x, y),
        background,
        `redraw at ${x},${y} shows no partial frame`,
      );
    }
    assert.throws(() => window.presentLocked(), /not locked/);
  } finally {
    decoder.close();
    window.close();
  }
});

Deno.test("the window takes each frame's size until the user resizes it", async () => {
  const window = VideoWindow.open("udpcam test", 960, 540, { vsync: false, hidden: true });
  const decoder = TurboDecoder.open();
  const show = (jpeg: Uint8Array) => showXrgb(window, decoder, jpeg);
  try {
    const small = await makeJpeg({ source: "color=c=red", width: 320, height: 240 });
    const smaller = await makeJpeg({ source: "color=c=blue", width: 160, height: 120 });
    await show(small);
    // The dummy driver has no real screen, so the frame's size is taken as it is.
    assert.deepEqual(window.outputSize(), { width: 320, height: 240 });
    // Our own resize comes back as a resize event; it must not count as the user's.
    assert.ok(window.pollEvents().some((e) => e.type === "resized"));
    await show(smaller);
    assert.deepEqual(window.outputSize(), { width: 160, height: 120 });
    window.pollEvents();
    // Going fullscreen and back is a choice of the user's: the size stays from then on.
    window.toggleFullscreen();
    window.toggleFullscreen();
    window.pollEvents();
    await show(small);
    assert.deepEqual(window.outputSize(), { width: 160, height: 120 });
    // 4:3 in 160x120 fills it; the picture is scaled down, not cut.
    assertColour(pixel(window.readPixelsRgba(), 80, 60), [255, 0, 0], 6, "scaled red");
  } finally {
    decoder.close();
    window.close();
  }
});

/**
 * Resizes the one open SDL window the way a user would, behind VideoWindow's back. Loads SDL again
 * (the same library, so the same windows) with the two functions needed; window ids count from 1.
 */
function resizeOnlyWindow(width: number, height: number): void {
  const sdl = Deno.dlopen(Deno.env.get(SDL2_LIB_ENV) ?? sdlLibraryCandidates()[0], {
    SDL_GetWindowFromID: { parameters: ["u32"], result: "pointer" },
    SDL_SetWindowSize: { parameters: ["pointer", "i32", "i32"], result: "void" },
  });
  try {
    const windows = [];
    for (let id = 1; id <= 64; id++) {
      const window = sdl.symbols.SDL_GetWindowFromID(id);
      if (window !== null) windows.push(window);
    }
    assert.equal(windows.length, 1, "exactly one SDL window is open");
    sdl.symbols.SDL_SetWindowSize(windows[0], width, height);
  } finally {
    sdl.close();
  }
}

Deno.test("a frame in the window surface survives redraws, and a resize asks for it again", async () => {
  const window = openWindow(320, 240);
  const decoder = TurboDecoder.open();
  const show = (jpeg: Uint8Array) => showXrgb(window, decoder, jpeg);
  try {
    const red = await makeJpeg({ source: "color=c=red", width: 320, height: 240 });
    await show(red);
    assert.equal(window.framesToSurface, 1);
    assert.equal(window.redraw(), true, "same surface: the frame is still there");
    assertColour(pixel(window.readPixelsRgba(), 160, 120), [255, 0, 0], 6, "red after redraw");
    // The user makes the window bigger: SDL replaces the surface, and the frame in it is gone.
    resizeOnlyWindow(480, 360);
    window.pollEvents();
    const output = window.outputSize();
    assert.deepEqual(output, { width: 480, height: 360 });
    assert.equal(window.redraw(), false, "the surface was replaced: show the frame again");
    const blank = window.readPixelsRgba();
    assert.deepEqual(pixel(blank, output.width >> 1, output.height >> 1), [16, 18, 22]);
    // Not 1:1 any more: the frame goes through the texture, scaled and letterboxed.
    await show(red);
    assert.equal(window.framesToSurface, 1);
    assert.equal(window.textureCreations, 1);
    const shown = window.readPixelsRgba();
    assertColour(pixel(shown, output.width >> 1, output.height >> 1), [255, 0, 0], 6, "centre");
    assert.equal(window.redraw(), true, "a texture frame can always be drawn again");
  } finally {
    decoder.close();
    window.close();
  }
});
