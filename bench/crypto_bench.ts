/**
 * What `--key` costs, and how long a salt flood can hold back a real sender's first frame.
 *
 * - Micro: the root key's derivation (PBKDF2 at KDF_ITERATIONS, once per program run), sealing and
 *   opening one 1200-byte datagram, and one try of an unknown session id (HKDF and a decryption of
 *   a 70-byte forged datagram), in this process.
 * - Stream: 1080p30 testsrc2 from udpcam-send to a headless udpcam-recv on loopback, plain and
 *   sealed (AES-256-GCM), in a private network namespace so the kernel's Udp RcvbufErrors counts
 *   only this receiver. Per mode: frames sent and complete, datagrams sent and received,
 *   RcvbufErrors, Mbit/s, and CPU ms per frame of the sender (without ffmpeg) and of the receiver,
 *   read from /proc.
 * - Flood: a keyed receiver flooded with forged sealed datagrams (tests/support/seal_attacks.ts:
 *   a heavy id re-sent, a fresh one every 5 ms, all looking current) at several rates; 1 s into
 *   the flood a keyed 320x240@15 sender starts, through a forwarder that notes its first datagram.
 *   Per rate: the first frame's delay (first real datagram forwarded to first frame recorded;
 *   median of the runs, and the worst), the receiver's CPU share during the flood alone, and the
 *   frames that arrived of those sent.
 *
 * Flags: `--quick` (one short run of each), `--runs N`, `--seconds S`, `--only micro|stream|flood`,
 * `--rates A,B,...` (flood rates, datagrams/s).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DatagramOpener, DatagramSealer, KDF_ITERATIONS, RootKey } from "../lib/crypto/mod.ts";
import { Prng } from "../lib/netsim/mod.ts";
import { fragmentFrame } from "../lib/wire/v1/mod.ts";
import { cpuSeconds, median, sleep } from "./support/proc.ts";
import {
  jsonLines,
  startLoopbackReceiver,
  startTestPatternSender,
  stopProgram,
} from "../tests/support/programs.ts";
import {
  forgedDatagram,
  forgedSalt,
  frameHashes,
  saltFlood,
} from "../tests/support/seal_attacks.ts";
import { startInNetnsOf, startInNewNetns, udpCounters } from "../tests/support/netns.ts";

const KEY = "benchmark passphrase";
const PORT = 24680;

const flags = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean" },
    runs: { type: "string" },
    seconds: { type: "string" },
    only: { type: "string" },
    rates: { type: "string" },
  },
}).values;
const runs = flags.quick ? 1 : Number(flags.runs ?? 3);
const seconds = flags.quick ? 4 : Number(flags.seconds ?? 10);
const only = flags.only ?? null;
const floodRates = (flags.rates ?? (flags.quick ? "0,2500" : "0,2500,10000,40000"))
  .split(",").map(Number);

/** Samples a process's CPU seconds until it exits; resolves with the last value seen. */
function trackCpu(pid: number, done: Promise<unknown>): Promise<number> {
  let last = 0;
  let finished = false;
  done.finally(() => finished = true);
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const seconds = cpuSeconds(pid);
      if (seconds !== null) last = seconds;
      if (finished || seconds === null) {
        clearInterval(timer);
        resolve(last);
      }
    }, 100);
  });
}

interface Run {
  framesSent: number;
  framesComplete: number;
  datagramsSent: number;
  datagramsReceived: number;
  rcvbufErrors: number;
  mbps: number;
  senderCpuMsPerFrame: number;
  receiverCpuMsPerFrame: number;
}

async function runOnce(keyed: boolean): Promise<Run> {
  const keyArgs = keyed ? ["--key", KEY] : [];
  const receiver = startInNewNetns("receiver.ts", [
    "--listen",
    `127.0.0.1:${PORT}`,
    "--headless",
    "--stats-json",
    "--duration",
    String(seconds + 30),
    ...keyArgs,
  ], {});
  const pid = receiver.child.pid;
  for (let i = 0; i < 100 && !/listening on/.test(receiver.stderrSoFar()); i++) await sleep(100);
  if (!/listening on/.test(receiver.stderrSoFar())) {
    throw new Error(
      `Cannot run the benchmark: the receiver did not start: ${receiver.stderrSoFar()}`,
    );
  }
  // Let the receiver derive its NACK key before the stream starts.
  await sleep(500);
  const before = udpCounters(pid);
  const sender = startInNetnsOf(pid, "sender.ts", [
    "--test-pattern",
    "--size",
    "1920x1080",
    "--fps",
    "30",
    "--to",
    `127.0.0.1:${PORT}`,
    "--duration",
    String(seconds),
    "--stats-json",
    ...keyArgs,
  ]);
  const senderCpu = trackCpu(sender.child.pid, sender.done);
  const sent = await sender.done;
  if (sent.code !== 0) {
    throw new Error(`Cannot run the benchmark: the sender failed: ${sent.stderr}`);
  }
  await sleep(1000);
  const after = udpCounters(pid);
  const receiverCpuBeforeStop = cpuSeconds(pid) ?? 0;
  receiver.child.kill("SIGTERM");
  const received = await receiver.done;
  const senderStats = jsonLines(sent.stdout).at(-1)!;
  const stats = jsonLines(received.stdout).at(-1)!;
  const frames = stats.frames as { complete: number };
  const datagrams = stats.datagrams as { received: number };
  const framesSent = senderStats.framesSent as number;
  return {
    framesSent,
    framesComplete: frames.complete,
    datagramsSent: senderStats.datagramsSent as number,
    datagramsReceived: datagrams.received,
    rcvbufErrors: after.RcvbufErrors - before.RcvbufErrors,
    mbps: ((senderStats.bytesSent as number) * 8) / seconds / 1e6,
    senderCpuMsPerFrame: ((await senderCpu) * 1000) / framesSent,
    receiverCpuMsPerFrame: (receiverCpuBeforeStop * 1000) / Math.max(1, frames.complete),
  };
}

interface Micro {
  rootMs: number;
  rootMsBefore: number;
  sealUs: number;
  openUs: number;
  tryUs: number;
}

async function microBench(): Promise<Micro> {
  const timeRoot = async (iterations: number) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await RootKey.derive(KEY, iterations);
      times.push(performance.now() - start);
    }
    return median(times);
  };
  const rootMs = await timeRoot(KDF_ITERATIONS);
  // The count before issue #19: what a program paid at start (per session id, on the receiver).
  const rootMsBefore = await timeRoot(210_000);
  const root = await RootKey.derive(KEY, 1000);
  const sealer = await DatagramSealer.create(root, { startMs: 0 });
  const opener = new DatagramOpener(root, { triesPerSecond: 1e9, tryBurst: 1e9 });
  const at = { nowMs: 0, epochMs: 0 }; // the datagram's capture time is 1 µs
  const datagram = fragmentFrame(new Uint8Array(200_000), {
    streamId: 1,
    frameSeq: 1,
    captureUs: 1,
  }, 1200 - 40)[0];
  const count = 10_000;
  const sealed: Uint8Array[] = [];
  let start = performance.now();
  for (let i = 0; i < count; i++) sealed.push(await sealer.seal(datagram));
  const sealUs = ((performance.now() - start) * 1000) / count;
  await opener.open(sealed[0], at); // brings the session
  start = performance.now();
  for (let i = 1; i < count; i++) await opener.open(sealed[i], at);
  const openUs = ((performance.now() - start) * 1000) / (count - 1);
  // Tries: forged datagrams with new ids that claim a later start, each derived and refused.
  const prng = new Prng(1);
  const forged = Array.from({ length: 2000 }, (_, i) => {
    const bytes = forgedDatagram(prng, forgedSalt(prng), 1);
    bytes.set(new Uint8Array(8), 22); // capture time 0, like the opener's clock here
    bytes.fill(0, 31, 37); // the session id's start: 1..200 ms, after the kept session's
    bytes[36] = (i % 200) + 1;
    return bytes;
  });
  const before = opener.tries;
  start = performance.now();
  for (const bytes of forged) await opener.open(bytes, at);
  const tryUs = ((performance.now() - start) * 1000) / (opener.tries - before);
  return { rootMs, rootMsBefore, sealUs, openUs, tryUs };
}

/** One flood run: the first frame's delay and what came through. */
interface FloodRun {
  firstFrameMs: number | null;
  framesSent: number;
  framesReceived: number;
  floodCpuShare: number;
  flooded: number;
  /** Datagrams the receiver read, real and forged (the rest the kernel dropped). */
  received: number;
  /** Unknown session ids tried and refused. */
  authFailed: number;
}

async function floodOnce(rate: number, seed: number): Promise<FloodRun> {
  const dir = await Deno.makeTempDir({ prefix: "udpcam-flood-bench-" });
  const front = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const back = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const { receiver, port } = await startLoopbackReceiver([
      "--headless",
      "--no-nack",
      "--record",
      `${dir}/received.mjpeg`,
      "--stats-json",
      "--duration",
      "60",
    ], { env: { UDPCAM_KEY: KEY } });
    const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
    let streamId = 0x1234_5678;
    const flood = rate > 0 ? saltFlood(to, () => streamId, seed, rate) : null;
    const pid = receiver.child.pid;
    await sleep(300);
    const cpuBefore = cpuSeconds(pid) ?? 0;
    await sleep(1000);
    const floodCpuShare = ((cpuSeconds(pid) ?? 0) - cpuBefore) / 1.0;
    let firstRealMs: number | null = null;
    const forwarding = (async () => {
      const buffer = new Uint8Array(65_536);
      // Bounded by the socket: closing it ends the loop.
      for (;;) {
        let datagram: Uint8Array;
        try {
          [datagram] = await front.receive(buffer);
        } catch {
          return;
        }
        firstRealMs ??= performance.now();
        await back.send(datagram, to);
      }
    })();
    const sender = startTestPatternSender((front.addr as Deno.NetAddr).port, [
      "--size",
      "320x240",
      "--fps",
      "15",
      "--frames",
      "45",
      "--no-nack",
    ], { env: { UDPCAM_KEY: KEY } });
    const banner = await sender.waitForStderr(/stream id 0x[0-9a-f]{8}/);
    streamId = parseInt(banner.slice(-8), 16);
    let firstFrameMs: number | null = null;
    // Bounded: polled every 5 ms for at most 10 s.
    for (let i = 0; i < 2000 && firstFrameMs === null; i++) {
      await sleep(5);
      if (firstRealMs !== null && (await frameHashes(`${dir}/received.mjpeg`)).length > 0) {
        firstFrameMs = performance.now() - firstRealMs;
      }
    }
    const sent = await sender.done;
    await sleep(500);
    await flood?.stop();
    const result = await stopProgram(receiver);
    front.close();
    await forwarding;
    const stats = jsonLines(result.stdout).at(-1)!;
    return {
      firstFrameMs,
      framesSent: jsonLines(sent.stdout).length > 0
        ? jsonLines(sent.stdout).at(-1)!.framesSent as number
        : 45,
      framesReceived: (stats.frames as { complete: number }).complete,
      floodCpuShare,
      flooded: flood?.sent ?? 0,
      received: (stats.datagrams as { received: number }).received,
      authFailed: (stats.datagrams as { droppedBy: Record<string, number> }).droppedBy.authFailed,
    };
  } finally {
    try {
      front.close();
    } catch { /* closed above */ }
    back.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (only === null || only === "micro") {
  const micro = await microBench();
  console.log(
    `root key (PBKDF2-SHA256, once per run): ${micro.rootMs.toFixed(0)} ms at ` +
      `${KDF_ITERATIONS.toLocaleString("en")} iterations (${micro.rootMsBefore.toFixed(0)} ms ` +
      "at the 210,000 of before); " +
      `seal ${micro.sealUs.toFixed(1)} µs, open ${micro.openUs.toFixed(1)} µs per 1200-byte ` +
      `datagram (awaited one at a time); one try of an unknown session id ${
        micro.tryUs.toFixed(1)
      } µs`,
  );
}
if (only === null || only === "stream") {
  console.log(
    "| mode | frames sent | complete | datagrams sent | received | RcvbufErrors | Mbit/s | " +
      "sender CPU ms/frame | receiver CPU ms/frame |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const keyed of [false, true]) {
    const results: Run[] = [];
    for (let i = 0; i < runs; i++) results.push(await runOnce(keyed));
    const m = (pick: (r: Run) => number) => median(results.map(pick));
    console.log(
      `| ${keyed ? "--key (AES-256-GCM)" : "plain"} | ${m((r) => r.framesSent)} | ${
        m((r) => r.framesComplete)
      } | ${m((r) => r.datagramsSent)} | ${m((r) => r.datagramsReceived)} | ${
        m((r) => r.rcvbufErrors)
      } | ${m((r) => r.mbps).toFixed(1)} | ${m((r) => r.senderCpuMsPerFrame).toFixed(2)} | ${
        m((r) => r.receiverCpuMsPerFrame).toFixed(2)
      } |`,
    );
  }
}
if (only === null || only === "flood") {
  console.log(
    "\n| forged datagrams/s (sent) | read by the receiver | tries refused | " +
      "first frame after the first real datagram, ms (median, worst) | " +
      "receiver CPU during the flood alone | frames received of sent |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const rate of floodRates) {
    const results: FloodRun[] = [];
    for (let i = 0; i < runs; i++) results.push(await floodOnce(rate, 100 + i));
    const delays = results.map((r) => r.firstFrameMs ?? Infinity);
    const worst = Math.max(...delays);
    console.log(
      `| ${rate.toLocaleString("en")} (${median(results.map((r) => r.flooded))}) | ${
        median(results.map((r) => r.received))
      } | ${median(results.map((r) => r.authFailed))} | ${median(delays).toFixed(0)}, ${
        Number.isFinite(worst) ? worst.toFixed(0) : "never"
      } | ${(100 * median(results.map((r) => r.floodCpuShare))).toFixed(0)} % | ${
        median(results.map((r) => r.framesReceived))
      } of ${median(results.map((r) => r.framesSent))} |`,
    );
  }
}
