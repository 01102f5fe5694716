/**
 * Decode + present cost per frame for each JPEG decoder at common sizes, with real SDL (the dummy
 * video driver unless SDL_VIDEODRIVER is set) and ffmpeg's testsrc2 frames. Prints the median.
 * libjpeg-turbo is measured both ways the window takes frames: YUV planes into an IYUV texture
 * (GPU renderers) and XRGB8888 (the software renderer; since the window takes each size, that is
 * straight into the window surface, with no scaling and no copy).
 *
 *   deno run -A bench/decode_bench.ts [--frames N]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { runMain } from "../lib/cli/run_main.ts";
import type { JpegDecoder } from "../lib/decode/decoder.ts";
import { openDecoder } from "../lib/decode/select_decoder.ts";
import { UserError } from "../lib/errors.ts";
import { JpegSplitter } from "../lib/jpeg/mod.ts";
import { VideoWindow } from "../lib/sdl/video_window.ts";
import { percentile } from "../lib/stats/mod.ts";

const SIZES = ["640x480", "1280x720", "1920x1080"];
const WARMUP_FRAMES = 5;

async function testsrcFrames(size: string, count: number): Promise<Uint8Array[]> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("ffmpeg", {
      args: [
        ...["-v", "error", "-nostdin", "-f", "lavfi", "-i", `testsrc2=size=${size}:rate=30`],
        // The sender's defaults: 4:2:0 MJPEG at about quality 80.
        ...["-frames:v", String(count), "-pix_fmt", "yuvj420p", "-q:v", "5", "-f", "mjpeg", "-"],
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch {
    throw new UserError("Cannot run ffmpeg: install it (sudo apt install ffmpeg).");
  }
  if (output.code !== 0) {
    throw new UserError(`Cannot make test frames: ${new TextDecoder().decode(output.stderr)}`);
  }
  return new JpegSplitter().push(output.stdout);
}

async function measure(
  decoder: JpegDecoder,
  window: VideoWindow,
  frames: Uint8Array[],
  xrgb: boolean,
): Promise<{ decodeMs: number; totalMs: number; kb: number }> {
  const decodeMs: number[] = [];
  const totalMs: number[] = [];
  for (let i = 0; i < frames.length; i++) {
    const start = performance.now();
    let decoded: number;
    if (xrgb && decoder.decodeXrgb) {
      await decoder.decodeXrgb(frames[i], (width, height) => window.lockXrgb(width, height));
      decoded = performance.now();
      window.presentLocked();
    } else {
      const image = await decoder.decode(frames[i]);
      decoded = performance.now();
      window.present(image);
    }
    const presented = performance.now();
    if (i < WARMUP_FRAMES) continue;
    decodeMs.push(decoded - start);
    totalMs.push(presented - start);
  }
  const kb = frames.reduce((sum, f) => sum + f.length, 0) / frames.length / 1024;
  return { decodeMs: percentile(decodeMs, 50)!, totalMs: percentile(totalMs, 50)!, kb };
}

async function main(args: string[]): Promise<number> {
  const flags = parseArgs({
    args,
    options: { frames: { type: "string" }, quick: { type: "boolean" } },
  }).values;
  const count = Math.max(WARMUP_FRAMES + 1, Number(flags.frames ?? (flags.quick ? 8 : 40)));
  if (!Deno.env.get("SDL_VIDEODRIVER")) Deno.env.set("SDL_VIDEODRIVER", "dummy");
  const window = VideoWindow.open("udpcam decode bench", 1280, 720, {
    vsync: false,
    hidden: true,
  });
  try {
    console.log(
      `decode + present, median of ${count - WARMUP_FRAMES} frames ` +
        `(SDL_VIDEODRIVER=${Deno.env.get("SDL_VIDEODRIVER")}):`,
    );
    console.log("decoder      size       JPEG KiB  decode ms  decode+present ms");
    const framesBySize = new Map<string, Uint8Array[]>();
    for (const size of SIZES) framesBySize.set(size, await testsrcFrames(size, count));
    const cases = [
      { label: "turbo yuv", choice: "turbo", xrgb: false },
      { label: "turbo xrgb", choice: "turbo", xrgb: true },
      { label: "wasm", choice: "wasm", xrgb: false },
    ] as const;
    for (const { label, choice, xrgb } of cases) {
      const { decoder } = await openDecoder(choice);
      try {
        for (const size of SIZES) {
          const r = await measure(decoder, window, framesBySize.get(size)!, xrgb);
          console.log(
            `${label.padEnd(12)} ${size.padEnd(10)} ${r.kb.toFixed(0).padStart(8)}  ` +
              `${r.decodeMs.toFixed(2).padStart(9)}  ${r.totalMs.toFixed(2).padStart(17)}`,
          );
        }
      } finally {
        decoder.close();
      }
    }
  } finally {
    window.close();
  }
  return 0;
}

if (import.meta.main) await runMain("decode_bench", main);
