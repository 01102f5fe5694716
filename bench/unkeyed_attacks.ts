/**
 * The attacks of issue #19 that need no key: what an attacker who knows the stream id can still do,
 * and what no longer. Forged frame numbers are replayed against the real reassembler (pure); the
 * allocation flood goes to a real udpcam-recv over loopback, whose memory and CPU are read from
 * /proc (Linux). Prints one table per attack; docs/protocol.md ("Without the key") quotes them.
 *
 * Run: `deno run -A bench/unkeyed_attacks.ts [--only 3|4|10]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  encodeHeader,
  fragmentFrame,
  HEADER_BYTES,
  PacketType,
  Reassembler,
} from "../lib/wire/v1/mod.ts";
import { Prng } from "../lib/netsim/mod.ts";
import { RtpJpegDepacketizer } from "../lib/wire/rtp/mod.ts";
import { freeUdpPort, jsonLines, startProgram, stopProgram } from "../tests/support/programs.ts";
import { cpuSeconds, rssMb, sleep } from "./support/proc.ts";

const only = parseArgs({ options: { only: { type: "string" } } }).values.only ?? null;
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

/** An RTP/JPEG packet (Q 50, 320x240, SSRC 5) with `bytes` bytes of scan data at `offset`. */
function rtpPacket(
  sequence: number,
  timestamp: number,
  offset: number,
  bytes: number,
  marker: boolean,
): Uint8Array {
  const out = new Uint8Array(20 + bytes).fill(0x11);
  const view = new DataView(out.buffer);
  // RTP: version 2, marker and payload type 26, sequence, timestamp, SSRC.
  view.setUint8(0, 0x80);
  view.setUint8(1, (marker ? 0x80 : 0) | 26);
  view.setUint16(2, sequence & 0xffff);
  view.setUint32(4, timestamp >>> 0);
  view.setUint32(8, 5);
  // RFC 2435: type-specific 0, 24-bit fragment offset, type 1, Q 50, 40 x 30 blocks.
  view.setUint32(12, offset & 0xff_ffff);
  out.set([1, 50, 40, 30], 16);
  return out;
}

/**
 * `packets` RTP packets pushed into a depacketizer: crafted frames (fragments adding up to the
 * end without tiling, then empty and 1-byte fragments past the end, 1000 per frame), random junk
 * of the same sizes, or valid frames of ten packets. Returns the push time per packet (one run,
 * this machine).
 */
function rtpCompletion(kind: "crafted" | "junk" | "valid", packets: number) {
  const d = new RtpJpegDepacketizer();
  const prng = new Prng(10);
  const list: Uint8Array[] = [];
  for (let sequence = 0; list.length < packets; sequence++) {
    const timestamp = 3000 * (1 + Math.floor(sequence / 1004));
    const k = sequence % 1004;
    const piece: [number, number, boolean] = k === 0
      ? [0, 400, false]
      : k === 1
      ? [900, 100, true]
      : k === 2
      ? [400, 400, false]
      : k === 3
      ? [850, 100, false]
      : [1000 + k, k % 2, false];
    // Valid: frames of 1000 bytes of scan data in ten 100-byte packets that tile.
    const valid: [number, number, boolean] = [(sequence % 10) * 100, 100, sequence % 10 === 9];
    list.push(
      kind === "crafted"
        ? rtpPacket(sequence, timestamp, ...piece)
        : kind === "valid"
        ? rtpPacket(sequence, 3000 * (1 + Math.floor(sequence / 10)), ...valid)
        : prng.bytes(20 + piece[1]),
    );
  }
  const startMs = performance.now();
  list.forEach((packet, i) => d.push(packet, i / 10));
  const elapsedMs = performance.now() - startMs;
  return {
    packets: `${kind}, ${packets}`,
    usPerPacket: Math.round((elapsedMs * 1000 * 100) / packets) / 100,
    tilingChecks: (d.counters as { tilingChecks?: number }).tilingChecks ?? "n/a",
    overlap: d.counters.frameDrops.overlap,
  };
}

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

if (only === null || only === "3") {
  console.log("Finding 3: forged frames numbered ahead of the stream (v1, 30 fps)");
  console.table([
    jumpAttack(1, 0x7fff_ffff),
    jumpAttack(2, 0x4000_0000),
    jumpAttack(30, 0x4000_0000),
    jumpAttack(1, 16),
    jumpAttack(1, 17),
  ]);
}

if (only === null || only === "4") {
  console.log("Finding 4: 32-byte datagrams announcing new 8 MiB frames (real udpcam-recv)");
  console.table([await allocationFlood(0, 6), await allocationFlood(1000, 6)]);
}

if (only === null || only === "10") {
  console.log("Finding 10: RTP/JPEG fragments that add up but do not tile (pure, one run)");
  console.table([
    rtpCompletion("junk", 20_080),
    rtpCompletion("valid", 20_080),
    rtpCompletion("crafted", 20_080),
  ]);
}
