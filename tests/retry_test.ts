/**
 * `udpcam-send --retry`: ffmpeg killed mid-stream is reported with its exit, capture restarts
 * after the backoff, and the receiver resumes on its own (same stream id, frame numbers go on).
 */

import { equal, match, ok } from "node:assert/strict";
import {
  jsonLines,
  requireTool,
  startLoopbackReceiver,
  startTestPatternSender,
  stopProgram,
} from "./support/programs.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pid of the ffmpeg child of `parentPid`, found through /proc (bounded wait). */
async function ffmpegChildOf(parentPid: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
        const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (parent === parentPid && stat.includes("(ffmpeg)") && !/\) Z /.test(stat)) {
          return Number(entry.name);
        }
      } catch { /* process went away */ }
    }
    await sleep(100);
  }
  throw new Error("ffmpeg child not found");
}

/** Complete frames the receiver reported last (its stats line each second). */
function framesComplete(stdout: string): number {
  const last = jsonLines(stdout).at(-1);
  return last ? (last.frames as { complete: number }).complete : 0;
}

Deno.test("--retry: killing ffmpeg restarts capture and the receiver resumes", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const { receiver, port } = await startLoopbackReceiver([
    "--headless",
    "--stats-json",
    "--duration",
    "60",
  ]);
  // --adapt off: this is about restarts; on a loaded machine, link fitting may pace and repair
  // differently, and a late repair of an older frame counts as stale, which this test forbids.
  const sender = startTestPatternSender(port, [
    "--size",
    "320x240",
    "--retry",
    "--stats-json",
    "--adapt",
    "off",
  ]);
  let stopped: Awaited<ReturnType<typeof stopProgram>>[] = [];
  try {
    await sender.waitForStderr(/udpcam-send: streaming/);
    await receiver.waitForStderr(/frames [1-9]\d+ ok/, 20_000);
    Deno.kill(await ffmpegChildOf(sender.child.pid), "SIGKILL");
    await sender.waitForStderr(/restarting capture in 0\.5 s \(--retry, attempt 1\)/, 10_000);
    // Kill the restarted one too: the delay doubles.
    await sleep(1500);
    Deno.kill(await ffmpegChildOf(sender.child.pid), "SIGKILL");
    await sender.waitForStderr(/restarting capture in 1\.0 s \(--retry, attempt 2\)/, 10_000);
    await sleep(3500);
  } finally {
    // Stopped first; checked after, so a failure above is the one reported.
    stopped = await Promise.all([stopProgram(sender), stopProgram(receiver)]);
  }
  const [sent, received] = stopped;
  equal(sent.code, 0, sent.stderr);
  match(sent.stderr, /ffmpeg/);
  equal(received.code, 0, received.stderr);
  const lines = jsonLines(received.stdout);
  const final = lines.at(-1)!;
  // Frames came after the second restart: the last seconds of stats still grow.
  const before = framesComplete(
    lines.slice(0, -3).map((line) => JSON.stringify(line)).join("\n"),
  );
  ok(
    (final.frames as { complete: number }).complete > before,
    `no frames after the restarts: ${before} -> ${JSON.stringify(final.frames)}`,
  );
  const drops = (final.datagrams as { droppedBy: Record<string, number> }).droppedBy;
  equal(drops.stale, 0, `frame numbers went back after a restart: ${JSON.stringify(final)}`);
  equal(drops.otherStream, 0, "the stream id changed after a restart");
  const senderStats = jsonLines(sent.stdout).at(-1)!;
  equal(senderStats.captureRestarts, 2);
});
