/**
 * The attacks of issue #19 that need no key: what an attacker who knows the stream id can still do,
 * and what no longer. Forged frame numbers are replayed against the real reassembler (pure); the
 * allocation flood goes to a real udpcam-recv over loopback, whose memory and CPU are read from
 * /proc (Linux). Prints one table per attack; docs/protocol.md ("Without the key") quotes them.
 *
 * Run: `deno run -A bench/unkeyed_attacks.ts`
 *
 * @module
 */

import {
  encodeHeader,
  fragmentFrame,
  HEADER_BYTES,
  PacketType,
  Reassembler,
} from "../lib/wire/v1/mod.ts";
import { Prng } from "../lib/netsim/mod.ts";
import { freeUdpPort, jsonLines, startProgram, stopProgram } from "../tests/support/programs.ts";
import { cpuSeconds, rssMb, sleep } from "./support/proc.ts";

const STREAM = 0x1234_5678;
const FRAME_INTERVAL_MS = 1000 / 30;
const REAL_FRAMES = 147;
/** The real frames: 3000 bytes in 600-byte datagrams (6 per frame). */
const REAL_FRAME_BYTES = 3000;

/** The real stream with `forged` complete 278-byte frames, numbered last shown + `jump` + k. */
function jumpAttack(forged: number, jump: number) {
  const reassembler = new Reassembler();
  let nowMs = 0;
  let real = 0;
  let forgedShown = 0;
  let lastRealMs = 0;
  let longestGapMs = 0;
  for (let seq = 0; seq < REAL_FRAMES; seq++) {
    nowMs += FRAME_INTERVAL_MS;
    if (seq === 35) {
      for (let k = 0; k < forged; k++) {
        const [datagram] = fragmentFrame(new Uint8Array(248), {
          streamId: STREAM,
          frameSeq: (seq - 1 + jump + k) >>> 0,
          captureUs: 0,
        }, 1500);
        if (reassembler.push(datagram, nowMs) !== null) forgedShown++;
      }
    }
    const frame = new Uint8Array(REAL_FRAME_BYTES).fill(seq);
    for (
      const datagram of fragmentFrame(frame, { streamId: STREAM, frameSeq: seq, captureUs: 0 }, 600)
    ) {
      if (reassembler.push(datagram, nowMs) === null) continue;
      real++;
      longestGapMs = Math.max(longestGapMs, nowMs - lastRealMs);
      lastRealMs = nowMs;
    }
  }
  const { counters } = reassembler;
  return {
    attack: `${forged} forged, +${jump}`,
    realShown: `${real} of ${REAL_FRAMES}`,
    forgedShown,
    longestFreezeMs: Math.round(longestGapMs),
    jump: counters.frameDrops.jump,
    resyncs: counters.streamResyncs,
    stale: counters.datagramDrops.stale,
  };
}

console.log("Finding 3: forged frames numbered ahead of the stream (v1, 30 fps)");
console.table([
  jumpAttack(1, 0x7fff_ffff),
  jumpAttack(2, 0x4000_0000),
  jumpAttack(30, 0x4000_0000),
  jumpAttack(1, 16),
  jumpAttack(1, 17),
]);

/** 32 bytes: the 2-byte last fragment of a new 8 MiB frame (4095 fragments of 2049 bytes). */
function floodDatagram(streamId: number, frameSeq: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + 2);
  encodeHeader({
    type: PacketType.Fragment,
    flags: 0,
    typeSpecific: 0,
    fragmentIndex: 4094,
    fragmentCount: 4095,
    streamId,
    frameSeq: frameSeq >>> 0,
    frameBytes: 8 * 1024 * 1024,
    captureUs: 0,
  }, out);
  return out;
}

/**
 * A real udpcam-recv gets a 30 fps stream of 40 KB frames for `seconds`, and with `floodPerSecond`
 * forged datagrams of new 8 MiB frames of the same stream (random frame numbers) beside it.
 */
async function allocationFlood(floodPerSecond: number, seconds: number) {
  const port = freeUdpPort();
  const receiver = startProgram("receiver.ts", [
    ...["--listen", `127.0.0.1:${port}`, "--headless", "--no-nack", "--stats-json"],
  ]);
  await receiver.waitForStderr(/listening on/);
  const pid = receiver.child.pid;
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
  const prng = new Prng(19);
  const streamId = 0x0b0b_0b0b;
  await sleep(500);
  const rssStartMb = rssMb(pid)!;
  const cpuStart = cpuSeconds(pid)!;
  let rssMaxMb = rssStartMb;
  let frames = 0;
  let forged = 0;
  const startMs = performance.now();
  // Bounded in time, and in ticks (10 ms each) should the clock misbehave.
  for (let tick = 0; tick < seconds * 1000; tick++) {
    const elapsedMs = performance.now() - startMs;
    if (elapsedMs >= seconds * 1000) break;
    while (frames < (elapsedMs * 30) / 1000) {
      const frame = new Prng(frames).bytes(40_000);
      for (
        const datagram of fragmentFrame(frame, { streamId, frameSeq: frames, captureUs: 0 }, 1200)
      ) {
        await socket.send(datagram, to);
      }
      frames++;
    }
    while (forged < (elapsedMs * floodPerSecond) / 1000) {
      await socket.send(floodDatagram(streamId, prng.int(0, 0xffff_ffff)), to);
      forged++;
    }
    if (tick % 25 === 0) rssMaxMb = Math.max(rssMaxMb, rssMb(pid) ?? 0);
    await sleep(10);
  }
  const sentS = (performance.now() - startMs) / 1000;
  await sleep(1000);
  const cpu = cpuSeconds(pid)! - cpuStart;
  const rssEndMb = rssMb(pid)!;
  rssMaxMb = Math.max(rssMaxMb, rssEndMb);
  socket.close();
  const result = await stopProgram(receiver);
  const last = jsonLines(result.stdout).at(-1) as { frames: { complete: number } };
  return {
    flood: `${floodPerSecond}/s`,
    sentS: Math.round(sentS * 10) / 10,
    realComplete: `${last.frames.complete} of ${frames}`,
    forged,
    rssStartMb: Math.round(rssStartMb),
    rssMaxMb: Math.round(rssMaxMb),
    rssEndMb: Math.round(rssEndMb),
    receiverCpuS: Math.round(cpu * 10) / 10,
  };
}

console.log("Finding 4: 32-byte datagrams announcing new 8 MiB frames (real udpcam-recv)");
console.table([await allocationFlood(0, 6), await allocationFlood(1000, 6)]);
