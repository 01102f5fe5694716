import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { fragmentFrame } from "./packetizer.ts";
import { Prng } from "../../netsim/mod.ts";
import { RetransmitHistory } from "./retransmit_history.ts";
import { encodeNack, type FragmentRange, type Nack } from "./nack.ts";
import { Flags } from "./header.ts";

const STREAM = 0x0bad_cafe;

function frame(seq: number, fragments = 10, streamId = STREAM): Uint8Array[] {
  const bytes = new Prng(seq).bytes(fragments * 1000);
  return fragmentFrame(bytes, { streamId, frameSeq: seq, captureUs: seq }, 1030);
}

function nack(seq: number, ranges: FragmentRange[], extra: Partial<Nack> = {}): Uint8Array {
  return encodeNack({ streamId: STREAM, frameSeq: seq, fragmentCount: 10, ranges, ...extra });
}

Deno.test("a valid NACK gets the requested fragments back, flagged as retransmissions", () => {
  const history = new RetransmitHistory(STREAM, { rateShare: 1 });
  const sent = frame(7);
  history.record(sent, 0);
  const out = history.answer(nack(7, [{ first: 2, count: 2 }, { first: 9, count: 1 }]), 5);
  equal(out.length, 3);
  [2, 3, 9].forEach((index, k) => {
    equal(out[k][4], Flags.Retransmission);
    deepStrictEqual(out[k].subarray(5), sent[index].subarray(5));
    deepStrictEqual(out[k].subarray(0, 4), sent[index].subarray(0, 4));
  });
  equal(sent[2][4], 0, "the history's copy is untouched");
  deepStrictEqual(history.counters, {
    nacksReceived: 1,
    nacksInvalid: 0,
    datagramsRetransmitted: 3,
    bytesRetransmitted: out.reduce((sum, d) => sum + d.length, 0),
    retransmitCapped: 0,
  });
});

Deno.test("invalid NACKs are refused and counted", () => {
  const history = new RetransmitHistory(STREAM, { rateShare: 1 });
  history.record(frame(7), 0);
  const cases: [string, Uint8Array][] = [
    ["another stream", nack(7, [{ first: 0, count: 1 }], { streamId: 1 })],
    ["a frame never sent", nack(8, [{ first: 0, count: 1 }])],
    ["a wrong fragment count", nack(7, [{ first: 0, count: 1 }], { fragmentCount: 11 })],
    ["garbage", new Uint8Array([0x55, 0x43, 1, 2, 0, 9])],
    ["a fragment", frame(7)[0]],
  ];
  for (const [name, datagram] of cases) deepStrictEqual(history.answer(datagram, 1), [], name);
  equal(history.counters.nacksInvalid, cases.length);
  equal(history.counters.datagramsRetransmitted, 0);
});

Deno.test("frames leave the history by age and by bytes", () => {
  const history = new RetransmitHistory(STREAM, { maxAgeMs: 300, maxBytes: 35_000 });
  history.record(frame(1), 0);
  history.record(frame(2), 100);
  history.record(frame(3), 200);
  equal(history.framesHeld, 3);
  history.record(frame(4), 250); // 4 × 10.3 KB > 35 KB: frame 1 goes
  equal(history.framesHeld, 3);
  ok(history.bytesHeld <= 35_000);
  deepStrictEqual(history.answer(nack(1, [{ first: 0, count: 1 }]), 260), []);
  deepStrictEqual(history.answer(nack(2, [{ first: 0, count: 1 }]), 401), [], "older than 300 ms");
  equal(history.counters.nacksInvalid, 2);
  equal(history.answer(nack(3, [{ first: 0, count: 1 }]), 401).length, 1);
});

Deno.test("each frame is answered at most maxRequestsPerFrame times", () => {
  const history = new RetransmitHistory(STREAM, { rateShare: 1, maxRequestsPerFrame: 2 });
  history.record(frame(1), 0);
  const request = nack(1, [{ first: 0, count: 2 }]);
  equal(history.answer(request, 1).length, 2);
  equal(history.answer(request, 2).length, 2);
  equal(history.answer(request, 3).length, 0);
  equal(history.counters.retransmitCapped, 2);
});

Deno.test("seeded flood: retransmitted bytes never exceed the share of the stream's bytes", () => {
  const prng = new Prng(7);
  const share = 0.5;
  const burstBytes = 64 * 1024;
  const history = new RetransmitHistory(STREAM, { rateShare: share, burstBytes });
  let streamBytes = 0;
  for (let seq = 1; seq <= 300; seq++) {
    const datagrams = frame(seq);
    streamBytes += datagrams.reduce((sum, d) => sum + d.length, 0);
    history.record(datagrams, seq * 33);
    // A flood: 50 NACKs per frame for everything of recent frames, forged or not.
    for (let i = 0; i < 50; i++) {
      const target = seq - prng.int(0, 5);
      history.answer(
        nack(target, [{ first: 0, count: 10 }], i % 7 === 0 ? { streamId: prng.int(0, 1e9) } : {}),
        seq * 33,
      );
    }
    ok(
      history.counters.bytesRetransmitted <= share * streamBytes + burstBytes,
      `frame ${seq}: ${history.counters.bytesRetransmitted} retransmitted for ${streamBytes}`,
    );
  }
  ok(history.counters.retransmitCapped > 0);
  ok(history.counters.nacksInvalid > 0);
});

Deno.test("each requester has its own bucket and per-frame quota (issue #19 finding 5)", () => {
  // Requester 0 floods every fragment of every frame; requester 1 asks for one fragment a frame.
  const history = new RetransmitHistory(STREAM, {
    rateShare: 0.5,
    burstBytes: 64 * 1024,
    maxRequestsPerFrame: 4,
    requesters: 2,
  });
  let answeredForOne = 0;
  for (let seq = 1; seq <= 100; seq++) {
    history.record(frame(seq), seq * 33);
    for (let i = 0; i < 20; i++) history.answer(nack(seq, [{ first: 0, count: 10 }]), seq * 33, 0);
    answeredForOne += history.answer(nack(seq, [{ first: seq % 10, count: 1 }]), seq * 33, 1)
      .length;
  }
  equal(answeredForOne, 100, "the flood of requester 0 spent requester 1's budget");
  ok(history.counters.retransmitCapped > 0, "requester 0 was never capped");
});

Deno.test("a NACK from an unknown requester is refused and counted", () => {
  const history = new RetransmitHistory(STREAM, { rateShare: 1, requesters: 2 });
  history.record(frame(1), 0);
  for (const requester of [-1, 2, 1.5]) {
    deepStrictEqual(history.answer(nack(1, [{ first: 0, count: 1 }]), 1, requester), []);
  }
  equal(history.counters.nacksInvalid, 3);
  equal(history.answer(nack(1, [{ first: 0, count: 1 }]), 1, 1).length, 1);
});
