/**
 * `deno task soak`: 1080p30 testsrc2 from udpcam-send through the fault-injecting relay
 * (1 % loss in bursts, duplicates, reordering, jitter) to udpcam-recv (headless, or with a window
 * on SDL's dummy video driver), with a flood of junk datagrams straight at the receiver on the
 * side, all in a private network namespace.
 * Reports the receiver's RSS over the run (from /proc), whether it stayed up, and checks that its
 * stats account for every datagram: received = accepted + dropped by reason, and received =
 * what the relay forwarded + junk sent (+ kernel receive-buffer drops, reported).
 *
 * Flags: `--minutes M` (default 10), `--junk-per-s N` (default 2000), `--key` (seal the stream),
 * `--window` (decode and present every frame, as a user's receiver does: its memory is the one
 * the RSS target is about).
 * Exit code 0 when everything held, 1 otherwise.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { jsonLines } from "../tests/support/programs.ts";
import { rssMb, sleep } from "./support/proc.ts";
import {
  type NetnsProgram,
  startInNetnsOf,
  startInNewNetns,
  udpCounters,
} from "../tests/support/netns.ts";

/** The flags; `deno task soak -- --minutes 2` passes the "--" on, which is skipped. */
function soakFlags(args: string[]) {
  try {
    return parseArgs({
      args: args[0] === "--" ? args.slice(1) : args,
      options: {
        minutes: { type: "string" },
        "junk-per-s": { type: "string" },
        key: { type: "boolean" },
        window: { type: "boolean" },
      },
    }).values;
  } catch (error) {
    console.error(
      `soak: ${(error as Error).message}. Flags: --minutes N, --junk-per-s N, --key, --window.`,
    );
    Deno.exit(2);
  }
}
const flags = soakFlags(Deno.args);
const seconds = Math.round(Number(flags.minutes ?? 10) * 60);
const junkPerS = Number(flags["junk-per-s"] ?? 2000);
const keyArgs = flags.key ? ["--key", "soak passphrase"] : [];
const windowed = flags.window ?? false;
const RECEIVER_PORT = 25000;
const RELAY_PORT = 25001;
const SAMPLE_EVERY_MS = 10_000;

function alive(program: NetnsProgram): boolean {
  return rssMb(program.child.pid) !== null;
}

const receiver = startInNewNetns("receiver.ts", [
  "--listen",
  `127.0.0.1:${RECEIVER_PORT}`,
  ...(windowed ? ["--no-vsync"] : ["--headless"]),
  "--stats-json",
  "--duration",
  String(seconds + 120),
  ...keyArgs,
], windowed ? { SDL_VIDEODRIVER: "dummy" } : {});
const pid = receiver.child.pid;
for (let i = 0; i < 100 && !/listening on/.test(receiver.stderrSoFar()); i++) await sleep(100);
if (!/listening on/.test(receiver.stderrSoFar())) {
  throw new Error(`Cannot soak: the receiver did not start: ${receiver.stderrSoFar()}`);
}
const before = udpCounters(pid);
const side = startInNetnsOf(pid, "bench/soak_side.ts", [
  "--relay",
  `127.0.0.1:${RELAY_PORT}`,
  "--receiver",
  `127.0.0.1:${RECEIVER_PORT}`,
  "--junk-per-s",
  String(junkPerS),
  "--duration-s",
  String(seconds),
]);
await sleep(500);
const sender = startInNetnsOf(pid, "sender.ts", [
  "--test-pattern",
  "--size",
  "1920x1080",
  "--fps",
  "30",
  "--to",
  `127.0.0.1:${RELAY_PORT}`,
  "--duration",
  String(seconds),
  "--stats-json",
  ...keyArgs,
]);
console.log(
  `soak: ${seconds} s of 1080p30 through the relay, ${junkPerS} junk datagrams/s on the side` +
    (flags.key ? ", --key" : "") + (windowed ? ", receiver with a window (dummy driver)" : ""),
);

const rss: { s: number; mb: number }[] = [];
const startMs = performance.now();
let senderDone = false;
sender.done.finally(() => senderDone = true);
while (!senderDone && performance.now() - startMs < (seconds + 60) * 1000) {
  const mb = rssMb(pid);
  if (mb === null) break;
  rss.push({ s: Math.round((performance.now() - startMs) / 1000), mb });
  console.log(`soak: ${rss.at(-1)!.s} s, receiver RSS ${mb.toFixed(1)} MB`);
  await Promise.race([sleep(SAMPLE_EVERY_MS), sender.done]);
}
const sent = await sender.done;
await sleep(1500);
const receiverUp = alive(receiver);
side.child.kill("SIGTERM");
const sideResult = await side.done;
await sleep(500);
const after = udpCounters(pid);
const endMb = rssMb(pid);
receiver.child.kill("SIGTERM");
const received = await receiver.done;

const stats = jsonLines(received.stdout).at(-1)!;
const sideStats = jsonLines(sideResult.stdout).at(-1)! as {
  relay: { forwarded: number; forward: { datagrams: number } };
  junkSent: number;
};
const senderStats = jsonLines(sent.stdout).at(-1)!;
const datagrams = stats.datagrams as {
  received: number;
  accepted: number | null;
  droppedBy: Record<string, number>;
};
const counters = { accepted: datagrams.accepted ?? undefined };
const dropped = Object.values(datagrams.droppedBy).reduce((a, b) => a + b, 0);
const rcvbufErrors = after.RcvbufErrors - before.RcvbufErrors;
const expected = sideStats.relay.forwarded + sideStats.junkSent;
const frames = stats.frames as { complete: number; dropped: number };
const startRss = rss.find((sample) => sample.s >= 10) ?? rss[0];

console.log(
  `soak: sender ${sent.code === 0 ? "ok" : `failed (${sent.code})`}, frames sent ` +
    `${senderStats.framesSent}, datagrams sent ${senderStats.datagramsSent}`,
);
console.log(
  `soak: relay in ${sideStats.relay.forward.datagrams}, forwarded ` +
    `${sideStats.relay.forwarded}; junk sent ${sideStats.junkSent}`,
);
console.log(
  `soak: receiver ${receiverUp ? "up" : "DOWN"} at the end (exit ${received.code}), ` +
    `frames complete ${frames.complete}, lost ${frames.dropped}`,
);
console.log(
  `soak: datagrams received ${datagrams.received}, accepted ${counters.accepted ?? "?"}, ` +
    `dropped ${dropped} ${JSON.stringify(nonZero(datagrams.droppedBy))}`,
);
console.log(`soak: kernel RcvbufErrors ${rcvbufErrors}; relay forwarded + junk = ${expected}`);
console.log(
  `soak: receiver RSS ${startRss.mb.toFixed(1)} MB at ${startRss.s} s, ` +
    `${endMb === null ? "?" : endMb.toFixed(1)} MB at the end; samples ` +
    rss.map((sample) => sample.mb.toFixed(0)).join(" "),
);
const shown = stats.framesShown as number | undefined;
// Whole frames that are not JPEGs: junk that formed a frame of its own before the receiver
// followed the real stream (the junk's stream ids are random). The window gets them too.
const malformed = Object.values(stats.framesMalformed as Record<string, number>)
  .reduce((a, b) => a + b, 0);
if (windowed) {
  console.log(
    `soak: window shown ${shown ?? "?"}, skipped ${stats.framesSkipped ?? "?"}, ` +
      `undecodable ${stats.framesUndecodable ?? "?"} (frames that are not JPEGs: ${malformed})`,
  );
  // The receiver says why it skipped a frame (at most once a second).
  for (const line of received.stderr.split("\n").filter((l) => l.includes("skipped frame"))) {
    console.log(`soak: ${line.trim()}`);
  }
}
const statLines = jsonLines(received.stdout).filter((line) => line.memoryMB);
const memorySamples = statLines.filter((_, i) => i % 60 === 10 || i === statLines.length - 1);
console.log(
  "soak: receiver memory MB (rss / main heap / worker heap) per minute: " +
    memorySamples.map((line) => {
      const memory = line.memoryMB as Record<string, number>;
      return `${memory.rss}/${memory.heapUsed}/${memory.workerHeapUsed}`;
    }).join(" "),
);

const problems: string[] = [];
if (!receiverUp || received.code !== 0) problems.push("the receiver did not stay up");
if (counters.accepted !== undefined && counters.accepted + dropped !== datagrams.received) {
  problems.push("received != accepted + dropped");
}
// RcvbufErrors counts every socket in the namespace (the relay's too); only a shortfall at the
// receiver may be explained by it.
if (datagrams.received > expected || datagrams.received + rcvbufErrors < expected) {
  problems.push(
    `received ${datagrams.received} != relay forwarded + junk ${expected} ` +
      `(kernel RcvbufErrors ${rcvbufErrors})`,
  );
}
if (frames.complete < (senderStats.framesSent as number) * 0.5) {
  problems.push("fewer than half the frames arrived");
}
if (windowed && (shown === undefined || shown < frames.complete * 0.5)) {
  problems.push("the window showed fewer than half the complete frames");
}
// The relay loses and reorders but never alters bytes: every real frame decodes, and only
// frames that are not JPEGs at all may be undecodable.
if (windowed && !((stats.framesUndecodable as number) <= malformed)) {
  problems.push("the window could not decode frames that parsed as JPEGs");
}
console.log(problems.length === 0 ? "soak: ok" : `soak: FAILED: ${problems.join("; ")}`);
Deno.exit(problems.length === 0 ? 0 : 1);

function nonZero(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== 0));
}
