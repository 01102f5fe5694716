/**
 * udpcam against GStreamer and FFmpeg on the same recorded stream, in the same run (issue #8).
 *
 * Source: a testsrc2 MJPEG file per size (640x480, 1280x720, 1920x1080; qscale 8, the standard
 * Huffman tables so RTP/JPEG can carry it), which udpcam-send plays at 30 fps with
 * `--file F --passthrough`. Receivers of that stream, each several runs, medians:
 * - ours with a window (`--no-vsync`, SDL's dummy video driver) and ours `--headless`, fed with
 *   udpcam's own wire format;
 * - `gst-launch-1.0 udpsrc ! rtpjpegdepay ! jpegdec ! fakesink` (decode only), the same with
 *   `videoconvert` to BGRx before the fakesink (the colour conversion our window receiver does on
 *   SDL's software renderer, where libjpeg-turbo decodes to XRGB8888 and the window takes the
 *   frame's size), and `ffmpeg -i stream.sdp -f null -`, fed by the same sender with `--wire rtp`.
 * Figures: frames sent and delivered, CPU ms per frame of every process from /proc (after a 1 s
 * warm-up), receiver RSS, latency (ours only: RTP carries no wall clock), and libjpeg-turbo's
 * decode CPU per frame of the same clip measured in this process. Then: the first frame of a
 * receiver started on a running 720p stream; the max sustained fps, from a ladder of rates
 * (`--fps N --no-loop` into a headless receiver: the highest rate with no frame lost in any run);
 * pass-through against re-encoding at 1080p; RSS of two 1080p window receivers over 5 minutes, as
 * shipped and without `--expose-gc`, side by side. The targets of issue #8 are checked by the code.
 *
 * Flags: `--quick` (640x480 only, one short run per case: checks that everything runs, and exits 0
 * whenever the cases completed, whatever the verdicts), `--runs N`, `--seconds S`, `--write FILE`
 * (replace the section between `<!-- bench:peers:start -->` and `<!-- bench:peers:end -->` in
 * FILE, e.g. docs/benchmarks.md).
 *
 * @module
 */

import { openDecoder } from "../lib/decode/select_decoder.ts";
import { JpegSplitter } from "../lib/jpeg/mod.ts";
import { writeSdp } from "../lib/wire/rtp/mod.ts";
import { planRate, sdpFramesPerSecond } from "../lib/send/mod.ts";
import { V8_OPTIONS } from "../tools/permissions.ts";
import {
  freeUdpPort,
  jsonLines,
  type RunningProgram,
  startProgram,
} from "../tests/support/programs.ts";
import {
  childPids,
  cpuSeconds,
  machine,
  median,
  medianOrNull,
  parseBenchFlags,
  rssMb,
  sleep,
  stopProcess,
  writeMarkedSection,
} from "./support/proc.ts";

/** CPU is counted from this long after the sender starts: start-up and JIT are not per frame. */
const WARMUP_MS = 1000;
/** How long receivers get after the sender stopped to finish the frames still in flight. */
const DRAIN_MS = 500;
/** Longest wait for a program to start (its banner, or its UDP port bound). */
const START_TIMEOUT_MS = 20_000;
const FPS = 30;

const GST_CAPS = "application/x-rtp,media=video,clock-rate=90000,encoding-name=JPEG,payload=26";

/** The rates of the max-fps ladder per size, and the issue's target there. */
interface LadderSize {
  size: string;
  rates: number[];
  /** Issue #8's minimum, or null (the --quick size has none). */
  targetFps: number | null;
}
const LADDER: LadderSize[] = [
  { size: "1280x720", rates: [300, 600, 1000], targetFps: 300 },
  { size: "1920x1080", rates: [150, 300, 600], targetFps: 150 },
];
const QUICK_LADDER: LadderSize[] = [{ size: "640x480", rates: [300], targetFps: null }];
/** The ladder clip lasts this long at the size's top rate (and proportionally longer below it). */
const LADDER_SECONDS_AT_TOP_RATE = 2.5;
/** A rate counts as sustained only if the sender really released frames this close to it. */
const SUSTAINED_RATE_SHARE = 0.95;
/** How long the unthrottled `--fps max` step plays (looped clip). */
const UNTHROTTLED_SECONDS = 3;
/** Frames decoded per size to measure libjpeg-turbo's CPU per frame on the clip itself. */
const DECODES_PER_MEASURE = 400;
/** The RSS run: as long as the issue's "flat over a 5-minute run", sampled every 10 s. */
const RSS_RUN_SECONDS = 300;
const RSS_SAMPLE_EVERY_S = 10;
/** Flat: RSS after the first minute never more than this much above RSS at the first minute. */
const RSS_FLAT_GROWTH_PERCENT = 5;

type Receiver = "window" | "headless" | "gstreamer" | "gstreamerConvert" | "ffmpeg";
type PeerKind = "gstreamer" | "gstreamerConvert" | "ffmpeg";
const RECEIVERS: Receiver[] = ["window", "headless", "gstreamer", "gstreamerConvert", "ffmpeg"];
const RECEIVER_NAMES: Record<Receiver, string> = {
  window: "ours, window (dummy driver)",
  headless: "ours, headless",
  gstreamer: "GStreamer, decode only",
  gstreamerConvert: "GStreamer, decode + RGB",
  ffmpeg: "FFmpeg",
};

/** A frame counter read at a moment of this process's clock (performance.now()). */
interface Sample {
  atMs: number;
  count: number;
}

/** The counter at `atMs`, interpolated between the samples around it (streams run steadily). */
function countAt(samples: Sample[], atMs: number): number {
  let before: Sample | null = null;
  for (const sample of samples) {
    if (sample.atMs <= atMs) {
      before = sample;
      continue;
    }
    if (before === null) return 0;
    const share = (atMs - before.atMs) / Math.max(1e-9, sample.atMs - before.atMs);
    return before.count + share * (sample.count - before.count);
  }
  return before?.count ?? 0;
}

/** One run of one receiver on one stream. */
interface Run {
  framesSent: number;
  framesDelivered: number;
  /** Frames the receiver gave up (ours only). */
  framesDropped: number | null;
  /** Frames per second the receiver delivered over the measured window. */
  deliveredPerS: number;
  receiverCpuMsPerFrame: number;
  receiverRssMb: number | null;
  senderCpuMsPerFrame: number;
  /** The sender's CPU over the window as a share of one core, in percent. */
  senderCpuPercent: number;
  ffmpegCpuMsPerFrame: number;
  latency: { p50: number; p95: number; p99: number } | null;
  firstFrameMs: number | null;
}

/** Every process this benchmark started and has not stopped yet, for cleanup on any exit. */
const running = new Map<number, Promise<unknown>>();

function track(pid: number, exited: Promise<unknown>): void {
  running.set(pid, exited);
  exited.finally(() => running.delete(pid));
}

async function stop(pid: number): Promise<void> {
  const exited = running.get(pid);
  if (exited) await stopProcess(pid, exited);
}

async function stopAll(): Promise<void> {
  await Promise.allSettled([...running.keys()].map(stop));
}

function startTracked(
  entry: string,
  args: string[],
  env?: Record<string, string>,
  v8Flags?: readonly string[],
): RunningProgram {
  const program = startProgram(entry, args, { ...(env ? { env } : {}), v8Flags });
  track(program.child.pid, program.done);
  return program;
}

/** Fails naming the apt package when a tool this benchmark runs is missing. */
async function requireTools(): Promise<void> {
  const missing: string[] = [];
  const runs = async (tool: string, args: string[]) => {
    try {
      const { success } = await new Deno.Command(tool, { args, stdout: "null", stderr: "null" })
        .output();
      return success;
    } catch {
      return false;
    }
  };
  if (!await runs("ffmpeg", ["-version"])) missing.push("ffmpeg (apt install ffmpeg)");
  if (!await runs("gst-launch-1.0", ["--version"])) {
    missing.push("gst-launch-1.0 (apt install gstreamer1.0-tools)");
  } else {
    const elements: [string, string][] = [
      ["udpsrc", "gstreamer1.0-plugins-good"],
      ["rtpjpegdepay", "gstreamer1.0-plugins-good"],
      ["jpegdec", "gstreamer1.0-plugins-good"],
      ["videoconvert", "gstreamer1.0-plugins-base"],
      ["fakesink", "gstreamer1.0-tools"],
    ];
    for (const [element, aptPackage] of elements) {
      if (!await runs("gst-inspect-1.0", [element])) {
        missing.push(`GStreamer's ${element} (apt install ${aptPackage})`);
      }
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `Cannot run the peer benchmark: missing ${missing.join(", ")}. Install it and run again.`,
    );
  }
}

/**
 * Records a source clip of `frames` frames: testsrc2 at 30 fps as MJPEG with the standard Huffman
 * tables, in Matroska. `name` tells clips of the same size apart.
 */
async function recordSource(
  dir: string,
  size: string,
  frames: number,
  name = "clip",
): Promise<string> {
  const path = `${dir}/${name}_${size}.mkv`;
  const child = new Deno.Command("ffmpeg", {
    args: [
      "-hide_banner",
      "-nostdin",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=${size}:rate=${FPS}`,
      "-frames:v",
      String(frames),
      "-vf",
      "format=yuvj420p",
      "-c:v",
      "mjpeg",
      "-q:v",
      "8",
      "-huffman",
      "default",
      "-y",
      path,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  track(child.pid, child.status);
  const stderr = new Response(child.stderr).text();
  const timeout = setTimeout(() => stop(child.pid), 300_000);
  const status = await child.status;
  clearTimeout(timeout);
  if (!status.success) {
    throw new Error(`Cannot record the ${size} source with ffmpeg: ${(await stderr).trim()}`);
  }
  return path;
}

/**
 * Resolves once something has bound UDP `port`, so a peer started before the sender is ready;
 * rejects if `exited()` turns true first or after `timeoutMs`.
 */
async function waitForUdpPort(
  port: number,
  exited: () => boolean,
  timeoutMs = START_TIMEOUT_MS,
): Promise<void> {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline && !exited()) {
    for (const table of ["/proc/net/udp", "/proc/net/udp6"]) {
      try {
        const lines = Deno.readTextFileSync(table).split("\n").slice(1);
        // Columns: sl, local_address (HEXADDR:HEXPORT), rem_address, ...
        if (lines.some((line) => line.trim().split(/\s+/)[1]?.endsWith(suffix))) return;
      } catch { /* no IPv6 */ }
    }
    await sleep(20);
  }
  throw new Error(
    exited()
      ? `the receiver exited before binding UDP port ${port}`
      : `nothing bound UDP port ${port} within ${timeoutMs} ms`,
  );
}

/** Samples of a `--stats-json` counter, placed on our clock by the program's `elapsedS`. */
function statsSamples(
  lines: Record<string, unknown>[],
  startedAtMs: number,
  count: (line: Record<string, unknown>) => number,
): Sample[] {
  return [
    { atMs: startedAtMs, count: 0 },
    ...lines.map((line) => ({
      atMs: startedAtMs + Number(line.elapsedS) * 1000,
      count: count(line),
    })),
  ];
}

/** A peer receiver (gst-launch-1.0 or ffmpeg) whose decoded frames are counted as they come. */
interface Peer {
  pid: number;
  /** Its frame counter over time, from its own output. */
  samples: Sample[];
  /** Whether it has exited. */
  exited(): boolean;
  /** Resolves when it has exited and all its output is read. */
  done: Promise<unknown>;
  /** The end of its stderr, for error messages. */
  stderrTail(): string;
}

/**
 * gst-launch-1.0's arguments: -v prints fakesink's last-message once per buffer, one per frame.
 * With `toRgb`, each decoded frame is also converted to 32-bit BGRx at its own size.
 */
function gstreamerArgs(port: number, toRgb: boolean): string[] {
  const convert = toRgb ? ["videoconvert", "!", "video/x-raw,format=BGRx", "!"] : [];
  return [
    "-v",
    "udpsrc",
    `port=${port}`,
    `caps=${GST_CAPS}`,
    "!",
    "rtpjpegdepay",
    "!",
    "jpegdec",
    "!",
    ...convert,
    "fakesink",
    "sync=false",
    "silent=false",
  ];
}

/** ffmpeg's arguments: decode the stream the SDP describes, count frames on `-progress`. */
function ffmpegArgs(sdpPath: string): string[] {
  return [
    "-hide_banner",
    "-nostdin",
    "-protocol_whitelist",
    "file,udp,rtp",
    "-i",
    sdpPath,
    // Every decoded frame reaches the null muxer once: no frame-rate conversion drops or dups.
    "-fps_mode",
    "passthrough",
    "-f",
    "null",
    "-progress",
    "pipe:1",
    "-",
  ];
}

async function readLines(
  stream: ReadableStream<Uint8Array>,
  each: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split(/[\r\n]/);
    pending = lines.pop()!;
    for (const line of lines) each(line);
  }
  each(pending);
}

function startPeer(kind: PeerKind, port: number, sdpPath: string): Peer {
  const gstreamer = kind !== "ffmpeg";
  const child = new Deno.Command(gstreamer ? "gst-launch-1.0" : "ffmpeg", {
    args: gstreamer ? gstreamerArgs(port, kind === "gstreamerConvert") : ffmpegArgs(sdpPath),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.finally(() => exited = true);
  track(child.pid, status);
  const samples: Sample[] = [{ atMs: performance.now(), count: 0 }];
  let count = 0;
  const onLine = gstreamer
    ? (line: string) => {
      if (line.includes("last-message = chain")) count++;
    }
    : (line: string) => {
      // `-progress` on stdout ("frame=N") and the stats on stderr ("frame=  N fps=..."): only
      // stderr gets the final report when ffmpeg is stopped, stdout is the cleaner live one.
      const match = /^frame=\s*(\d+)/.exec(line);
      if (match) count = Math.max(count, Number(match[1]));
    };
  const counted = (line: string) => {
    const before = count;
    onLine(line);
    if (count !== before) samples.push({ atMs: performance.now(), count });
  };
  const stdout = readLines(child.stdout, counted).catch(() => {});
  let stderr = "";
  const stderrDone = readLines(child.stderr, (line) => {
    if (kind === "ffmpeg") counted(line);
    stderr = (stderr + line + "\n").slice(-2000);
  }).catch(() => {});
  return {
    pid: child.pid,
    samples,
    exited: () => exited,
    done: Promise.all([status, stdout, stderrDone]),
    stderrTail: () => stderr,
  };
}

/** CPU seconds of several processes between two moments. */
function cpuOf(pids: number[]): () => number[] {
  const before = pids.map((pid) => cpuSeconds(pid) ?? 0);
  return () => pids.map((pid, i) => (cpuSeconds(pid) ?? before[i]) - before[i]);
}

interface SenderSetup {
  file: string;
  /** The clip's frame size, WxH. */
  size: string;
  passthrough?: boolean;
}

/** Runs one receiver on one stream for `seconds` after the warm-up and measures it. */
async function runCase(
  receiverKind: Receiver,
  setup: SenderSetup,
  seconds: number,
  dir: string,
): Promise<Run> {
  const port = freeUdpPort();
  const ours = receiverKind === "window" || receiverKind === "headless";
  let ourReceiver: RunningProgram | null = null;
  let ourReceiverStartMs = 0;
  let peer: Peer | null = null;
  const sdpPath = `${dir}/stream_${port}.sdp`;
  // Described as the sender describes it: the same rate plan (a pass-through file plays at its own
  // rate, so its SDP names none).
  const framesPerSecond = sdpFramesPerSecond(
    planRate({ sourceKind: "file", passthrough: setup.passthrough !== false, fps: null }),
  );
  const sdp = writeSdp({ host: "127.0.0.1", port, framesPerSecond });
  if (ours) {
    const window = receiverKind === "window";
    ourReceiver = startTracked(
      "receiver.ts",
      [
        "--listen",
        `127.0.0.1:${port}`,
        "--stats-json",
        ...(window ? ["--no-vsync"] : ["--headless"]),
      ],
      window ? { SDL_VIDEODRIVER: "dummy" } : undefined,
    );
    await ourReceiver.waitForStderr(/listening on/, START_TIMEOUT_MS);
    ourReceiverStartMs = performance.now();
  } else {
    // The peers start first, so they see the stream from its first frame.
    await Deno.writeTextFile(sdpPath, sdp);
    const started = startPeer(receiverKind as PeerKind, port, sdpPath);
    peer = started;
    await waitForUdpPort(port, started.exited).catch((error) => {
      throw new Error(`Cannot start ${receiverKind}: ${error.message}\n${started.stderrTail()}`);
    });
  }
  const senderSdpPath = `${dir}/sender_${port}.sdp`;
  const sender = startTracked("sender.ts", [
    "--file",
    setup.file,
    ...(setup.passthrough === false ? [] : ["--passthrough"]),
    ...(ours ? [] : ["--wire", "rtp", "--sdp", senderSdpPath]),
    "--to",
    `127.0.0.1:${port}`,
    "--stats-json",
  ]);
  await sender.waitForStderr(/udpcam-send: streaming/, START_TIMEOUT_MS);
  const senderStartMs = performance.now();
  if (!ours) {
    const written = await Deno.readTextFile(senderSdpPath);
    if (written !== sdp) {
      throw new Error(
        `Cannot trust the peer run: udpcam-send --sdp wrote\n${written}\nbut the peer was given\n` +
          `${sdp}\nUpdate peer_bench.ts to describe the stream as the sender does.`,
      );
    }
  }
  await sleep(WARMUP_MS);
  const receiverPid = ourReceiver?.child.pid ?? peer!.pid;
  const ffmpegPid = childPids(sender.child.pid)[0] ?? -1;
  const windowStartMs = performance.now();
  const cpu = cpuOf([sender.child.pid, ffmpegPid, receiverPid]);
  await sleep(seconds * 1000);
  const [senderCpuS, ffmpegCpuS, receiverCpuS] = cpu();
  const windowEndMs = performance.now();
  const receiverRssMb = rssMb(receiverPid);

  await stop(sender.child.pid);
  const senderLines = jsonLines((await sender.done).stdout);
  await sleep(DRAIN_MS);
  let receiverSamples: Sample[];
  let framesDelivered: number;
  let framesDropped: number | null = null;
  let latency: Run["latency"] = null;
  let firstFrameMs: number | null = null;
  if (ourReceiver) {
    await stop(ourReceiver.child.pid);
    const lines = jsonLines((await ourReceiver.done).stdout);
    const delivered = receiverKind === "window"
      ? (line: Record<string, unknown>) => Number(line.framesShown ?? 0)
      : (line: Record<string, unknown>) =>
        Number((line.frames as { complete: number } | undefined)?.complete ?? 0);
    receiverSamples = statsSamples(lines, ourReceiverStartMs, delivered);
    const last = lines.at(-1) ?? {};
    framesDelivered = delivered(last);
    framesDropped = (last.frames as { dropped: number } | undefined)?.dropped ?? null;
    latency = (receiverKind === "window" ? last.presentedLatencyMsRun : last.latencyMsRun) as
      | Run["latency"]
      | undefined ?? null;
    const first = receiverKind === "window"
      ? last.firstFramePresentedMs
      : last.firstFrameCompleteMs;
    firstFrameMs = typeof first === "number" ? first : null;
  } else {
    if (receiverKind === "ffmpeg") {
      // ffmpeg takes a first SIGTERM as "finish after the next frame"; with no frame coming it
      // waits, and the second (from stop) interrupts the read, so it ends with its final report.
      try {
        Deno.kill(peer!.pid, "SIGTERM");
      } catch { /* already gone */ }
      await Promise.race([peer!.done, sleep(300)]);
    }
    await stop(peer!.pid);
    // Its last words (ffmpeg's final progress block) are in once its output closed.
    await Promise.race([peer!.done, sleep(2000)]);
    framesDelivered = peer!.samples.at(-1)!.count;
    receiverSamples = peer!.samples;
  }
  const senderSamples = statsSamples(senderLines, senderStartMs, (l) => Number(l.framesSent));
  const windowFrames = (samples: Sample[]) =>
    Math.max(1, countAt(samples, windowEndMs) - countAt(samples, windowStartMs));
  const sentInWindow = windowFrames(senderSamples);
  const deliveredInWindow = windowFrames(receiverSamples);
  const windowS = (windowEndMs - windowStartMs) / 1000;
  return {
    framesSent: Number(senderLines.at(-1)?.framesSent ?? 0),
    framesDelivered,
    framesDropped,
    deliveredPerS: deliveredInWindow / windowS,
    receiverCpuMsPerFrame: (receiverCpuS * 1000) / deliveredInWindow,
    receiverRssMb,
    senderCpuMsPerFrame: (senderCpuS * 1000) / sentInWindow,
    senderCpuPercent: (100 * senderCpuS) / windowS,
    ffmpegCpuMsPerFrame: (ffmpegCpuS * 1000) / sentInWindow,
    latency,
    firstFrameMs,
  };
}

/** Medians over runs, field by field. */
interface Summary {
  framesSent: number;
  framesDelivered: number;
  framesLost: number;
  framesDropped: number | null;
  deliveredPerS: number;
  receiverCpuMsPerFrame: number;
  receiverRssMb: number | null;
  senderCpuMsPerFrame: number;
  senderCpuPercent: number;
  ffmpegCpuMsPerFrame: number;
  latencyP50: number | null;
  latencyP95: number | null;
  latencyP99: number | null;
}

function summarize(runs: Run[]): Summary {
  return {
    framesSent: median(runs.map((r) => r.framesSent)),
    framesDelivered: median(runs.map((r) => r.framesDelivered)),
    framesLost: median(runs.map((r) => r.framesSent - r.framesDelivered)),
    framesDropped: medianOrNull(runs.map((r) => r.framesDropped)),
    deliveredPerS: median(runs.map((r) => r.deliveredPerS)),
    receiverCpuMsPerFrame: median(runs.map((r) => r.receiverCpuMsPerFrame)),
    receiverRssMb: medianOrNull(runs.map((r) => r.receiverRssMb)),
    senderCpuMsPerFrame: median(runs.map((r) => r.senderCpuMsPerFrame)),
    senderCpuPercent: median(runs.map((r) => r.senderCpuPercent)),
    ffmpegCpuMsPerFrame: median(runs.map((r) => r.ffmpegCpuMsPerFrame)),
    latencyP50: medianOrNull(runs.map((r) => r.latency?.p50)),
    latencyP95: medianOrNull(runs.map((r) => r.latency?.p95)),
    latencyP99: medianOrNull(runs.map((r) => r.latency?.p99)),
  };
}

/** A receiver started on a stream that already runs: time to its first frame, per run. */
async function firstFrames(file: string, runs: number): Promise<Record<string, number[]>> {
  const port = freeUdpPort();
  const sender = startTracked("sender.ts", [
    "--file",
    file,
    "--passthrough",
    "--to",
    `127.0.0.1:${port}`,
  ]);
  const found: Record<string, number[]> = { window: [], headless: [] };
  try {
    await sender.waitForStderr(/udpcam-send: streaming/, START_TIMEOUT_MS);
    await sleep(WARMUP_MS);
    for (let run = 0; run < runs; run++) {
      for (const kind of ["window", "headless"] as const) {
        const receiver = startTracked(
          "receiver.ts",
          [
            "--listen",
            `127.0.0.1:${port}`,
            "--stats-json",
            ...(kind === "window" ? ["--no-vsync"] : ["--headless"]),
          ],
          kind === "window" ? { SDL_VIDEODRIVER: "dummy" } : undefined,
        );
        await receiver.waitForStderr(/listening on/, START_TIMEOUT_MS);
        // The first stats line comes after 1 s; the first frame is long there by then.
        await sleep(1500);
        await stop(receiver.child.pid);
        const last = jsonLines((await receiver.done).stdout).at(-1) ?? {};
        const ms = kind === "window" ? last.firstFramePresentedMs : last.firstFrameCompleteMs;
        if (typeof ms === "number") found[kind].push(ms);
        // The port must be free again before the next receiver binds it.
        await sleep(200);
      }
    }
  } finally {
    await stop(sender.child.pid);
  }
  return found;
}

/** One receiver's resident memory over a long run. */
interface RssSeries {
  /** RSS in MB, sampled every few seconds (`s` since the receiver started). */
  samples: { s: number; mb: number }[];
  /** The receiver's `heapCollections` at the end (full collections between frames). */
  heapCollections: number | null;
  /** Frames the window presented. */
  framesShown: number;
}

/** Where a series is judged: the growth after its first fifth (the first minute of five). */
function rssGrowth(
  series: RssSeries,
): { atMb: number; atS: number; maxMb: number; growthPercent: number } | null {
  const last = series.samples.at(-1);
  if (!last) return null;
  const reference = series.samples.find((sample) => sample.s >= last.s / 5) ?? last;
  const after = series.samples.filter((sample) => sample.s >= reference.s);
  const maxMb = Math.max(...after.map((sample) => sample.mb));
  return {
    atMb: reference.mb,
    atS: reference.s,
    maxMb,
    growthPercent: (100 * (maxMb - reference.mb)) / reference.mb,
  };
}

/**
 * Two window receivers fed the same clip side by side for `seconds`, RSS read every `everyS`: one
 * as shipped (V8_FLAGS: `--expose-gc`, so it collects between frames every 20 s) and one whose V8
 * is not given `gc()`, so V8 collects on its own schedule. Side by side, so both meet the same
 * moments of this shared machine.
 */
async function rssOverTime(
  file: string,
  seconds: number,
  everyS: number,
): Promise<{ shipped: RssSeries; withoutCollections: RssSeries }> {
  const variants = [
    { name: "shipped", v8Flags: undefined },
    {
      name: "withoutCollections",
      v8Flags: [`--v8-flags=${V8_OPTIONS.filter((option) => option !== "--expose-gc").join(",")}`],
    },
  ] as const;
  const pairs = [];
  for (const variant of variants) {
    const port = freeUdpPort();
    const receiver = startTracked(
      "receiver.ts",
      ["--listen", `127.0.0.1:${port}`, "--stats-json", "--no-vsync"],
      { SDL_VIDEODRIVER: "dummy" },
      variant.v8Flags,
    );
    await receiver.waitForStderr(/listening on/, START_TIMEOUT_MS);
    const sender = startTracked("sender.ts", [
      ...["--file", file, "--passthrough", "--to", `127.0.0.1:${port}`],
    ]);
    await sender.waitForStderr(/udpcam-send: streaming/, START_TIMEOUT_MS);
    pairs.push({ variant, receiver, sender, samples: [] as { s: number; mb: number }[] });
  }
  const startMs = performance.now();
  for (let s = everyS; s <= seconds; s += everyS) {
    await sleep(Math.max(0, startMs + s * 1000 - performance.now()));
    for (const pair of pairs) {
      const mb = rssMb(pair.receiver.child.pid);
      if (mb !== null) pair.samples.push({ s, mb });
    }
  }
  const series: Record<string, RssSeries> = {};
  for (const pair of pairs) {
    await stop(pair.sender.child.pid);
    await stop(pair.receiver.child.pid);
    const last = jsonLines((await pair.receiver.done).stdout).at(-1) ?? {};
    series[pair.variant.name] = {
      samples: pair.samples,
      heapCollections: typeof last.heapCollections === "number" ? last.heapCollections : null,
      framesShown: Number(last.framesShown ?? 0),
    };
  }
  return { shipped: series.shipped, withoutCollections: series.withoutCollections };
}

function rssTable(
  size: string,
  runs: { shipped: RssSeries; withoutCollections: RssSeries },
): string {
  const rows = ([
    ["as shipped (collects between frames every 20 s)", runs.shipped],
    ["without `--expose-gc` (V8's own schedule)", runs.withoutCollections],
  ] as const).map(([label, series]) => {
    const growth = rssGrowth(series);
    const first = series.samples[0];
    const last = series.samples.at(-1);
    const grew = growth === null
      ? "n/a"
      : `${fixed(growth.maxMb - growth.atMb, 1)} MB (${fixed(growth.growthPercent, 1)} %)`;
    return `| ${size} | ${label} | ${first ? `${fixed(first.mb, 1)} (${first.s} s)` : "n/a"} | ${
      growth ? `${fixed(growth.atMb, 1)} (${growth.atS} s)` : "n/a"
    } | ${
      last ? `${fixed(last.mb, 1)} (${last.s} s)` : "n/a"
    } | ${grew} | ${series.framesShown} | ${series.heapCollections ?? "n/a"} |`;
  });
  const curves = ([["as shipped", runs.shipped], ["without", runs.withoutCollections]] as const)
    .map(([label, series]) =>
      `${label}: ${series.samples.map((sample) => fixed(sample.mb, 0)).join(" ")}`
    );
  return [
    "| size | receiver (window) | RSS MB first sample | at the first fifth | at the end | most growth after the first fifth | frames shown | full collections |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `RSS MB at every sample: ${curves.join("; ")}.`,
  ].join("\n");
}

/** The kernel's machine-wide count of UDP datagrams dropped for a full receive buffer, or null. */
function udpRcvbufErrors(): number | null {
  try {
    // Two "Udp:" lines: the field names, then the values.
    const [names, values] = Deno.readTextFileSync("/proc/net/snmp").split("\n")
      .filter((line) => line.startsWith("Udp:")).map((line) => line.trim().split(/\s+/));
    const at = names?.indexOf("RcvbufErrors") ?? -1;
    return at > 0 && values ? Number(values[at]) : null;
  } catch {
    return null;
  }
}

/** Linux's cap on a socket's receive buffer (net.core.rmem_max) in bytes, or null. */
function receiveBufferMaxBytes(): number | null {
  try {
    return Number(Deno.readTextFileSync("/proc/sys/net/core/rmem_max").trim());
  } catch {
    return null;
  }
}

/** One step of the max-fps ladder: the ladder clip played once at one rate. */
interface LadderRun {
  /** Frames the sender was to send: the clip's, or null for the looped `--fps max` step. */
  framesToSend: number | null;
  framesSent: number;
  framesComplete: number;
  /** Frames sent and never complete at the receiver (its `frames.dropped` are among them). */
  framesLost: number;
  /** Frames the receiver gave up (`frames.dropped`). */
  framesDropped: number;
  /** Frames completed only thanks to a retransmission (NACK). */
  framesRepaired: number;
  /** Machine-wide RcvbufErrors during the step. */
  rcvbufErrors: number | null;
  /** The sender's framesSent ÷ elapsedS of its last line (ffmpeg's start-up included). */
  fpsOverall: number;
  /** The sender's rate from its first per-second line with frames to its last line. */
  fpsSteady: number | null;
  /** Whether the receiver warned that the OS capped its receive buffer. */
  smallBuffer: boolean;
}

/**
 * The sender's release rate once it runs: frames sent between its first per-second line that has
 * frames and its last line, over the time between them. Null without two such lines.
 */
function steadyFps(lines: Record<string, unknown>[]): number | null {
  const first = lines.find((line) => Number(line.framesSent) > 0);
  const last = lines.at(-1);
  if (!first || !last || first === last) return null;
  const seconds = Number(last.elapsedS) - Number(first.elapsedS);
  return seconds > 0 ? (Number(last.framesSent) - Number(first.framesSent)) / seconds : null;
}

/**
 * Plays `file` once at `rate` fps (`--fps N --no-loop`, released by the sender's clock), or
 * unthrottled for {@linkcode UNTHROTTLED_SECONDS} (`--fps max`), into a headless receiver.
 */
async function ladderRun(file: string, frames: number, rate: number | "max"): Promise<LadderRun> {
  const port = freeUdpPort();
  const receiver = startTracked("receiver.ts", [
    "--listen",
    `127.0.0.1:${port}`,
    "--stats-json",
    "--headless",
  ]);
  await receiver.waitForStderr(/listening on/, START_TIMEOUT_MS);
  const rcvbufBefore = udpRcvbufErrors();
  const sender = startTracked("sender.ts", [
    "--file",
    file,
    "--passthrough",
    "--fps",
    String(rate),
    ...(rate === "max" ? ["--duration", String(UNTHROTTLED_SECONDS)] : ["--no-loop"]),
    "--to",
    `127.0.0.1:${port}`,
    "--stats-json",
  ]);
  const playMs = rate === "max" ? UNTHROTTLED_SECONDS * 1000 : (1000 * frames) / rate;
  // Generous: a sender that falls behind still ends; one that never ends is a failure.
  const limitMs = 3 * playMs + START_TIMEOUT_MS;
  const ended = await Promise.race([sender.done, sleep(limitMs).then(() => null)]);
  if (ended === null) {
    await stop(sender.child.pid);
    throw new Error(
      `Cannot finish the ${rate} fps step: udpcam-send still ran after ${limitMs} ms ` +
        `(${frames} frames). Check the sender's --fps handling of a --no-loop file.`,
    );
  }
  if (ended.code !== 0) {
    throw new Error(
      `Cannot play the ladder clip at ${rate} fps: udpcam-send exited with ${ended.code}:\n` +
        ended.stderr.slice(-2000),
    );
  }
  await sleep(DRAIN_MS);
  await stop(receiver.child.pid);
  const received = await receiver.done;
  const rcvbufAfter = udpRcvbufErrors();
  const senderLines = jsonLines(ended.stdout);
  const last = senderLines.at(-1) ?? {};
  const framesSent = Number(last.framesSent ?? 0);
  const final = jsonLines(received.stdout).at(-1) ?? {};
  const counts = (final.frames ?? {}) as { complete?: number; dropped?: number };
  const recovery = (final.recovery ?? {}) as { retransmittedFrames?: number };
  const framesComplete = counts.complete ?? 0;
  return {
    framesToSend: rate === "max" ? null : frames,
    framesSent,
    framesComplete,
    framesLost: framesSent - framesComplete,
    framesDropped: counts.dropped ?? 0,
    framesRepaired: recovery.retransmittedFrames ?? 0,
    rcvbufErrors: rcvbufBefore === null || rcvbufAfter === null ? null : rcvbufAfter - rcvbufBefore,
    fpsOverall: framesSent / Math.max(1e-9, Number(last.elapsedS ?? 0)),
    fpsSteady: steadyFps(senderLines),
    smallBuffer: received.stderr.includes("small UDP receive buffer"),
  };
}

/** A ladder step's runs and their medians (the count fields: medians over the runs). */
interface LadderStep extends Omit<LadderRun, "framesToSend" | "smallBuffer"> {
  size: string;
  rate: number | "max";
  runs: LadderRun[];
  /** Runs without a lost frame. */
  cleanRuns: number;
  /** Whether the sender sent every frame of the clip in every run (none skipped). */
  allSent: boolean;
  /**
   * Every frame of the clip sent and none lost in every run, and the median steady rate within
   * reach of the rate asked.
   */
  sustained: boolean;
}

function ladderStep(size: string, rate: number | "max", runs: LadderRun[]): LadderStep {
  const cleanRuns = runs.filter((run) => run.framesLost === 0).length;
  const allSent = runs.every((run) => run.framesSent === run.framesToSend);
  const fpsSteady = medianOrNull(runs.map((run) => run.fpsSteady));
  return {
    size,
    rate,
    runs,
    cleanRuns,
    allSent,
    sustained: rate !== "max" && allSent && cleanRuns === runs.length && fpsSteady !== null &&
      fpsSteady >= SUSTAINED_RATE_SHARE * rate,
    framesSent: median(runs.map((run) => run.framesSent)),
    framesComplete: median(runs.map((run) => run.framesComplete)),
    framesLost: median(runs.map((run) => run.framesLost)),
    framesDropped: median(runs.map((run) => run.framesDropped)),
    framesRepaired: median(runs.map((run) => run.framesRepaired)),
    rcvbufErrors: medianOrNull(runs.map((run) => run.rcvbufErrors)),
    fpsOverall: median(runs.map((run) => run.fpsOverall)),
    fpsSteady,
  };
}

/** The highest sustained rate of a size's ladder, or null when none was. */
function maxSustained(steps: LadderStep[], size: string): number | null {
  const rates = steps.filter((step) => step.size === size && step.sustained)
    .map((step) => step.rate as number);
  return rates.length ? Math.max(...rates) : null;
}

/**
 * libjpeg-turbo's CPU ms per frame on the first frames of `file`, decoded in this process with the
 * receiver's decoder (CPU of the whole process, all threads, over {@linkcode DECODES_PER_MEASURE}
 * decodes after a warm-up).
 */
async function decodeCpuMsPerFrame(file: string): Promise<number> {
  const output = await new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-nostdin", "-loglevel", "error", "-i", file],
      ...["-frames:v", "30", "-c:v", "copy", "-f", "mjpeg", "-"],
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const frames = new JpegSplitter().push(output.stdout);
  if (!output.success || frames.length === 0) {
    throw new Error(
      `Cannot extract frames of ${file} with ffmpeg: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  const { decoder } = await openDecoder("turbo");
  try {
    for (let i = 0; i < 10; i++) await decoder.decode(frames[i % frames.length]);
    const before = cpuSeconds(Deno.pid) ?? 0;
    for (let i = 0; i < DECODES_PER_MEASURE; i++) await decoder.decode(frames[i % frames.length]);
    return ((cpuSeconds(Deno.pid) ?? before) - before) * 1000 / DECODES_PER_MEASURE;
  } finally {
    decoder.close();
  }
}

const fixed = (value: number | null, digits = 2) => value === null ? "n/a" : value.toFixed(digits);

function mainTable(results: Map<string, Map<Receiver, Summary>>): string {
  const rows = [
    "| size | receiver | frames sent | frames delivered (lost) | receiver CPU ms/frame | receiver RSS MB | latency p50 / p95 / p99 ms | sender CPU ms/frame | sender's ffmpeg CPU ms/frame |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const [size, bySize] of results) {
    for (const [kind, s] of bySize) {
      const latency = s.latencyP50 === null
        ? "n/a"
        : `${fixed(s.latencyP50)} / ${fixed(s.latencyP95)} / ${fixed(s.latencyP99)}`;
      rows.push(
        `| ${size} | ${
          RECEIVER_NAMES[kind]
        } | ${s.framesSent} | ${s.framesDelivered} (${s.framesLost}) | ` +
          `${fixed(s.receiverCpuMsPerFrame)} | ${fixed(s.receiverRssMb, 1)} | ${latency} | ` +
          `${fixed(s.senderCpuMsPerFrame)} | ${fixed(s.ffmpegCpuMsPerFrame)} |`,
      );
    }
  }
  return rows.join("\n");
}

/** Ours (window) receiver CPU per frame divided by a peer's, or null when one is missing. */
function ratio(bySize: Map<Receiver, Summary> | undefined, peer: Receiver): number | null {
  const ours = bySize?.get("window")?.receiverCpuMsPerFrame;
  const theirs = bySize?.get(peer)?.receiverCpuMsPerFrame;
  return ours === undefined || theirs === undefined ? null : ours / Math.max(1e-9, theirs);
}

function ratioTable(
  results: Map<string, Map<Receiver, Summary>>,
  decodeMs: Map<string, number>,
): string {
  const rows = [
    "| size | ours, window | ours, headless | libjpeg-turbo decode | headless + decode | GStreamer, decode only | GStreamer, decode + RGB | FFmpeg | ours (window) ÷ GStreamer decode only | ours (window) ÷ GStreamer decode + RGB | ours (window) ÷ FFmpeg |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const [size, bySize] of results) {
    const cpu = (kind: Receiver) => bySize.get(kind)?.receiverCpuMsPerFrame ?? null;
    const decode = decodeMs.get(size) ?? null;
    const headless = cpu("headless");
    const sum = decode === null || headless === null ? null : decode + headless;
    rows.push(
      `| ${size} | ${fixed(cpu("window"))} | ${fixed(headless)} | ${fixed(decode)} | ${
        fixed(sum)
      } | ${fixed(cpu("gstreamer"))} | ${fixed(cpu("gstreamerConvert"))} | ${
        fixed(cpu("ffmpeg"))
      } | ${fixed(ratio(bySize, "gstreamer"))} | ${fixed(ratio(bySize, "gstreamerConvert"))} | ${
        fixed(ratio(bySize, "ffmpeg"))
      } |`,
    );
  }
  return rows.join("\n");
}

/**
 * What our window receiver's CPU per frame is made of, per size, from the figures of the table
 * above it: receive + reassemble (headless) plus decode, and the rest, which the window adds.
 */
function boundsLines(
  results: Map<string, Map<Receiver, Summary>>,
  decodeMs: Map<string, number>,
): string {
  const lines: string[] = [];
  for (const [size, bySize] of results) {
    const window = bySize.get("window")?.receiverCpuMsPerFrame;
    const headless = bySize.get("headless")?.receiverCpuMsPerFrame;
    const gstreamer = bySize.get("gstreamer")?.receiverCpuMsPerFrame;
    const convert = bySize.get("gstreamerConvert")?.receiverCpuMsPerFrame;
    const decode = decodeMs.get(size);
    if ([window, headless, gstreamer, convert, decode].includes(undefined)) continue;
    const sum = headless! + decode!;
    lines.push(
      `- ${size}: receive + reassemble (headless) ${fixed(headless!)} + decode ${
        fixed(decode!)
      } = ${fixed(sum)} ms/frame, ${fixed(sum / Math.max(1e-9, gstreamer!))}× GStreamer's ` +
        `decode-only ${fixed(gstreamer!)}. The window adds ${fixed(window! - sum)} ms/frame (${
          fixed(window!)
        } in all): libjpeg-turbo's conversion to XRGB8888, straight into the window surface ` +
        `(the window has the frame's size: no scaling, no copy), present, and the display loop; ` +
        `GStreamer decoding and converting to BGRx takes ${fixed(convert!)} ms/frame in all.`,
    );
  }
  return lines.join("\n");
}

/** A target of issue #8 with the figure that decides it. */
interface Target {
  text: string;
  figure: string;
  met: boolean | null;
}

function targetTable(targets: Target[]): string {
  const rows = ["| target (issue #8) | measured | verdict |", "|---|---|---|"];
  for (const t of targets) {
    rows.push(
      `| ${t.text} | ${t.figure} | ${t.met === null ? "not measured" : t.met ? "met" : "missed"} |`,
    );
  }
  return rows.join("\n");
}

/** `check(value)` on a measured value, or "not measured" when the value is null. */
function target<T>(
  text: string,
  value: T | null,
  show: (value: T) => string,
  check: (value: T) => boolean,
): Target {
  return value === null
    ? { text, figure: "n/a", met: null }
    : { text, figure: show(value), met: check(value) };
}

function ladderTable(steps: LadderStep[], runs: number): string {
  const rows = [
    "| size | rate asked | frames sent | frames complete | lost (of which dropped) | repaired by NACK | kernel RcvbufErrors (all sockets) | fps overall (sent ÷ elapsedS) | fps steady | runs with 0 lost | sustained |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const step of steps) {
    const rate = step.rate === "max" ? "max (unthrottled, losses expected)" : `${step.rate} fps`;
    const sustained = step.rate === "max" ? "n/a" : step.sustained ? "yes" : "no";
    const toSend = step.runs[0]?.framesToSend;
    const sent = toSend === null || toSend === undefined
      ? `${step.framesSent}`
      : `${step.framesSent} of ${toSend}${step.allSent ? "" : " (fewer in some run)"}`;
    rows.push(
      `| ${step.size} | ${rate} | ${sent} | ${step.framesComplete} | ` +
        `${step.framesLost} (${step.framesDropped}) | ${step.framesRepaired} | ` +
        `${step.rcvbufErrors ?? "n/a"} | ${fixed(step.fpsOverall, 1)} | ` +
        `${fixed(step.fpsSteady, 1)} | ${step.cleanRuns} of ${runs} | ${sustained} |`,
    );
  }
  return rows.join("\n");
}

async function main() {
  const { quick, runs, seconds, write } = parseBenchFlags(Deno.args, {
    runs: 3,
    seconds: 6,
    quickSeconds: 2,
  });
  const sizes = quick ? ["640x480"] : ["640x480", "1280x720", "1920x1080"];
  const firstFrameSize = quick ? "640x480" : "1280x720";
  const ladder = quick ? QUICK_LADDER : LADDER;
  // --quick: enough frames for a second and a half, only to see the steps run.
  const ladderSeconds = quick ? 1.5 : LADDER_SECONDS_AT_TOP_RATE;
  const reencodeSize = quick ? "640x480" : "1920x1080";
  const rssSize = quick ? "640x480" : "1920x1080";

  await requireTools();
  const dir = await Deno.makeTempDir({ prefix: "udpcam_peer_bench_" });
  try {
    const files = new Map<string, string>();
    for (const size of sizes) {
      console.error(`bench: recording the ${size} source`);
      files.set(size, await recordSource(dir, size, FPS * (seconds + WARMUP_MS / 1000 + 2)));
    }
    const ladderFiles = new Map<string, { file: string; frames: number }>();
    for (const { size, rates } of ladder) {
      const frames = Math.ceil(Math.max(...rates) * ladderSeconds);
      console.error(`bench: recording the ${size} ladder clip (${frames} frames)`);
      ladderFiles.set(size, { file: await recordSource(dir, size, frames, "ladder"), frames });
    }

    const results = new Map<string, Map<Receiver, Summary>>();
    const decodeMs = new Map<string, number>();
    for (const size of sizes) {
      console.error(`bench: ${size}, ${runs} runs of ${seconds} s per receiver`);
      const byKind = new Map<Receiver, Run[]>(RECEIVERS.map((kind) => [kind, []]));
      const decodes: number[] = [];
      const setup = { file: files.get(size)!, size };
      // Receivers take turns within each run, so a noisy moment spreads over all of them.
      for (let run = 0; run < runs; run++) {
        for (const kind of RECEIVERS) {
          byKind.get(kind)!.push(await runCase(kind, setup, seconds, dir));
        }
        decodes.push(await decodeCpuMsPerFrame(setup.file));
      }
      results.set(size, new Map(RECEIVERS.map((kind) => [kind, summarize(byKind.get(kind)!)])));
      decodeMs.set(size, median(decodes));
    }

    console.error(`bench: first frame on a running ${firstFrameSize} stream, ${runs} runs`);
    const first = await firstFrames(files.get(firstFrameSize)!, runs);

    const steps: LadderStep[] = [];
    for (const { size, rates } of ladder) {
      const { file, frames } = ladderFiles.get(size)!;
      const stepRates: (number | "max")[] = [...rates, "max"];
      console.error(
        `bench: ${size} max-fps ladder (${rates.join(", ")} fps and max), ${runs} runs`,
      );
      const byRate = new Map<number | "max", LadderRun[]>(stepRates.map((rate) => [rate, []]));
      for (let run = 0; run < runs; run++) {
        for (const rate of stepRates) byRate.get(rate)!.push(await ladderRun(file, frames, rate));
      }
      for (const rate of stepRates) steps.push(ladderStep(size, rate, byRate.get(rate)!));
    }
    const smallBuffer = steps.some((step) => step.runs.some((run) => run.smallBuffer));

    console.error(`bench: ${reencodeSize} pass-through against re-encoding, ${runs} runs`);
    const passRuns: Run[] = [];
    const reencodeRuns: Run[] = [];
    for (let run = 0; run < runs; run++) {
      const file = files.get(reencodeSize)!;
      passRuns.push(
        await runCase("headless", { file, size: reencodeSize, passthrough: true }, seconds, dir),
      );
      reencodeRuns.push(
        await runCase("headless", { file, size: reencodeSize, passthrough: false }, seconds, dir),
      );
    }
    const rssSeconds = quick ? 10 : RSS_RUN_SECONDS;
    const rssEveryS = quick ? 2 : RSS_SAMPLE_EVERY_S;
    console.error(
      `bench: ${rssSize} window receivers for ${rssSeconds} s, RSS every ${rssEveryS} s, ` +
        "with and without collections between frames, side by side",
    );
    const rss = await rssOverTime(files.get(rssSize)!, rssSeconds, rssEveryS);
    const pass = summarize(passRuns);
    const reencode = summarize(reencodeRuns);
    const senderSide = (s: Summary) => s.senderCpuMsPerFrame + s.ffmpegCpuMsPerFrame;
    const passRatio = senderSide(reencode) / Math.max(1e-9, senderSide(pass));

    const firstTable = [
      "| receiver started on a running stream | size | first frame ms, median (min–max) | runs with a frame |",
      "|---|---|---|---|",
      ...(["window", "headless"] as const).map((kind) => {
        const ms = first[kind];
        const field = kind === "window"
          ? "presented (window, `firstFramePresentedMs`)"
          : "complete (headless, `firstFrameCompleteMs`)";
        const spread = ms.length === 0
          ? "n/a"
          : `${fixed(median(ms), 0)} (${fixed(Math.min(...ms), 0)}–${fixed(Math.max(...ms), 0)})`;
        return `| ${field} | ${firstFrameSize} | ${spread} | ${ms.length} of ${runs} |`;
      }),
    ].join("\n");

    const rmemMax = receiveBufferMaxBytes();
    const ladderSummary = ladder.map(({ size, rates }) => {
      const best = maxSustained(steps, size);
      return `${size}: ${best === null ? `none of ${rates.join(", ")}` : `${best}`} fps`;
    }).join("; ");

    const passTable = [
      "| size | sender mode | sender CPU ms/frame | ffmpeg CPU ms/frame | ffmpeg + sender ms/frame |",
      "|---|---|---|---|---|",
      ...([["`--passthrough` (ffmpeg `-c:v copy`)", pass], [
        "re-encode (qscale 8)",
        reencode,
      ]] as const).map(([mode, s]) =>
        `| ${reencodeSize} | ${mode} | ${fixed(s.senderCpuMsPerFrame)} | ` +
        `${fixed(s.ffmpegCpuMsPerFrame)} | ${fixed(senderSide(s))} |`
      ),
    ].join("\n");

    const at = (size: string) => results.get(size);
    const maxTarget = (size: string, fps: number): Target => {
      const text = `Max sustained fps ≥ ${fps} at ${size}, zero frames lost`;
      const sizeSteps = steps.filter((step) => step.size === size && step.rate !== "max");
      if (sizeSteps.length === 0) return { text, figure: "n/a", met: null };
      const best = maxSustained(steps, size);
      return {
        text,
        figure: `${best ?? "none"} of ${
          sizeSteps.map((step) => step.rate).join(" / ")
        } fps sustained`,
        met: best !== null && best >= fps,
      };
    };
    const window720 = at("1280x720")?.get("window");
    const window1080 = at("1920x1080")?.get("window");
    const targets: Target[] = [
      ...["1280x720", "1920x1080"].flatMap((size) => [
        target(
          `Receiver CPU per frame ≤ GStreamer's at ${size} (ours with a window ÷ GStreamer ` +
            "decode only, the issue's comparison)",
          ratio(at(size), "gstreamer"),
          (r) => `${fixed(r)}`,
          (r) => r <= 1,
        ),
        target(
          `Like for like at ${size}: ours with a window ÷ GStreamer decode + RGB ≤ 1 (added ` +
            "here, not in the issue)",
          ratio(at(size), "gstreamerConvert"),
          (r) => `${fixed(r)}`,
          (r) => r <= 1,
        ),
      ]),
      target(
        "Sender CPU excluding ffmpeg ≤ 3 % of a core at 1920x1080 30 fps",
        at("1920x1080")?.get("headless")?.senderCpuPercent ?? null,
        (p) => `${fixed(p, 1)} %`,
        (p) => p <= 3,
      ),
      target(
        "Latency read → presented p50 ≤ 4 ms at 1280x720 30 fps",
        window720?.latencyP50 ?? null,
        (ms) => `${fixed(ms)} ms`,
        (ms) => ms <= 4,
      ),
      target(
        "Latency read → presented p99 ≤ 8 ms at 1280x720 30 fps",
        window720?.latencyP99 ?? null,
        (ms) => `${fixed(ms)} ms`,
        (ms) => ms <= 8,
      ),
      target(
        "Latency read → presented p50 ≤ 6 ms at 1920x1080 30 fps",
        window1080?.latencyP50 ?? null,
        (ms) => `${fixed(ms)} ms`,
        (ms) => ms <= 6,
      ),
      target(
        "First frame presented ≤ 300 ms after the receiver starts on a running stream",
        first.window.length ? median(first.window) : null,
        (ms) => `${fixed(ms, 0)} ms (${firstFrameSize})`,
        (ms) => ms <= 300,
      ),
      maxTarget("1280x720", 300),
      maxTarget("1920x1080", 150),
      target(
        "Receiver RSS ≤ 120 MB at 1920x1080 (with a window)",
        window1080?.receiverRssMb ?? null,
        (mb) => `${fixed(mb, 1)} MB`,
        (mb) => mb <= 120,
      ),
      target(
        `Receiver RSS flat over a ${
          rssSeconds >= 60 ? `${rssSeconds / 60}-minute` : `${rssSeconds} s`
        } run at ${rssSize} with a window: ` +
          `after the first fifth, never more than ${RSS_FLAT_GROWTH_PERCENT} % above it`,
        rssGrowth(rss.shipped),
        (g) =>
          `${fixed(g.atMb, 1)} → at most ${fixed(g.maxMb, 1)} MB (+${fixed(g.growthPercent, 1)} %)`,
        (g) => g.growthPercent <= RSS_FLAT_GROWTH_PERCENT,
      ),
      target(
        "Pass-through: ffmpeg + sender CPU ≥ 5× lower than re-encoding",
        passRatio,
        (r) => `${fixed(r, 1)}× lower (${reencodeSize})`,
        (r) => r >= 5,
      ),
    ];

    const bounds = boundsLines(results, decodeMs);
    const output = [
      `- Machine: ${await machine()}`,
      `- Date: ${
        new Date().toISOString().slice(0, 10)
      }; ${runs} runs of ${seconds} s per case (after a ${WARMUP_MS / 1000} s warm-up), medians${
        quick ? "; --quick" : ""
      }.`,
      "",
      "**Every receiver on the same stream** (30 fps, pass-through from the recorded file):",
      "",
      mainTable(results),
      "",
      "**Receiver CPU ms per frame, side by side** (libjpeg-turbo decode: the same clip decoded " +
      "in the benchmark's process with the receiver's decoder):",
      "",
      ratioTable(results, decodeMs),
      "",
      ...(bounds ? ["What our window figure is made of:", "", bounds, ""] : []),
      "**First frame:**",
      "",
      firstTable,
      "",
      `**Max sustained fps** (ladder clip played once per rate with \`--fps N --no-loop\` into a ` +
      `headless receiver; ${runs} runs per rate; net.core.rmem_max ${
        rmemMax === null ? "unknown" : `${rmemMax} bytes`
      }; the receiver ${
        smallBuffer
          ? "**warned of a small UDP receive buffer** in at least one run"
          : "printed no small-receive-buffer warning in any run"
      }): ${ladderSummary}.`,
      "",
      ladderTable(steps, runs),
      "",
      `**Pass-through against re-encoding** (headless receiver, 30 fps): ffmpeg + sender CPU ${
        fixed(passRatio, 1)
      }× lower with pass-through.`,
      "",
      passTable,
      "",
      `**Receiver RSS over ${rssSeconds} s** (${rssSize} clip at 30 fps, looped, into two window ` +
      `receivers side by side; RSS from /proc every ${rssEveryS} s; judged from the first fifth ` +
      "of the run on, after the start-up allocations):",
      "",
      rssTable(rssSize, rss),
      "",
      "**Targets:**",
      "",
      targetTable(targets),
    ].join("\n");
    console.log(output);
    if (write) await writeMarkedSection(write, "peers", output);
  } finally {
    await stopAll();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const interrupted = async () => {
    await stopAll();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", interrupted);
  Deno.addSignalListener("SIGTERM", interrupted);
  try {
    await main();
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : error}`);
    await stopAll();
    Deno.exit(1);
  }
  Deno.exit(0);
}
