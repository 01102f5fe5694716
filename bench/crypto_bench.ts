/**
 * What `--key` costs: 1080p30 testsrc2 from udpcam-send to a headless udpcam-recv on loopback,
 * plain and sealed (AES-256-GCM), in a private network namespace so the kernel's Udp
 * RcvbufErrors counts only this receiver. Per mode: frames sent and complete, datagrams sent and
 * received, RcvbufErrors, Mbit/s, and CPU ms per frame of the sender (without ffmpeg) and of the
 * receiver, read from /proc. Also the raw seal/open cost per 1200-byte datagram in this process.
 *
 * Flags: `--quick` (one short run per mode), `--runs N`, `--seconds S`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DatagramOpener, DatagramSealer, RootKey } from "../lib/crypto/mod.ts";
import { fragmentFrame } from "../lib/wire/v1/mod.ts";
import { cpuSeconds, median, sleep } from "./support/proc.ts";
import { jsonLines } from "../tests/support/programs.ts";
import { startInNetnsOf, startInNewNetns, udpCounters } from "../tests/support/netns.ts";

const KEY = "benchmark passphrase";
const PORT = 24680;

const flags = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean" },
    runs: { type: "string" },
    seconds: { type: "string" },
  },
}).values;
const runs = flags.quick ? 1 : Number(flags.runs ?? 3);
const seconds = flags.quick ? 4 : Number(flags.seconds ?? 10);

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

async function microBench(): Promise<{ sealUs: number; openUs: number }> {
  const iterations = 1000;
  const root = await RootKey.derive(KEY, iterations);
  const sealer = await DatagramSealer.create(root, { startMs: 0 });
  const opener = new DatagramOpener(root);
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
  return { sealUs, openUs };
}

const micro = await microBench();
console.log(
  `seal ${micro.sealUs.toFixed(1)} µs, open ${micro.openUs.toFixed(1)} µs per 1200-byte datagram ` +
    "(awaited one at a time)",
);
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
