/**
 * `deno task bench`: end-to-end on loopback with ffmpeg's testsrc2 at 640x480, 1280x720 and
 * 1920x1080 @30, several runs, medians. For each case: fps delivered, frames lost, one-way latency
 * (read from ffmpeg → frame complete at the receiver, and → presented in a window on SDL's dummy
 * driver) p50/p95/p99, CPU seconds per frame of sender
 * (without ffmpeg), ffmpeg and receiver read from /proc. The peer, measured in the same run on the
 * same stream settings: ffmpeg sending MJPEG over plain UDP (`-f mjpeg udp://`) to an ffmpeg
 * receiver that demuxes without decoding (`-c copy -f null`), i.e. the same work minus our
 * protocol.
 *
 * Flags: `--quick` (one size, one short run: checks the benchmark works), `--runs N`,
 * `--seconds S`, `--write FILE` (replace the results table in docs/benchmarks.md).
 *
 * @module
 */

import { freeUdpPort, jsonLines, startProgram } from "../tests/support/programs.ts";
import {
  childPids,
  cpuSeconds,
  machine,
  median,
  medianOrNull,
  parseBenchFlags,
  sleep,
  writeMarkedSection,
} from "./support/proc.ts";

const WARMUP_MS = 1000;

interface CaseResult {
  size: string;
  framesSent: number;
  framesComplete: number;
  fps: number;
  latencyP50: number | null;
  latencyP95: number | null;
  latencyP99: number | null;
  presentedP50: number | null;
  presentedP95: number | null;
  presentedP99: number | null;
  senderCpuMsPerFrame: number;
  ffmpegCpuMsPerFrame: number;
  receiverCpuMsPerFrame: number;
  peerSenderCpuMsPerFrame: number;
  peerReceiverCpuMsPerFrame: number;
  peerFrames: number;
}

async function runOurs(size: string, seconds: number, window = false) {
  const port = freeUdpPort();
  // With a window, SDL's dummy driver: decode, upload and present happen, no display needed.
  const receiver = startProgram(
    "receiver.ts",
    [
      "--listen",
      `127.0.0.1:${port}`,
      "--stats-json",
      ...(window ? ["--no-vsync"] : ["--headless"]),
    ],
    window ? { env: { SDL_VIDEODRIVER: "dummy" } } : {},
  );
  await receiver.waitForStderr(/listening on/);
  const sender = startProgram("sender.ts", [
    "--test-pattern",
    "--size",
    size,
    "--fps",
    "30",
    "--to",
    `127.0.0.1:${port}`,
    "--stats-json",
  ]);
  await sender.waitForStderr(/udpcam-send: streaming/);
  // CPU is counted from after a warm-up, so start-up (module loading, JIT) is not charged to frames.
  await sleep(WARMUP_MS);
  const ffmpegPid = childPids(sender.child.pid)[0];
  const pids = [sender.child.pid, ffmpegPid ?? -1, receiver.child.pid];
  const before = pids.map((pid) => cpuSeconds(pid) ?? 0);
  await sleep(seconds * 1000);
  const after = pids.map((pid) => cpuSeconds(pid) ?? 0);
  const [senderCpu, ffmpegCpu, receiverCpu] = after.map((value, i) => value - before[i]);
  sender.child.kill("SIGTERM");
  const sent = await sender.done;
  await sleep(300);
  receiver.child.kill("SIGTERM");
  const result = await receiver.done;
  const senderLast = jsonLines(sent.stdout).at(-1) as { framesSent: number; elapsedS: number };
  const last = jsonLines(result.stdout).at(-1) as {
    frames: { complete: number };
    latencyMsRun: { p50: number; p95: number; p99: number } | null;
    presentedLatencyMsRun?: { p50: number; p95: number; p99: number } | null;
  };
  // Frames in the measured window, at the rate the whole run had.
  const frames = Math.max(1, (senderLast.framesSent * seconds) / senderLast.elapsedS);
  const received = Math.max(1, (last.frames.complete * seconds) / senderLast.elapsedS);
  return {
    framesSent: senderLast.framesSent,
    framesComplete: last.frames.complete,
    fps: last.frames.complete / senderLast.elapsedS,
    latency: last.latencyMsRun,
    presented: last.presentedLatencyMsRun ?? null,
    senderCpuMsPerFrame: (senderCpu * 1000) / frames,
    ffmpegCpuMsPerFrame: (ffmpegCpu * 1000) / frames,
    receiverCpuMsPerFrame: (receiverCpu * 1000) / received,
  };
}

/** The peer: ffmpeg → plain UDP MJPEG → ffmpeg demuxing without decoding. */
async function runPeer(size: string, seconds: number) {
  const port = freeUdpPort();
  const receiver = new Deno.Command("ffmpeg", {
    args: [
      "-hide_banner",
      "-nostdin",
      "-loglevel",
      "error",
      "-f",
      "mjpeg",
      "-i",
      `udp://127.0.0.1:${port}?fifo_size=100000&overrun_nonfatal=1`,
      "-c",
      "copy",
      "-f",
      "null",
      "-progress",
      "pipe:1",
      "-",
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const progress = new Response(receiver.stdout).text();
  await sleep(500);
  const sender = new Deno.Command("ffmpeg", {
    args: [
      "-hide_banner",
      "-nostdin",
      "-loglevel",
      "error",
      "-re",
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=${size}:rate=30`,
      "-vf",
      "format=yuvj420p",
      "-c:v",
      "mjpeg",
      "-q:v",
      "8",
      "-f",
      "mjpeg",
      `udp://127.0.0.1:${port}?pkt_size=1200`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await sleep(WARMUP_MS);
  const senderBefore = cpuSeconds(sender.pid) ?? 0;
  const receiverBefore = cpuSeconds(receiver.pid) ?? 0;
  await sleep(seconds * 1000);
  const senderCpu = (cpuSeconds(sender.pid) ?? 0) - senderBefore;
  const receiverCpu = (cpuSeconds(receiver.pid) ?? 0) - receiverBefore;
  sender.kill("SIGTERM");
  await sender.status;
  receiver.kill("SIGTERM");
  // ffmpeg blocked on UDP input may ignore SIGTERM; its progress lines are already out.
  const killer = setTimeout(() => receiver.kill("SIGKILL"), 2000);
  await receiver.status;
  clearTimeout(killer);
  const output = await progress;
  const frames = Number([...output.matchAll(/^frame=(\d+)/gm)].at(-1)?.[1] ?? 0);
  const windowFrames = seconds * 30;
  return {
    peerFrames: frames,
    peerSenderCpuMsPerFrame: (senderCpu * 1000) / windowFrames,
    peerReceiverCpuMsPerFrame: (receiverCpu * 1000) / windowFrames,
  };
}

async function benchCase(size: string, runs: number, seconds: number): Promise<CaseResult> {
  const ours = [];
  const peers = [];
  const windowed = [];
  for (let run = 0; run < runs; run++) {
    ours.push(await runOurs(size, seconds));
    peers.push(await runPeer(size, seconds));
    windowed.push(await runOurs(size, seconds, true));
  }
  return {
    size,
    framesSent: median(ours.map((r) => r.framesSent)),
    framesComplete: median(ours.map((r) => r.framesComplete)),
    fps: median(ours.map((r) => r.fps)),
    latencyP50: medianOrNull(ours.map((r) => r.latency?.p50 ?? null)),
    latencyP95: medianOrNull(ours.map((r) => r.latency?.p95 ?? null)),
    latencyP99: medianOrNull(ours.map((r) => r.latency?.p99 ?? null)),
    presentedP50: medianOrNull(windowed.map((r) => r.presented?.p50 ?? null)),
    presentedP95: medianOrNull(windowed.map((r) => r.presented?.p95 ?? null)),
    presentedP99: medianOrNull(windowed.map((r) => r.presented?.p99 ?? null)),
    senderCpuMsPerFrame: median(ours.map((r) => r.senderCpuMsPerFrame)),
    ffmpegCpuMsPerFrame: median(ours.map((r) => r.ffmpegCpuMsPerFrame)),
    receiverCpuMsPerFrame: median(ours.map((r) => r.receiverCpuMsPerFrame)),
    peerSenderCpuMsPerFrame: median(peers.map((r) => r.peerSenderCpuMsPerFrame)),
    peerReceiverCpuMsPerFrame: median(peers.map((r) => r.peerReceiverCpuMsPerFrame)),
    peerFrames: median(peers.map((r) => r.peerFrames)),
  };
}

const fixed = (value: number | null, digits = 2) => value === null ? "n/a" : value.toFixed(digits);

function table(results: CaseResult[]): string {
  const rows = [
    "| size | frames sent | frames complete (lost) | fps delivered | latency p50 / p95 / p99 ms | presented p50 / p95 / p99 ms | sender CPU ms/frame | ffmpeg CPU ms/frame | receiver CPU ms/frame | peer ffmpeg sender ms/frame | peer ffmpeg receiver ms/frame | receiver ours/peer |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    rows.push(
      `| ${r.size} | ${r.framesSent} | ${r.framesComplete} (${
        r.framesSent - r.framesComplete
      }) | ` +
        `${fixed(r.fps, 1)} | ${fixed(r.latencyP50)} / ${fixed(r.latencyP95)} / ${
          fixed(r.latencyP99)
        } | ${fixed(r.presentedP50)} / ${fixed(r.presentedP95)} / ${fixed(r.presentedP99)} | ` +
        `${fixed(r.senderCpuMsPerFrame)} | ${fixed(r.ffmpegCpuMsPerFrame)} | ${
          fixed(r.receiverCpuMsPerFrame)
        } | ` +
        `${fixed(r.peerSenderCpuMsPerFrame)} | ${fixed(r.peerReceiverCpuMsPerFrame)} | ${
          fixed(r.receiverCpuMsPerFrame / Math.max(1e-9, r.peerReceiverCpuMsPerFrame))
        } |`,
    );
  }
  return rows.join("\n");
}

async function main() {
  const { quick, runs, seconds, write } = parseBenchFlags(Deno.args, {
    runs: 3,
    seconds: 8,
    quickSeconds: 2,
  });
  const sizes = quick ? ["640x480"] : ["640x480", "1280x720", "1920x1080"];
  const results: CaseResult[] = [];
  for (const size of sizes) {
    console.error(`bench: ${size}, ${runs} runs of ${seconds} s`);
    results.push(await benchCase(size, runs, seconds));
  }
  const output = `Machine: ${await machine()}\n` +
    `Date: ${
      new Date().toISOString().slice(0, 10)
    }; ${runs} runs of ${seconds} s per size, medians.\n\n` +
    table(results);
  console.log(output);
  if (write) await writeMarkedSection(write, "e2e", output);
}

if (import.meta.main) await main();
