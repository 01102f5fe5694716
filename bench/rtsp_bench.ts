/**
 * What serving more clients costs (issue #18): udpcam-send `--rtsp` with 1, 4 and 16 RTSP
 * clients (interleaved TCP, and UDP), side by side with udpcam-recv `--http` with as many
 * `/stream.mjpeg` viewers, at 1280x720 30 fps from the test pattern.
 *
 * Clients are lightweight readers in this process (tests/support/rtsp_client.ts for RTSP: they
 * count frames by RTP marker bits without keeping the bytes; fetch() readers counting multipart
 * boundaries for HTTP), so the figures are the server's own. Per case: the serving process's CPU
 * (user + system from /proc, all threads; the sender's ffmpeg excluded) over the measured window
 * after a warm-up, divided by the frames it was given in that window (from its `--stats-json`);
 * the marginal cost of a client, (CPU per frame with N clients - with none) / N; the slowest
 * client's frame rate; and the process's RSS at the start and end of the window and its peak
 * (flat means no client makes memory grow).
 *
 * Flags: `--quick` (0 and 2 clients, one short run: checks that everything runs), `--runs N`,
 * `--seconds S`, `--write FILE` (replace the section between `<!-- bench:rtsp:start -->` and
 * `<!-- bench:rtsp:end -->` in FILE, e.g. docs/benchmarks.md).
 *
 * @module
 */

import { MJPEG_BOUNDARY } from "../lib/http/mod.ts";
import {
  freeUdpPort,
  jsonLines,
  type RunningProgram,
  startProgram,
} from "../tests/support/programs.ts";
import { RawRtspClient, rtpMarker } from "../tests/support/rtsp_client.ts";
import {
  cpuSeconds,
  machine,
  median,
  parseBenchFlags,
  rssMb,
  sleep,
  stopProcess,
  writeMarkedSection,
} from "./support/proc.ts";

const SIZE = "1280x720";
const FPS = 30;
/** CPU is counted from this long after the clients started playing (`--quick`: the shorter). */
const WARMUP_MS = 2000;
const QUICK_WARMUP_MS = 1000;
const START_TIMEOUT_MS = 20_000;
const FULL_CLIENTS = [0, 1, 4, 16];
const QUICK_CLIENTS = [0, 2];

type Server = "rtsp-tcp" | "rtsp-udp" | "http";
const SERVERS: Server[] = ["rtsp-tcp", "rtsp-udp", "http"];
const SERVER_NAMES: Record<Server, string> = {
  "rtsp-tcp": "udpcam-send --rtsp, TCP interleaved",
  "rtsp-udp": "udpcam-send --rtsp, UDP",
  http: "udpcam-recv --http (MJPEG)",
};

interface CaseResult {
  /** Frames per second the server was given in the window. */
  fps: number;
  /** Serving process CPU per frame, ms. */
  cpuMsPerFrame: number;
  /** The slowest client's frames per second in the window (null without clients). */
  slowestFps: number | null;
  /** RSS at the window's start, end, and its peak, MB. */
  rss: { start: number; end: number; peak: number };
}

/** A client whose frame count can be read at any moment. */
interface CountingClient {
  frames: () => number;
  stop: () => Promise<void>;
}

/** Frames the serving process was given so far, from its last --stats-json line. */
function framesGiven(
  program: RunningProgram,
  server: Server,
): { elapsedS: number; frames: number } {
  const lines = jsonLines(program.stdoutSoFar());
  const last = lines[lines.length - 1];
  if (last === undefined) return { elapsedS: 0, frames: 0 };
  const frames = server === "http"
    ? (last.frames as { complete: number }).complete
    : (last.rtsp as { counters: { frames: { received: number } } }).counters.frames.received;
  return { elapsedS: last.elapsedS as number, frames };
}

async function rtspTcpClient(url: string): Promise<CountingClient> {
  const client = await RawRtspClient.connect(url);
  await client.playTcp();
  const live = { frames: 0 };
  // Read until stopped; the limit only keeps a forgotten client from reading forever.
  const reading = client.countFrames(Date.now() + 10 * 60_000, live);
  return {
    frames: () => live.frames,
    stop: async () => {
      client.close();
      await reading;
    },
  };
}

async function rtspUdpClient(url: string): Promise<CountingClient> {
  const rtp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const rtcp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const client = await RawRtspClient.connect(url);
  await client.playUdp((rtp.addr as Deno.NetAddr).port, (rtcp.addr as Deno.NetAddr).port);
  let frames = 0;
  const buffer = new Uint8Array(2048);
  const reading = (async () => {
    // Bounded by the socket's life: stop() closes it.
    for (;;) {
      try {
        const [packet] = await rtp.receive(buffer);
        if (rtpMarker(packet)) frames++;
      } catch {
        return;
      }
    }
  })();
  const draining = (async () => {
    for (;;) {
      try {
        await rtcp.receive();
      } catch {
        return;
      }
    }
  })();
  return {
    frames: () => frames,
    stop: async () => {
      client.close();
      rtp.close();
      rtcp.close();
      await Promise.all([reading, draining]);
    },
  };
}

async function httpViewer(url: string): Promise<CountingClient> {
  const abort = new AbortController();
  const response = await fetch(url, { signal: abort.signal });
  const boundary = new TextEncoder().encode(`--${MJPEG_BOUNDARY}`);
  let frames = 0;
  const reading = (async () => {
    try {
      for await (const chunk of response.body!) {
        // Boundaries split across chunks are missed: a rare undercount, never an overcount.
        for (let i = chunk.indexOf(boundary[0]); i >= 0; i = chunk.indexOf(boundary[0], i + 1)) {
          let match = i + boundary.length <= chunk.length;
          for (let j = 1; match && j < boundary.length; j++) match = chunk[i + j] === boundary[j];
          if (match) frames++;
        }
      }
    } catch { /* aborted */ }
  })();
  return {
    frames: () => frames,
    stop: async () => {
      abort.abort();
      await reading;
    },
  };
}

async function waitUrl(program: RunningProgram, pattern: RegExp): Promise<string> {
  const line = await program.waitForStderr(pattern, START_TIMEOUT_MS);
  return pattern.exec(line)![1];
}

async function stop(program: RunningProgram): Promise<void> {
  await stopProcess(program.child.pid, program.done);
}

/** Runs one case: the server, `clients` clients, a warm-up, then `seconds` measured. */
async function runCase(
  server: Server,
  clients: number,
  seconds: number,
  warmupMs: number,
): Promise<CaseResult> {
  const programs: RunningProgram[] = [];
  const counting: CountingClient[] = [];
  try {
    let measured: RunningProgram;
    const picture = ["--test-pattern", "--size", SIZE, "--fps", String(FPS)];
    if (server === "http") {
      const port = freeUdpPort();
      measured = startProgram("receiver.ts", [
        ...["--listen", `127.0.0.1:${port}`, "--headless", "--stats-json"],
        ...["--http", "127.0.0.1:0"],
      ]);
      programs.push(measured);
      const page = await waitUrl(measured, /browser view at (http:\/\/\S+)/);
      programs.push(startProgram("sender.ts", [...picture, "--to", `127.0.0.1:${port}`]));
      await measured.waitForStderr(/ [1-9]\d*\.\d fps/, START_TIMEOUT_MS);
      for (let i = 0; i < clients; i++) counting.push(await httpViewer(`${page}stream.mjpeg`));
    } else {
      measured = startProgram("sender.ts", [
        ...picture,
        ...["--rtsp", "127.0.0.1:0", "--stats-json"],
      ]);
      programs.push(measured);
      const url = await waitUrl(measured, /RTSP clients open (rtsp:\/\/\S+)/);
      for (let i = 0; i < clients; i++) {
        counting.push(await (server === "rtsp-tcp" ? rtspTcpClient(url) : rtspUdpClient(url)));
      }
    }
    await sleep(warmupMs);
    const pid = measured.child.pid;
    const cpuStart = cpuSeconds(pid) ?? 0;
    const givenStart = framesGiven(measured, server);
    const clientStart = counting.map((client) => client.frames());
    const rssSamples = [rssMb(pid) ?? 0];
    const startMs = performance.now();
    // Bounded: one sample a second for the measured seconds.
    for (let s = 0; s < seconds; s++) {
      await sleep(1000);
      rssSamples.push(rssMb(pid) ?? 0);
    }
    const windowS = (performance.now() - startMs) / 1000;
    const cpuEnd = cpuSeconds(pid) ?? cpuStart;
    const givenEnd = framesGiven(measured, server);
    const clientEnd = counting.map((client) => client.frames());
    // The stats lines come once a second: the rate between them, over the window.
    const fps = givenEnd.elapsedS > givenStart.elapsedS
      ? (givenEnd.frames - givenStart.frames) / (givenEnd.elapsedS - givenStart.elapsedS)
      : 0;
    const frames = fps * windowS;
    const slowest = counting.length === 0
      ? null
      : Math.min(...clientEnd.map((end, i) => (end - clientStart[i]) / windowS));
    return {
      fps,
      cpuMsPerFrame: frames > 0 ? (cpuEnd - cpuStart) * 1000 / frames : 0,
      slowestFps: slowest,
      rss: {
        start: rssSamples[0],
        end: rssSamples[rssSamples.length - 1],
        peak: Math.max(...rssSamples),
      },
    };
  } finally {
    await Promise.all(counting.map((client) => client.stop()));
    for (const program of programs.reverse()) await stop(program);
  }
}

const fixed = (value: number | null, digits = 2) => value === null ? "–" : value.toFixed(digits);

async function main(): Promise<void> {
  const { quick, runs, seconds, write } = parseBenchFlags(Deno.args, {
    runs: 2,
    seconds: 10,
    quickSeconds: 2,
  });
  const clientCounts = quick ? QUICK_CLIENTS : FULL_CLIENTS;
  const warmupMs = quick ? QUICK_WARMUP_MS : WARMUP_MS;
  const rows: string[] = [];
  for (const server of SERVERS) {
    let baseline = 0;
    for (const clients of clientCounts) {
      const results: CaseResult[] = [];
      for (let run = 0; run < runs; run++) {
        results.push(await runCase(server, clients, seconds, warmupMs));
      }
      const cpu = median(results.map((r) => r.cpuMsPerFrame));
      if (clients === 0) baseline = cpu;
      const perClient = clients === 0 ? null : (cpu - baseline) / clients;
      const slowest = clients === 0 ? null : median(results.map((r) => r.slowestFps ?? 0));
      const rss = results[results.length - 1].rss;
      const row = `| ${SERVER_NAMES[server]} | ${clients} | ${
        fixed(median(results.map((r) => r.fps)), 1)
      } | ` +
        `${fixed(cpu)} | ${fixed(perClient)} | ${fixed(slowest, 1)} | ` +
        `${rss.start.toFixed(0)} → ${rss.end.toFixed(0)} (peak ${rss.peak.toFixed(0)}) |`;
      rows.push(row);
      console.error(`rtsp_bench: ${server} with ${clients} clients done`);
    }
  }
  const table = [
    `Machine: ${await machine()}. Date: ${new Date().toISOString().slice(0, 10)}; ${SIZE} ` +
    `${FPS} fps test pattern, ${runs} run${runs > 1 ? "s" : ""} of ${seconds} s per case after a ` +
    `${warmupMs / 1000} s warm-up, medians.`,
    "",
    "| server | clients | frames/s given | CPU ms/frame | CPU ms/frame per client | slowest client fps | RSS MB start → end (peak) |",
    "| ------ | ------- | -------------- | ------------ | ----------------------- | ------------------ | ------------------------- |",
    ...rows,
  ].join("\n");
  console.log(table);
  if (write) await writeMarkedSection(write, "rtsp", table);
}

if (import.meta.main) await main();
