/**
 * End to end with `--key`: sealed streams arrive byte-identical, a wrong key shows the
 * authentication problem and no frame, and datagrams from refused sources are counted.
 */

import { equal, ok } from "node:assert/strict";
import { readMjpegFrames, sha256 } from "./support/mjpeg.ts";
import {
  jsonLines,
  requireTool,
  startLoopbackReceiver,
  startTestPatternSender,
  stopProgram,
} from "./support/programs.ts";
import { AUTH_FAILED_PROBLEM } from "../lib/stats/mod.ts";
import { KEY_ENV } from "../lib/cli/key_option.ts";
import { runThroughLossyRelay } from "./support/loss_run.ts";

const KEY = "correct horse battery staple";

Deno.test("--key: a sealed stream arrives byte-identical (key from env and from a file)", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-key-" });
  try {
    Deno.writeTextFileSync(`${dir}/key.txt`, `${KEY}\n`);
    const { receiver, port } = await startLoopbackReceiver([
      "--headless",
      "--key-file",
      `${dir}/key.txt`,
      "--record",
      `${dir}/received.mjpeg`,
      "--stats-json",
      "--duration",
      "60",
    ]);
    const sender = startTestPatternSender(port, [
      "--size",
      "640x480",
      "--frames",
      "90",
      "--save",
      `${dir}/sent.mjpeg`,
    ], { env: { UDPCAM_KEY: KEY } });
    const sent = await sender.done;
    equal(sent.code, 0, sent.stderr);
    ok(sent.stderr.includes("sealed with AES-256-GCM"), sent.stderr);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const received = await stopProgram(receiver);
    equal(received.code, 0, received.stderr);

    const sentHashes = new Set<string>();
    for (const frame of readMjpegFrames(`${dir}/sent.mjpeg`)) sentHashes.add(await sha256(frame));
    const receivedFrames = readMjpegFrames(`${dir}/received.mjpeg`);
    for (const frame of receivedFrames) {
      ok(sentHashes.has(await sha256(frame)), "a received frame differs from every frame sent");
    }
    // The first frames may go by while the receiver derives the session key (PBKDF2).
    ok(receivedFrames.length >= 75, `only ${receivedFrames.length} of 90 frames arrived`);
    const last = jsonLines(received.stdout).at(-1)!;
    const drops = (last.datagrams as { droppedBy: Record<string, number> }).droppedBy;
    equal(drops.authFailed, 0);
    equal(drops.replay, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a wrong --key: no frame, drops counted as authFailed, the status says why", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const { receiver, port } = await startLoopbackReceiver([
    "--headless",
    "--key",
    "not the right passphrase",
    "--stats-json",
    "--duration",
    "60",
  ]);
  const sender = startTestPatternSender(port, [
    "--size",
    "320x240",
    "--duration",
    "3",
    "--key",
    KEY,
  ]);
  equal((await sender.done).code, 0);
  const received = await stopProgram(receiver);
  const lines = jsonLines(received.stdout);
  const last = lines.at(-1)!;
  equal((last.frames as { complete: number }).complete, 0);
  const drops = (last.datagrams as { droppedBy: Record<string, number> }).droppedBy;
  ok(drops.authFailed > 0, JSON.stringify(drops));
  ok(lines.some((line) => line.problem === AUTH_FAILED_PROBLEM), received.stdout.slice(-2000));
});

Deno.test("--allow-from: datagrams from other sources are dropped and counted", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const { receiver, port } = await startLoopbackReceiver([
    "--headless",
    "--allow-from",
    "10.0.0.0/8",
    "--stats-json",
    "--duration",
    "60",
  ]);
  const sender = startTestPatternSender(port, [
    "--size",
    "320x240",
    "--frames",
    "20",
  ]);
  equal((await sender.done).code, 0);
  await new Promise((resolve) => setTimeout(resolve, 700));
  const received = await stopProgram(receiver);
  const last = jsonLines(received.stdout).at(-1)!;
  equal((last.frames as { complete: number }).complete, 0);
  const datagrams = last.datagrams as { received: number; droppedBy: Record<string, number> };
  ok(datagrams.received > 0);
  equal(datagrams.droppedBy.notAllowed, datagrams.received);
});

Deno.test("--key with NACK at 2 % loss: sealed NACKs are answered, frames byte-identical", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-key-nack-" });
  try {
    const result = await runThroughLossyRelay({
      size: "640x480",
      fps: 30,
      frames: 150,
      senderFlags: [],
      faults: { lossPercent: 2, seed: 21 },
      dir,
      // Through the children's environment only: setting it on this process would leak the key
      // into every program other tests start meanwhile.
      env: { [KEY_ENV]: KEY },
    });
    const summary = JSON.stringify({
      intact: result.framesIntact,
      recovery: result.receiver.recovery,
      retransmit: result.sender.retransmit,
      refused: result.sender.nacksRefused,
    });
    equal(result.framesCorrupted, 0, summary);
    const recovery = result.receiver.recovery as {
      retransmittedFragments: number;
      nacksSent: number;
    };
    ok(recovery.nacksSent > 0 && recovery.retransmittedFragments > 0, summary);
    const refused = result.sender.nacksRefused as Record<string, number>;
    equal(refused.unauthenticated, 0, summary);
    equal(refused.authFailed, 0, summary);
    equal(refused.replay, 0, summary);
    const drops = (result.receiver.datagrams as { droppedBy: Record<string, number> }).droppedBy;
    equal(drops.replay, 0, `a retransmission reused a nonce: ${summary}`);
    ok(result.framesIntact >= 0.9 * 150, summary);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
