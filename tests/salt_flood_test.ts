/**
 * A flood of forged salts (issue #19, finding 2) against a real keyed udpcam-recv on loopback,
 * while a real keyed udpcam-send starts: the real stream must come through.
 */

import { equal, ok } from "node:assert/strict";
import {
  jsonLines,
  requireTool,
  startLoopbackReceiver,
  startTestPatternSender,
  stopProgram,
} from "./support/programs.ts";
import { countIn, frameHashes, saltFlood, sleep } from "./support/seal_attacks.ts";

const KEY = "correct horse battery staple";

Deno.test("finding 2: a flood of forged salts does not keep a keyed receiver from a real sender", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-salt-flood-" });
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
    // The attacker copies the real stream id once it shows (it is in clear); any id before that.
    let realStreamId = 0x1234_5678;
    const flood = saltFlood(to, () => realStreamId, 19);
    await sleep(1000);
    const sender = startTestPatternSender(port, [
      "--size",
      "320x240",
      "--fps",
      "15",
      "--frames",
      "150",
      "--no-nack",
      "--save",
      `${dir}/sent.mjpeg`,
    ], { env: { UDPCAM_KEY: KEY } });
    const banner = await sender.waitForStderr(/stream id 0x[0-9a-f]{8}/);
    realStreamId = parseInt(banner.slice(-8), 16);
    const sent = await sender.done;
    equal(sent.code, 0, sent.stderr);
    await sleep(500);
    await flood.stop();
    const result = await stopProgram(receiver);
    equal(result.code, 0, result.stderr);
    const last = jsonLines(result.stdout).at(-1)!;
    const sentHashes = new Set(await frameHashes(`${dir}/sent.mjpeg`));
    const received = await frameHashes(`${dir}/received.mjpeg`);
    const summary = JSON.stringify({
      flooded: flood.sent,
      sent: sentHashes.size,
      received: received.length,
      datagrams: last.datagrams,
    });
    ok(flood.sent > 10_000, `the flood was too thin to mean anything: ${summary}`);
    equal(countIn(received, sentHashes), received.length, summary);
    // The first frames may go by while the real session is found; then everything arrives.
    ok(received.length >= 0.8 * sentHashes.size, `only ${received.length} frames: ${summary}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
