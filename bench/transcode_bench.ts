/**
 * `deno run -A bench/transcode_bench.ts`: what re-encoding frames in the sender costs
 * (lib/decode/turbo_transcoder.ts), rung by rung of the picture ladder, against restarting ffmpeg
 * at another quality.
 *
 * Sources: the sender's own ffmpeg command for the test pattern (lib/capture's buildFfmpegArgs,
 * `--quality 80`, read as fast as ffmpeg makes them) at 1280x720 and 1920x1080, and camera-like
 * pass-through frames: 4:2:2 (`-pix_fmt yuvj422p`), qscale 4, Huffman tables removed as webcams
 * send them. Per source and rung (the ladder's qualities at full size, a few at each of
 * REENCODE_SCALES): output bytes and the wall time of `transcode()` (median and p95 of N frames,
 * after a warm-up), and CPU per frame from /proc (all of the process's threads: libjpeg-turbo
 * runs on Deno's FFI worker). Then the worst rung of each source run long, as CPU share of one
 * core at 30 fps; then ffmpeg's restart: from spawning the sender's test-pattern command to its
 * first complete frame.
 *
 * Flags: `--frames N` measured per cell (default 60), `--quick` (720p only, three rungs, 6
 * frames, one restart: to check it runs), `--write FILE` (replace the section between
 * `<!-- bench:transcode:start -->` and `<!-- bench:transcode:end -->` in FILE).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { REENCODE_SCALES } from "../lib/adapt/mod.ts";
import { buildFfmpegArgs } from "../lib/capture/mod.ts";
import { runMain } from "../lib/cli/run_main.ts";
import { libjpegQualityFor } from "../lib/send/mod.ts";
import { scaledDimension, TurboTranscoder } from "../lib/decode/turbo_transcoder.ts";
import { UserError } from "../lib/errors.ts";
import { JpegSplitter } from "../lib/jpeg/mod.ts";
import { percentile } from "../lib/stats/mod.ts";
import { withoutHuffmanTables } from "../tests/support/strip_huffman.ts";
import { cpuSeconds, median, startReport, writeMarkedSection } from "./support/proc.ts";

const WARMUP_FRAMES = 5;
/** Frames of the worst rung run back to back for its CPU share. */
const CPU_RUN_FRAMES = 150;
const RESTARTS = 5;
const RESTART_TIMEOUT_MS = 10_000;

interface SourceSpec {
  label: string;
  width: number;
  height: number;
  /** The sender's test pattern (re-encode mode), or a camera-like 4:2:2 frame (pass-through). */
  kind: "sender" | "camera";
}

interface Rung {
  quality: number;
  scale: number;
}

const FULL: SourceSpec[] = [
  { label: "720p test pattern", width: 1280, height: 720, kind: "sender" },
  { label: "1080p test pattern", width: 1920, height: 1080, kind: "sender" },
  { label: "720p camera-like 4:2:2", width: 1280, height: 720, kind: "camera" },
  { label: "1080p camera-like 4:2:2", width: 1920, height: 1080, kind: "camera" },
];

/** The ladder's qualities at full size; at each smaller size, a few. */
const FULL_RUNGS: Rung[] = [
  ...[80, 70, 60, 50, 40].map((quality) => ({ quality, scale: 1 })),
  ...REENCODE_SCALES.slice(1).flatMap((scale) =>
    [80, 60, 40].map((quality) => ({ quality, scale }))
  ),
];
const QUICK_RUNGS: Rung[] = [{ quality: 60, scale: 1 }, { quality: 40, scale: 3 / 4 }, {
  quality: 40,
  scale: 1 / 2,
}];

async function run(args: string[]): Promise<Uint8Array> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("ffmpeg", {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  } catch (error) {
    throw new UserError("Cannot run ffmpeg. Install it: sudo apt install ffmpeg.", 1, {
      cause: error,
    });
  }
  if (!output.success) {
    throw new UserError(`Cannot make test frames: ${new TextDecoder().decode(output.stderr)}`);
  }
  return output.stdout;
}

/** The sender's ffmpeg command for the test pattern at `--quality 80`, 30 fps. */
function senderArgs(width: number, height: number, realtime: boolean): string[] {
  const args = buildFfmpegArgs({
    source: { kind: "testPattern" },
    size: { width, height },
    fps: 30,
    realtime: true,
    quality: 80,
    passthrough: false,
    standardHuffmanTables: false,
  }, "linux");
  // The test pattern always runs in real time (-re); the frames for the table need not wait.
  return realtime ? args : args.filter((arg) => arg !== "-re");
}

async function sourceFrames(spec: SourceSpec, count: number): Promise<Uint8Array[]> {
  if (spec.kind === "sender") {
    const args = senderArgs(spec.width, spec.height, false);
    const at = args.indexOf("-f", args.indexOf("-c:v"));
    args.splice(at, 0, "-frames:v", String(count));
    return new JpegSplitter().push(await run(args));
  }
  const stream = await run([
    ...["-v", "error", "-nostdin", "-f", "lavfi"],
    ...["-i", `testsrc2=size=${spec.width}x${spec.height}:rate=30`, "-frames:v", String(count)],
    ...["-pix_fmt", "yuvj422p", "-c:v", "mjpeg", "-huffman", "default", "-q:v", "4"],
    ...["-f", "mjpeg", "-"],
  ]);
  return new JpegSplitter().push(stream).map(withoutHuffmanTables);
}

interface Cell {
  rung: Rung;
  bytes: number;
  msP50: number;
  msP95: number;
  cpuMsPerFrame: number;
}

async function measureRung(
  transcoder: TurboTranscoder,
  frames: Uint8Array[],
  rung: Rung,
  count: number,
): Promise<Cell> {
  const options = optionsOf(rung);
  for (let i = 0; i < WARMUP_FRAMES; i++) {
    await transcoder.transcode(frames[i % frames.length], options);
  }
  const ms: number[] = [];
  const bytes: number[] = [];
  const cpuBefore = cpuSeconds(Deno.pid) ?? 0;
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const out = await transcoder.transcode(frames[i % frames.length], options);
    ms.push(performance.now() - start);
    bytes.push(out.length);
  }
  const cpu = (cpuSeconds(Deno.pid) ?? 0) - cpuBefore;
  return {
    rung,
    bytes: median(bytes),
    msP50: median(ms),
    msP95: percentile(ms, 95)!,
    cpuMsPerFrame: (cpu * 1000) / count,
  };
}

/** CPU share of one core that transcoding 30 frames a second at `rung` takes. */
async function cpuAt30Fps(
  transcoder: TurboTranscoder,
  frames: Uint8Array[],
  rung: Rung,
  count: number,
): Promise<number> {
  const options = optionsOf(rung);
  const before = cpuSeconds(Deno.pid) ?? 0;
  for (let i = 0; i < count; i++) await transcoder.transcode(frames[i % frames.length], options);
  const perFrame = ((cpuSeconds(Deno.pid) ?? 0) - before) / count;
  return perFrame * 30;
}

/** Milliseconds from spawning the sender's ffmpeg to its first complete frame on stdout. */
async function restartMs(width: number, height: number): Promise<number> {
  const start = performance.now();
  const child = new Deno.Command("ffmpeg", {
    args: senderArgs(width, height, true),
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const splitter = new JpegSplitter();
  let firstMs: number | null = null;
  const timer = setTimeout(() => reader.cancel(), RESTART_TIMEOUT_MS);
  try {
    while (firstMs === null) {
      const { value, done } = await reader.read();
      if (done) break;
      if (splitter.push(value).length > 0) firstMs = performance.now() - start;
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
  }
  if (firstMs === null) throw new Error("Cannot measure ffmpeg's restart: it made no frame.");
  return firstMs;
}

/** What the picture stage asks the transcoder for at `rung`. */
function optionsOf(rung: Rung): { quality: number; scaleEighths: number } {
  return { quality: libjpegQualityFor(rung.quality), scaleEighths: Math.round(rung.scale * 8) };
}

function rungLabel(rung: Rung): string {
  const size = rung.scale === 1 ? "1" : rung.scale === 3 / 4 ? "3/4" : "1/2";
  return `q ${rung.quality} (libjpeg ${libjpegQualityFor(rung.quality)}), ${size}`;
}

async function main(args: string[]): Promise<number> {
  const flags = parseArgs({
    args,
    options: { frames: { type: "string" }, quick: { type: "boolean" }, write: { type: "string" } },
  }).values;
  const quick = flags.quick ?? false;
  const count = Number(flags.frames ?? (quick ? 6 : 60));
  if (!(Number.isInteger(count) && count >= 1 && count <= 1000)) {
    throw new UserError(
      `Cannot measure ${flags.frames} frames: not a whole number 1..1000. Give --frames N.`,
      2,
    );
  }
  const sources = quick ? [FULL[0], FULL[2]] : FULL;
  const rungs = quick ? QUICK_RUNGS : FULL_RUNGS;
  const started = performance.now();
  const { lines, out } = await startReport();
  out(
    "Per rung (the ladder's quality, re-encoded at the libjpeg quality that quantizes alike; " +
      `size): JPEG bytes (median), wall time of one \`transcode()\` (decode + 4:2:0 + encode + ` +
      `check; median / p95 of ${count} frames after ${WARMUP_FRAMES} of warm-up) and CPU per ` +
      "frame (all threads, /proc; 10 ms ticks).",
  );
  out();
  out("| source | rung | size | KB | vs source | ms p50 | ms p95 | CPU ms/frame |");
  out("| ------ | ---- | ---- | -- | --------- | ------ | ------ | ------------ |");
  const worst: { source: SourceSpec; rung: Rung; msP50: number; cpuShare: number }[] = [];
  const transcoder = TurboTranscoder.open();
  try {
    for (const source of sources) {
      const frames = await sourceFrames(source, Math.max(count, 10));
      const sourceBytes = median(frames.map((f) => f.length));
      out(
        `| ${source.label} | as it comes (top rung: passed) | ${source.width}x${source.height} | ` +
          `${(sourceBytes / 1000).toFixed(1)} | 1.00 | 0 | 0 | 0 |`,
      );
      const cells: Cell[] = [];
      for (const rung of rungs) {
        const cell = await measureRung(transcoder, frames, rung, count);
        cells.push(cell);
        const eighths = Math.round(rung.scale * 8);
        const size = `${scaledDimension(source.width, eighths)}x${
          scaledDimension(source.height, eighths)
        }`;
        out(
          `| ${source.label} | ${rungLabel(rung)} | ${size} | ${
            (cell.bytes / 1000).toFixed(1)
          } | ` +
            `${(cell.bytes / sourceBytes).toFixed(2)} | ${cell.msP50.toFixed(2)} | ` +
            `${cell.msP95.toFixed(2)} | ${cell.cpuMsPerFrame.toFixed(1)} |`,
        );
      }
      const slowest = cells.reduce((a, b) => (b.msP50 > a.msP50 ? b : a));
      const cpuShare = await cpuAt30Fps(
        transcoder,
        frames,
        slowest.rung,
        quick ? 15 : CPU_RUN_FRAMES,
      );
      worst.push({ source, rung: slowest.rung, msP50: slowest.msP50, cpuShare });
    }
  } finally {
    transcoder.close();
  }
  out();
  out(
    `The slowest rung of each source, transcoded back to back (${
      quick ? 15 : CPU_RUN_FRAMES
    } frames), as CPU at 30 fps:`,
  );
  out();
  out("| source | slowest rung | ms p50 | CPU at 30 fps (% of one core) |");
  out("| ------ | ------------ | ------ | ----------------------------- |");
  for (const w of worst) {
    out(
      `| ${w.source.label} | ${rungLabel(w.rung)} | ${w.msP50.toFixed(2)} | ` +
        `${(w.cpuShare * 100).toFixed(0)} % |`,
    );
  }
  out();
  const restarts = quick ? 1 : RESTARTS;
  out(
    `The alternative, restarting ffmpeg at another quality: from spawning the sender's ` +
      `test-pattern command to its first complete frame (${restarts} runs):`,
  );
  out();
  out("| size | first frame after spawn, median ms | slowest ms | frames of 30 fps missed |");
  out("| ---- | ---------------------------------- | ---------- | ----------------------- |");
  for (const [width, height] of quick ? [[1280, 720]] : [[1280, 720], [1920, 1080]]) {
    const samples: number[] = [];
    for (let i = 0; i < restarts; i++) samples.push(await restartMs(width, height));
    const mid = median(samples);
    out(
      `| ${width}x${height} | ${mid.toFixed(0)} | ${Math.max(...samples).toFixed(0)} | ` +
        `${Math.ceil((mid * 30) / 1000)} |`,
    );
  }
  out();
  out(`Total run: ${((performance.now() - started) / 1000).toFixed(0)} s.`);
  if (flags.write) await writeMarkedSection(flags.write, "transcode", lines.join("\n"));
  return 0;
}

if (import.meta.main) await runMain("transcode_bench", main);
