import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { FecSetting } from "../../fec/mod.ts";
import { fecParityDatagrams } from "./parity.ts";
import { fragmentFrame } from "./packetizer.ts";
import { NackTracker, type NackTrackerOptions } from "./nack_tracker.ts";
import { Prng } from "../../netsim/mod.ts";
import { Reassembler, type ReassemblerOptions } from "./reassembler.ts";
import { Flags } from "./header.ts";
import { type FragmentRange } from "./nack.ts";

const STREAM = 0xabcd_0001;

/** The datagrams of frame `seq`: `fragments` data fragments of 100 bytes each. */
function frameDatagrams(seq: number, fragments: number, fec?: FecSetting): Uint8Array[] {
  const frame = new Prng(seq).bytes(fragments * 100);
  const data = fragmentFrame(frame, { streamId: STREAM, frameSeq: seq, captureUs: seq }, 130);
  equal(data.length, fragments);
  return fec ? [...data, ...fecParityDatagrams(data, fec)] : data;
}

function rangesOf(indexes: number[]): FragmentRange[] {
  const ranges: FragmentRange[] = [];
  for (const index of indexes) {
    const last = ranges.at(-1);
    if (last && last.first + last.count === index) last.count++;
    else ranges.push({ first: index, count: 1 });
  }
  return ranges;
}

/**
 * A reassembler and the tracker it feeds; `observe` pushes a datagram into the reassembler (the
 * tracker learns of it from there).
 */
function tracked(
  options: Partial<NackTrackerOptions> = {},
  reassemblerOptions: Partial<ReassemblerOptions> = {},
) {
  const reassembler = new Reassembler(reassemblerOptions);
  const tracker = new NackTracker(reassembler, options);
  const observe = (datagram: Uint8Array, nowMs: number) => reassembler.push(datagram, nowMs);
  return { reassembler, tracker, observe };
}

function retransmitted(datagram: Uint8Array): Uint8Array {
  const copy = datagram.slice();
  copy[4] |= Flags.Retransmission;
  return copy;
}

Deno.test("a hole is asked for once it outlasts the reorder wait", () => {
  const { tracker, observe } = tracked({ reorderWaitMs: 3, tailWaitMs: 3 });
  const datagrams = frameDatagrams(1, 10);
  for (const i of [0, 1, 2, 4, 5]) observe(datagrams[i], 0);
  deepStrictEqual(tracker.poll(1), [], "within the reorder wait");
  for (const i of [6]) observe(datagrams[i], 2);
  const nacks = tracker.poll(3);
  equal(nacks.length, 1);
  // Only index 3 is known lost: 7..9 may still be on their way.
  deepStrictEqual(nacks[0], {
    streamId: STREAM,
    frameSeq: 1,
    fragmentCount: 10,
    ranges: [{ first: 3, count: 1 }],
  });
  deepStrictEqual(tracker.poll(4), [], "no second request before the retry wait");
});

Deno.test("a lost tail is asked for when the frame goes quiet, or a newer frame starts", () => {
  for (const newer of [false, true]) {
    const { tracker, observe } = tracked({ reorderWaitMs: 3, tailWaitMs: 3 });
    const datagrams = frameDatagrams(5, 8);
    for (const i of [0, 1, 2, 3, 4, 5]) observe(datagrams[i], 10);
    if (newer) {
      observe(frameDatagrams(6, 8)[0], 11);
      deepStrictEqual(tracker.poll(11)[0].ranges, [{ first: 6, count: 2 }]);
    } else {
      deepStrictEqual(tracker.poll(12), []);
      deepStrictEqual(tracker.poll(13)[0].ranges, [{ first: 6, count: 2 }]);
    }
  }
});

Deno.test("requests repeat after the retry wait, at most N per frame, never past the deadline", () => {
  const { tracker, observe } = tracked({
    reorderWaitMs: 2,
    tailWaitMs: 2,
    initialRetryMs: 20,
    maxRequestsPerFrame: 3,
  }, { frameTimeoutMs: 250 });
  const datagrams = frameDatagrams(9, 4);
  observe(datagrams[0], 0);
  observe(datagrams[2], 0);
  const times: number[] = [];
  for (let now = 0; now < 400; now++) if (tracker.poll(now).length > 0) times.push(now);
  deepStrictEqual(times, [2, 22, 42]);
  equal(tracker.counters.nacksSent, 3);
  equal(tracker.framesTracked, 0, "forgotten at the deadline");
  equal(tracker.counters.framesPastDeadline, 1);

  const late = tracked({ reorderWaitMs: 2, tailWaitMs: 2 }, { frameTimeoutMs: 50 });
  late.observe(datagrams[0], 0);
  late.observe(datagrams[2], 49);
  deepStrictEqual(late.tracker.poll(50), [], "the deadline passed before the hole was old enough");
});

Deno.test("complete and superseded frames are never asked for", () => {
  const { tracker, observe } = tracked();
  const a = frameDatagrams(1, 6);
  const b = frameDatagrams(2, 6);
  observe(a[0], 0);
  observe(a[3], 0);
  observe(b[0], 0);
  observe(b[5], 0);
  equal(tracker.framesTracked, 2);
  // Frame 2 completes (its holes filled): it and the older frame 1 are done with.
  for (const i of [1, 2, 3, 4]) observe(b[i], 0);
  deepStrictEqual(tracker.poll(100), []);
  equal(tracker.framesTracked, 0);
  observe(a[1], 101);
  equal(tracker.framesTracked, 0, "datagrams of frames older than the last complete one");
});

Deno.test("with FEC only what parity cannot repair is asked for", () => {
  const setting: FecSetting = { scheme: "rs", groupData: 5, groupParity: 1, interleaved: false };
  const datagrams = frameDatagrams(3, 10, setting); // 10 data, groups {0..4} {5..9}, 2 parities
  equal(datagrams.length, 12);
  const { tracker, observe } = tracked({ reorderWaitMs: 3, tailWaitMs: 3 });
  // Group 0 loses 1 (its parity repairs it); group 1 loses 3 (parity repairs one of them).
  const lost = new Set([2, 5, 7, 9]);
  datagrams.forEach((d, i) => {
    if (!lost.has(i)) observe(d, 0);
  });
  const nacks = tracker.poll(3);
  equal(nacks.length, 1);
  deepStrictEqual(nacks[0].ranges, rangesOf([5, 7]));
});

Deno.test("with FEC holes wait for the frame's parity before being asked for", () => {
  const setting: FecSetting = { scheme: "rs", groupData: 4, groupParity: 2, interleaved: true };
  const { tracker, observe } = tracked({ reorderWaitMs: 3, tailWaitMs: 3 });
  // A first frame teaches the tracker the stream uses FEC: its parity (p0g0, p0g1) arrives while
  // the frame is incomplete, and the frame completes.
  const first = frameDatagrams(1, 8, setting);
  let complete = 0;
  for (const i of [0, 1, 2, 3, 4, 5, 6, 8, 9, 7]) if (observe(first[i], 0)) complete++;
  equal(complete, 1);
  const datagrams = frameDatagrams(2, 8, setting);
  for (const i of [0, 2]) observe(datagrams[i], 10); // 1 and 5 lost
  for (const i of [3, 4, 6, 7]) observe(datagrams[i], 14);
  deepStrictEqual(tracker.poll(15), [], "group 1 (1, 3, 5, 7) can still be repaired by parity");
  // Both parities of group 1 (slots p0g1, p1g1) are lost: 10 and 12 arrive, 11 and 13 do not.
  observe(datagrams[8], 21);
  observe(datagrams[10], 21);
  const nacks = tracker.poll(24);
  deepStrictEqual(nacks.map((n) => n.ranges), [rangesOf([1, 5])]);
});

Deno.test("other streams are ignored and a stream switch forgets everything", () => {
  const { tracker, observe } = tracked({}, { frameTimeoutMs: 1000, streamIdleMs: 500 });
  const ofStream = (streamId: number, seq: number) =>
    fragmentFrame(new Uint8Array(400), { streamId, frameSeq: seq, captureUs: seq }, 130);
  // The reassembler follows 0x1111 first.
  observe(ofStream(0x1111, 3)[0], 0);
  equal(tracker.framesTracked, 1);
  const datagrams = frameDatagrams(1, 4);
  observe(datagrams[0], 0);
  equal(tracker.framesTracked, 1, "a datagram of a stream not followed");
  equal(tracker.lastDatagramFollowed, false);
  observe(new Uint8Array([1, 2, 3]), 0);
  observe(new Uint8Array(64), 0);
  equal(tracker.framesTracked, 1);
  equal(tracker.lastDatagramFollowed, false);
  // 0x1111 silent for 600 ms: STREAM takes over, and 0x1111's frame is forgotten.
  observe(datagrams[0], 600);
  observe(datagrams[2], 601);
  equal(tracker.lastDatagramFollowed, true);
  equal(tracker.framesTracked, 1);
  const nacks = tracker.poll(700);
  equal(nacks.length, 1);
  deepStrictEqual([nacks[0].streamId, nacks[0].frameSeq], [STREAM, 1]);
  // The followed stream changes again: STREAM's frame (with its holes) is forgotten.
  const other = 0x2222;
  observe(ofStream(other, 7)[0], 1200);
  equal(tracker.framesTracked, 1);
  const after = tracker.poll(1300);
  equal(after.length, 1);
  ok(after.every((nack) => nack.streamId === other), JSON.stringify(after));
});

Deno.test("memory stays bounded: at most the reassembler's frames in flight", () => {
  const { tracker, observe } = tracked({}, { maxFramesInFlight: 4 });
  for (let seq = 1; seq <= 50; seq++) observe(frameDatagrams(seq, 3)[1], seq);
  equal(tracker.framesTracked, 4);
});

Deno.test("round trips are measured from retransmitted fragments", () => {
  const { tracker, observe } = tracked({ reorderWaitMs: 2, tailWaitMs: 2, minRetryMs: 8 });
  const datagrams = frameDatagrams(1, 4);
  observe(datagrams[0], 0);
  observe(datagrams[2], 0);
  equal(tracker.poll(2).length, 1);
  observe(retransmitted(datagrams[1]), 6);
  equal(tracker.srttMs, 4);
});

Deno.test("seeded property: with NACKs answered over a lossy path, frames complete exactly", () => {
  const prng = new Prng(42);
  const setting: FecSetting = { scheme: "rs", groupData: 20, groupParity: 3, interleaved: true };
  let complete = 0;
  const frames = 60;
  for (const fec of [false, true]) {
    const reassembler = new Reassembler({ frameTimeoutMs: 250 });
    const tracker = new NackTracker(reassembler, { reorderWaitMs: 3, tailWaitMs: 3 });
    let now = 0;
    for (let seq = 1; seq <= frames; seq++) {
      const datagrams = frameDatagrams(seq, 30, fec ? setting : undefined);
      const data = datagrams.slice(0, 30);
      const deliver = (d: Uint8Array) => {
        if (prng.next() < 0.05) return; // 5 % loss both ways, retransmissions included
        const frame = reassembler.push(d, now);
        if (frame) {
          deepStrictEqual(frame.bytes, new Prng(seq).bytes(3000));
          complete++;
        }
      };
      for (const d of datagrams) deliver(d);
      // 33 ms until the next frame: poll every ms, answer NACKs 1 ms later.
      for (let t = 0; t < 33; t++) {
        now++;
        for (const nack of tracker.poll(now)) {
          if (prng.next() < 0.05) continue;
          for (const range of nack.ranges) {
            for (let i = range.first; i < range.first + range.count; i++) {
              deliver(retransmitted(data[i]));
            }
          }
        }
      }
    }
    ok(reassembler.counters.recoveredByRetransmission.fragments > 0);
  }
  ok(complete >= 2 * frames - 1, `${complete} of ${2 * frames} frames complete`);
});

Deno.test("nextPollMs: when the tail, a hole, a retry or the deadline falls due", () => {
  const { tracker, observe } = tracked({
    reorderWaitMs: 3,
    tailWaitMs: 8,
    initialRetryMs: 30,
  }, { frameTimeoutMs: 250 });
  equal(tracker.nextPollMs(), null, "nothing tracked");
  const datagrams = frameDatagrams(1, 10);
  observe(datagrams[0], 100);
  equal(tracker.nextPollMs(), 108, "quiet for the tail wait after the last datagram");
  observe(datagrams[1], 102);
  equal(tracker.nextPollMs(), 110, "each datagram moves the tail check");
  observe(datagrams[3], 103);
  equal(tracker.nextPollMs(), 106, "a hole at 103 is due after the reorder wait");
  equal(tracker.poll(105.9).length, 0, "not due yet");
  equal(tracker.poll(106).length, 1, "due when nextPollMs said");
  equal(tracker.nextPollMs(), 136, "then the retry wait after the request");
  const second = frameDatagrams(2, 10);
  observe(second[0], 107);
  equal(tracker.nextPollMs(), 115, "frame 2's tail check comes before frame 1's retry");
  for (const datagram of second.slice(1)) observe(datagram, 107);
  equal(tracker.nextPollMs(), null, "completing a frame forgets it and every older one");
});

Deno.test("seeded property: poll never has a request before nextPollMs", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const prng = new Prng(seed);
    const reassembler = new Reassembler({ frameTimeoutMs: 100 });
    const tracker = new NackTracker(reassembler, { reorderWaitMs: 3, tailWaitMs: 5 });
    let now = 0;
    let requests = 0;
    for (let seq = 1; seq <= 30; seq++) {
      for (const d of frameDatagrams(seq, 20)) {
        if (prng.next() < 0.1) continue;
        // Datagrams of a frame arrive spread over a few ms, sometimes with a pause.
        now += prng.next() < 0.2 ? 2 : 0.1;
        reassembler.push(d, now);
        equal(tracker.nextPollMs() === null, tracker.framesTracked === 0, `seed ${seed}`);
      }
      for (let t = 0; t < 40; t++) {
        now += 0.5;
        const nextMs = tracker.nextPollMs();
        const nacks = tracker.poll(now);
        requests += nacks.length;
        if (nacks.length > 0) {
          ok(nextMs !== null && nextMs <= now, `seed ${seed}: request at ${now}, next ${nextMs}`);
        }
      }
    }
    ok(requests > 0, `seed ${seed}: the scenario made no request`);
  }
});

Deno.test("the tracker never asks for a frame the reassembler no longer holds", () => {
  // Room for 2 frames: frame 1 (with a hole) is evicted when frame 3 opens.
  const { reassembler, tracker, observe } = tracked(
    { reorderWaitMs: 3, tailWaitMs: 3 },
    { maxFramesInFlight: 2 },
  );
  for (const seq of [1, 2, 3]) {
    const datagrams = frameDatagrams(seq, 6);
    for (const i of [0, 1, 3, 4, 5]) observe(datagrams[i], seq); // fragment 2 lost
  }
  equal(reassembler.counters.frameDrops.evicted, 1);
  const nacks = tracker.poll(10);
  deepStrictEqual(nacks.map((nack) => nack.frameSeq), [2, 3]);
  for (const nack of nacks) deepStrictEqual(nack.ranges, [{ first: 2, count: 1 }]);
});

Deno.test("seeded property: every NACK names a frame the reassembler holds, with holes it has", () => {
  let nacksSeen = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const prng = new Prng(500 + seed);
    const { reassembler, tracker, observe } = tracked(
      { reorderWaitMs: 2, tailWaitMs: 4 },
      { maxFramesInFlight: prng.int(1, 4), maxBytesInFlight: prng.int(2_000, 20_000) },
    );
    const setting: FecSetting = { scheme: "rs", groupData: 4, groupParity: 1, interleaved: true };
    let now = 0;
    for (let seq = 1; seq <= 40; seq++) {
      const datagrams = frameDatagrams(seq, prng.int(1, 30), seed % 2 ? setting : undefined);
      for (const d of prng.shuffle(datagrams)) {
        if (prng.next() < 0.15) continue;
        now += prng.next() < 0.1 ? 3 : 0.2;
        observe(d, now);
      }
      for (let t = 0; t < 10; t++) {
        now += prng.next() * 4;
        const nacks = tracker.poll(now);
        const held = new Map([...reassembler.frames()].map((frame) => [frame.id, frame.state]));
        ok(tracker.framesTracked <= reassembler.framesInFlight, `seed ${seed}: tracked`);
        for (const nack of nacks) {
          nacksSeen++;
          const frame = held.get(nack.frameSeq);
          ok(frame !== undefined, `seed ${seed}: NACK for frame ${nack.frameSeq}, not held`);
          for (const range of nack.ranges) {
            for (let i = range.first; i < range.first + range.count; i++) {
              equal(frame.received[i], 0, `seed ${seed}: frame ${nack.frameSeq} holds ${i}`);
            }
          }
        }
      }
    }
  }
  ok(nacksSeen > 100, `only ${nacksSeen} NACKs: the scenario asks too little to mean anything`);
});
