import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { FecSetting } from "../../fec/mod.ts";
import { fecParityDatagrams } from "./parity.ts";
import { fragmentFrame } from "./packetizer.ts";
import { NackTracker } from "./nack_tracker.ts";
import { Prng } from "../../netsim/mod.ts";
import { Reassembler } from "./reassembler.ts";
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

function retransmitted(datagram: Uint8Array): Uint8Array {
  const copy = datagram.slice();
  copy[4] |= Flags.Retransmission;
  return copy;
}

Deno.test("a hole is asked for once it outlasts the reorder wait", () => {
  const tracker = new NackTracker({ reorderWaitMs: 3, tailWaitMs: 3 });
  const datagrams = frameDatagrams(1, 10);
  for (const i of [0, 1, 2, 4, 5]) tracker.observe(datagrams[i], 0, STREAM);
  deepStrictEqual(tracker.poll(1), [], "within the reorder wait");
  for (const i of [6]) tracker.observe(datagrams[i], 2, STREAM);
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
    const tracker = new NackTracker({ reorderWaitMs: 3, tailWaitMs: 3 });
    const datagrams = frameDatagrams(5, 8);
    for (const i of [0, 1, 2, 3, 4, 5]) tracker.observe(datagrams[i], 10, STREAM);
    if (newer) {
      tracker.observe(frameDatagrams(6, 8)[0], 11, STREAM);
      deepStrictEqual(tracker.poll(11)[0].ranges, [{ first: 6, count: 2 }]);
    } else {
      deepStrictEqual(tracker.poll(12), []);
      deepStrictEqual(tracker.poll(13)[0].ranges, [{ first: 6, count: 2 }]);
    }
  }
});

Deno.test("requests repeat after the retry wait, at most N per frame, never past the deadline", () => {
  const tracker = new NackTracker({
    reorderWaitMs: 2,
    tailWaitMs: 2,
    initialRetryMs: 20,
    maxRequestsPerFrame: 3,
    frameTimeoutMs: 250,
  });
  const datagrams = frameDatagrams(9, 4);
  tracker.observe(datagrams[0], 0, STREAM);
  tracker.observe(datagrams[2], 0, STREAM);
  const times: number[] = [];
  for (let now = 0; now < 400; now++) if (tracker.poll(now).length > 0) times.push(now);
  deepStrictEqual(times, [2, 22, 42]);
  equal(tracker.counters.nacksSent, 3);
  equal(tracker.framesTracked, 0, "forgotten at the deadline");
  equal(tracker.counters.framesPastDeadline, 1);

  const late = new NackTracker({ reorderWaitMs: 2, tailWaitMs: 2, frameTimeoutMs: 50 });
  late.observe(datagrams[0], 0, STREAM);
  late.observe(datagrams[2], 49, STREAM);
  deepStrictEqual(late.poll(50), [], "the deadline passed before the hole was old enough");
});

Deno.test("complete and superseded frames are never asked for", () => {
  const tracker = new NackTracker();
  const a = frameDatagrams(1, 6);
  const b = frameDatagrams(2, 6);
  tracker.observe(a[0], 0, STREAM);
  tracker.observe(a[3], 0, STREAM);
  tracker.observe(b[0], 0, STREAM);
  tracker.observe(b[5], 0, STREAM);
  tracker.completed(STREAM, 2);
  deepStrictEqual(tracker.poll(100), []);
  equal(tracker.framesTracked, 0);
  tracker.observe(a[1], 101, STREAM);
  equal(tracker.framesTracked, 0, "datagrams of frames older than the last complete one");
});

Deno.test("with FEC only what parity cannot repair is asked for", () => {
  const setting: FecSetting = { scheme: "rs", groupData: 5, groupParity: 1, interleaved: false };
  const datagrams = frameDatagrams(3, 10, setting); // 10 data, groups {0..4} {5..9}, 2 parities
  equal(datagrams.length, 12);
  const tracker = new NackTracker({ reorderWaitMs: 3, tailWaitMs: 3 });
  // Group 0 loses 1 (its parity repairs it); group 1 loses 3 (parity repairs one of them).
  const lost = new Set([2, 5, 7, 9]);
  datagrams.forEach((d, i) => {
    if (!lost.has(i)) tracker.observe(d, 0, STREAM);
  });
  const nacks = tracker.poll(3);
  equal(nacks.length, 1);
  deepStrictEqual(nacks[0].ranges, rangesOf([5, 7]));
});

Deno.test("with FEC holes wait for the frame's parity before being asked for", () => {
  const setting: FecSetting = { scheme: "rs", groupData: 4, groupParity: 2, interleaved: true };
  const tracker = new NackTracker({ reorderWaitMs: 3, tailWaitMs: 3 });
  // A first frame teaches the tracker the stream uses FEC.
  for (const d of frameDatagrams(1, 8, setting).slice(0, 10)) tracker.observe(d, 0, STREAM);
  tracker.completed(STREAM, 1);
  const datagrams = frameDatagrams(2, 8, setting);
  for (const i of [0, 2]) tracker.observe(datagrams[i], 10, STREAM); // 1 and 5 lost
  for (const i of [3, 4, 6, 7]) tracker.observe(datagrams[i], 14, STREAM);
  deepStrictEqual(tracker.poll(15), [], "group 1 (1, 3, 5, 7) can still be repaired by parity");
  // Both parities of group 1 (slots p0g1, p1g1) are lost: 10 and 12 arrive, 11 and 13 do not.
  tracker.observe(datagrams[8], 21, STREAM);
  tracker.observe(datagrams[10], 21, STREAM);
  const nacks = tracker.poll(24);
  deepStrictEqual(nacks.map((n) => n.ranges), [rangesOf([1, 5])]);
});

Deno.test("other streams are ignored and a stream switch forgets everything", () => {
  const tracker = new NackTracker();
  const datagrams = frameDatagrams(1, 4);
  tracker.observe(datagrams[0], 0, 0x1111);
  equal(tracker.framesTracked, 0);
  tracker.observe(datagrams[0], 0, STREAM);
  equal(tracker.framesTracked, 1);
  tracker.observe(new Uint8Array([1, 2, 3]), 0, STREAM);
  tracker.observe(new Uint8Array(64), 0, STREAM);
  equal(tracker.framesTracked, 1);
  // The followed stream changes: the old stream's frame (with its hole) is forgotten.
  tracker.observe(datagrams[2], 1, STREAM);
  const other = 0x2222;
  const next = fragmentFrame(
    new Uint8Array(400),
    { streamId: other, frameSeq: 7, captureUs: 7 },
    130,
  );
  tracker.observe(next[0], 2, other);
  equal(tracker.framesTracked, 1);
  const nacks = tracker.poll(1000);
  ok(nacks.every((nack) => nack.streamId === other), JSON.stringify(nacks));
});

Deno.test("memory stays bounded: at most maxFrames frames", () => {
  const tracker = new NackTracker({ maxFrames: 4 });
  for (let seq = 1; seq <= 50; seq++) tracker.observe(frameDatagrams(seq, 3)[1], seq, STREAM);
  equal(tracker.framesTracked, 4);
});

Deno.test("round trips are measured from retransmitted fragments", () => {
  const tracker = new NackTracker({ reorderWaitMs: 2, tailWaitMs: 2, minRetryMs: 8 });
  const datagrams = frameDatagrams(1, 4);
  tracker.observe(datagrams[0], 0, STREAM);
  tracker.observe(datagrams[2], 0, STREAM);
  equal(tracker.poll(2).length, 1);
  tracker.observe(retransmitted(datagrams[1]), 6, STREAM);
  equal(tracker.srttMs, 4);
});

Deno.test("seeded property: with NACKs answered over a lossy path, frames complete exactly", () => {
  const prng = new Prng(42);
  const setting: FecSetting = { scheme: "rs", groupData: 20, groupParity: 3, interleaved: true };
  let complete = 0;
  const frames = 60;
  for (const fec of [false, true]) {
    const reassembler = new Reassembler({ frameTimeoutMs: 250 });
    const tracker = new NackTracker({ reorderWaitMs: 3, tailWaitMs: 3, frameTimeoutMs: 250 });
    let now = 0;
    for (let seq = 1; seq <= frames; seq++) {
      const datagrams = frameDatagrams(seq, 30, fec ? setting : undefined);
      const data = datagrams.slice(0, 30);
      const deliver = (d: Uint8Array) => {
        if (prng.next() < 0.05) return; // 5 % loss both ways, retransmissions included
        const frame = reassembler.push(d, now);
        tracker.observe(d, now, reassembler.streamId);
        if (frame) {
          tracker.completed(frame.streamId, frame.frameSeq);
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
  const tracker = new NackTracker({
    reorderWaitMs: 3,
    tailWaitMs: 8,
    initialRetryMs: 30,
    frameTimeoutMs: 250,
  });
  equal(tracker.nextPollMs(), null, "nothing tracked");
  const datagrams = frameDatagrams(1, 10);
  tracker.observe(datagrams[0], 100, STREAM);
  equal(tracker.nextPollMs(), 108, "quiet for the tail wait after the last datagram");
  tracker.observe(datagrams[1], 102, STREAM);
  equal(tracker.nextPollMs(), 110, "each datagram moves the tail check");
  tracker.observe(datagrams[3], 103, STREAM);
  equal(tracker.nextPollMs(), 106, "a hole at 103 is due after the reorder wait");
  equal(tracker.poll(105.9).length, 0, "not due yet");
  equal(tracker.poll(106).length, 1, "due when nextPollMs said");
  equal(tracker.nextPollMs(), 136, "then the retry wait after the request");
  tracker.observe(frameDatagrams(2, 10)[0], 107, STREAM);
  equal(tracker.nextPollMs(), 115, "frame 2's tail check comes before frame 1's retry");
  tracker.completed(STREAM, 2);
  equal(tracker.nextPollMs(), null, "completing a frame forgets it and every older one");
});

Deno.test("seeded property: poll never has a request before nextPollMs", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const prng = new Prng(seed);
    const reassembler = new Reassembler({ frameTimeoutMs: 250 });
    const tracker = new NackTracker({ reorderWaitMs: 3, tailWaitMs: 5, frameTimeoutMs: 100 });
    let now = 0;
    let requests = 0;
    for (let seq = 1; seq <= 30; seq++) {
      for (const d of frameDatagrams(seq, 20)) {
        if (prng.next() < 0.1) continue;
        // Datagrams of a frame arrive spread over a few ms, sometimes with a pause.
        now += prng.next() < 0.2 ? 2 : 0.1;
        const frame = reassembler.push(d, now);
        tracker.observe(d, now, reassembler.streamId);
        if (frame) tracker.completed(frame.streamId, frame.frameSeq);
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
