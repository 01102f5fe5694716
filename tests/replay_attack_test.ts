/**
 * Replaying a recorded keyed session (issue #19, finding 1) against a real keyed udpcam-send and
 * udpcam-recv on loopback: the attacker records a sealed session off the wire and plays it back
 * later, into a receiver following a live stream and into one that has just started.
 */

import { equal, ok } from "node:assert/strict";
import {
  jsonLines,
  requireTool,
  startLoopbackReceiver,
  startTestPatternSender,
  stopProgram,
} from "./support/programs.ts";
import {
  countIn,
  frameHashes,
  record,
  type Recorded,
  replay,
  sleep,
} from "./support/seal_attacks.ts";

const KEY = "correct horse battery staple";

Deno.test("finding 1: a recorded keyed session played back later is not shown, live or not", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-replay-" });
  const tap = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const attacker = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    // 1. Off the wire: 4 s of a keyed stream, recorded by the attacker (no receiver involved).
    const recording: Recorded[] = [];
    const recorder = record(tap, recording);
    const old = startTestPatternSender((tap.addr as Deno.NetAddr).port, [
      "--size",
      "320x240",
      "--fps",
      "10",
      "--duration",
      "4",
      "--no-nack",
      "--save",
      `${dir}/old.mjpeg`,
    ], { env: { UDPCAM_KEY: KEY } });
    equal((await old.done).code, 0);
    await sleep(200);
    tap.close();
    await recorder;
    const recordedMs = performance.now();
    const oldHashes = new Set(await frameHashes(`${dir}/old.mjpeg`));
    ok(recording.length > 40 && oldHashes.size >= 30, `recorded ${recording.length} datagrams`);

    // 2. Later: a live keyed sender into a receiver with --key --follow-newest, then the replay.
    const { receiver, port } = await startLoopbackReceiver([
      "--headless",
      "--follow-newest",
      "--no-nack",
      "--record",
      `${dir}/live.mjpeg`,
      "--stats-json",
      "--duration",
      "60",
    ], { env: { UDPCAM_KEY: KEY } });
    const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
    const live = startTestPatternSender(port, [
      "--size",
      "352x288",
      "--fps",
      "10",
      "--duration",
      "9",
      "--no-nack",
      "--save",
      `${dir}/new.mjpeg`,
    ], { env: { UDPCAM_KEY: KEY } });
    await live.waitForStderr(/streaming/);
    await sleep(2500);
    const beforeReplay = (await frameHashes(`${dir}/live.mjpeg`)).length;
    await replay(attacker, recording, to);
    const sent = await live.done;
    equal(sent.code, 0, sent.stderr);
    await sleep(500);
    const result = await stopProgram(receiver);
    equal(result.code, 0, result.stderr);
    const shown = await frameHashes(`${dir}/live.mjpeg`);
    const liveHashes = new Set(await frameHashes(`${dir}/new.mjpeg`));
    const drops = (jsonLines(result.stdout).at(-1)!.datagrams as {
      droppedBy: Record<string, number>;
    }).droppedBy;
    const summary = JSON.stringify({
      shown: shown.length,
      old: countIn(shown, oldHashes),
      beforeReplay,
      drops,
    });
    equal(countIn(shown, oldHashes), 0, `old frames were shown as live: ${summary}`);
    // The live stream went on through the replay (frames after the replay began).
    ok(countIn(shown.slice(beforeReplay), liveHashes) >= 20, summary);
    equal(countIn(shown, liveHashes), shown.length, summary);

    // 3. A receiver that has just started (no --follow-newest), nothing live: the replay alone,
    // played back more than the receiver's default --max-clock-skew (10 s) after it was made.
    await sleep(Math.max(0, recordedMs + 11_000 - performance.now()));
    const fresh = await startLoopbackReceiver([
      "--headless",
      "--no-nack",
      "--record",
      `${dir}/fresh.mjpeg`,
      "--stats-json",
      "--duration",
      "60",
    ], { env: { UDPCAM_KEY: KEY } });
    await replay(attacker, recording, {
      transport: "udp",
      hostname: "127.0.0.1",
      port: fresh.port,
    });
    await sleep(500);
    const freshResult = await stopProgram(fresh.receiver);
    equal(freshResult.code, 0, freshResult.stderr);
    const freshLast = jsonLines(freshResult.stdout).at(-1)!;
    equal(
      (await frameHashes(`${dir}/fresh.mjpeg`)).length,
      0,
      `a just-started receiver showed the replay: ${JSON.stringify(freshLast.datagrams)}`,
    );
    const freshDrops = (freshLast.datagrams as { droppedBy: Record<string, number> }).droppedBy;
    ok(freshDrops.notFresh > 0.9 * recording.length, JSON.stringify(freshDrops));
  } finally {
    try {
      tap.close();
    } catch { /* closed above */ }
    attacker.close();
    await Deno.remove(dir, { recursive: true });
  }
});
