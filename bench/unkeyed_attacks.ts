/**
 * The attacks of issue #19 that need no key, replayed against the real depacketizers (pure, no
 * sockets): what an attacker who knows the stream id can still do, and what no longer. Prints one
 * table per attack; docs/protocol.md ("Without the key") quotes its figures.
 *
 * Run: `deno run -A bench/unkeyed_attacks.ts`
 *
 * @module
 */

import { fragmentFrame, Reassembler } from "../lib/wire/v1/mod.ts";

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
