import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { fragmentFrame } from "./packetizer.ts";
import { type CompleteFrame, PLAUSIBLE_SHARE, Reassembler } from "./reassembler.ts";
import { PIECE_BOOKKEEPING_BYTES, seqIsNewer } from "../frames/mod.ts";
import { type FecSetting, groupMembers } from "../../fec/mod.ts";
import { fecParityDatagrams } from "./parity.ts";
import { Prng } from "../../netsim/mod.ts";
import { encodeHeader, Flags, HEADER_BYTES, PacketType } from "./header.ts";

const STREAM = 0x1234_5678;

function frameOf(seq: number, bytes: number, prng = new Prng(seq)): Uint8Array {
  return prng.bytes(bytes);
}

function datagramsOf(seq: number, frame: Uint8Array, streamId = STREAM, maxDatagram = 600) {
  return fragmentFrame(frame, { streamId, frameSeq: seq, captureUs: seq * 1000 }, maxDatagram);
}

function pushAll(r: Reassembler, datagrams: Uint8Array[], nowMs = 0): CompleteFrame[] {
  const out: CompleteFrame[] = [];
  for (const d of datagrams) {
    const frame = r.push(d, nowMs);
    if (frame) out.push(frame);
  }
  return out;
}

Deno.test("seqIsNewer uses serial arithmetic across the wrap", () => {
  const table: [number, number, boolean][] = [
    [1, 0, true],
    [0, 1, false],
    [5, 5, false],
    [0, 0xffff_ffff, true], // wrapped
    [0xffff_ffff, 0, false],
    [0x7fff_ffff, 0, true],
    [0x8000_0000, 0, false], // exactly half way counts as older
  ];
  for (const [a, b, expected] of table) equal(seqIsNewer(a, b), expected, `${a} vs ${b}`);
});

Deno.test("in order, out of order and duplicated fragments rebuild the exact frame", () => {
  const frame = frameOf(1, 5000);
  const datagrams = datagramsOf(1, frame);
  const orders = [datagrams, [...datagrams].reverse(), [...datagrams, ...datagrams]];
  for (const order of orders) {
    const r = new Reassembler();
    const out = pushAll(r, order);
    equal(out.length, 1);
    deepStrictEqual(out[0].bytes, frame);
    equal(out[0].captureUs, 1000);
    equal(r.framesInFlight, 0);
    equal(r.bytesInFlight, 0);
  }
});

Deno.test("duplicates are counted, a lost fragment means no frame", () => {
  const datagrams = datagramsOf(1, frameOf(1, 5000));
  const r = new Reassembler();
  equal(pushAll(r, [datagrams[0], datagrams[0], ...datagrams.slice(2)]).length, 0);
  equal(r.counters.datagramDrops.duplicate, 1);
  equal(r.framesInFlight, 1);
});

Deno.test("a newer complete frame supersedes an older incomplete one", () => {
  const r = new Reassembler();
  const old = datagramsOf(1, frameOf(1, 3000));
  const newer = datagramsOf(2, frameOf(2, 3000));
  pushAll(r, old.slice(1));
  equal(pushAll(r, newer).length, 1);
  equal(r.counters.frameDrops.superseded, 1);
  // The missing piece of the old frame arrives too late: never emitted.
  equal(r.push(old[0], 1), null);
  equal(r.counters.datagramDrops.stale, 1);
});

Deno.test("an incomplete frame expires after the timeout", () => {
  const r = new Reassembler({ frameTimeoutMs: 100 });
  const datagrams = datagramsOf(1, frameOf(1, 3000));
  pushAll(r, datagrams.slice(1), 0);
  r.expire(99);
  equal(r.framesInFlight, 1);
  r.expire(100);
  equal(r.framesInFlight, 0);
  equal(r.counters.frameDrops.expired, 1);
  equal(r.bytesInFlight, 0);
});

Deno.test("frame sequence wraps from 2^32-1 to 0", () => {
  const r = new Reassembler();
  const seqs = [0xffff_fffe, 0xffff_ffff, 0, 1];
  const got = seqs.flatMap((seq) => pushAll(r, datagramsOf(seq, frameOf(seq, 1500))));
  deepStrictEqual(got.map((f) => f.frameSeq), seqs);
  // After the wrap, 0xffffffff is older than 1.
  equal(pushAll(r, datagramsOf(0xffff_ffff, frameOf(9, 1500))).length, 0);
});

Deno.test("a second stream is ignored until the first goes silent", () => {
  const r = new Reassembler({ streamIdleMs: 500 });
  equal(pushAll(r, datagramsOf(1, frameOf(1, 1000)), 0).length, 1);
  equal(pushAll(r, datagramsOf(1, frameOf(1, 1000), 0xbeef), 100).length, 0);
  ok(r.counters.datagramDrops.otherStream > 0);
  // The first stream is silent for 500 ms: the new one takes over, from any sequence number.
  const taken = pushAll(r, datagramsOf(0, frameOf(0, 1000), 0xbeef), 600);
  equal(taken.length, 1);
  equal(taken[0].streamId, 0xbeef);
  equal(r.counters.streamSwitches, 1);
});

Deno.test("fragments disagreeing with their frame are dropped as inconsistent", () => {
  const r = new Reassembler();
  const a = datagramsOf(1, frameOf(1, 3000));
  const b = datagramsOf(1, frameOf(1, 4000)); // same seq, other length
  r.push(a[0], 0);
  r.push(b[1], 0);
  equal(r.counters.datagramDrops.inconsistent, 1);
  equal(pushAll(r, a.slice(1)).length, 1);
});

Deno.test("caps: frame size, frames in flight, bytes in flight", () => {
  const r = new Reassembler({ maxFrameBytes: 4000, maxFramesInFlight: 3, maxBytesInFlight: 8000 });
  r.push(datagramsOf(1, frameOf(1, 4001))[0], 0);
  equal(r.counters.datagramDrops.tooLarge, 1);
  for (let seq = 10; seq < 20; seq++) {
    r.push(datagramsOf(seq, frameOf(seq, 2500))[0], 0);
    ok(r.framesInFlight <= 3);
    ok(r.bytesInFlight <= 8000);
  }
  ok(r.counters.frameDrops.evicted >= 7);
  // Evicting keeps the newest: an older frame cannot push out newer ones.
  r.push(datagramsOf(5, frameOf(5, 100))[0], 0);
  equal(r.counters.datagramDrops.stale, 1);
});

Deno.test("property: shuffled, dropped and duplicated traffic never yields a wrong frame", () => {
  for (let seed = 1; seed <= 200; seed++) {
    const prng = new Prng(seed);
    const maxDatagram = prng.int(576, 4000);
    const lossRate = [0, 0.01, 0.1, 0.5][seed % 4];
    const frames = new Map<number, Uint8Array>();
    const complete = new Set<number>();
    const traffic: Uint8Array[] = [];
    const startSeq = prng.int(0, 1) === 0 ? 0xffff_fff0 : prng.int(0, 1000);
    for (let i = 0; i < 20; i++) {
      const seq = (startSeq + i) >>> 0;
      const frame = prng.bytes(prng.int(1, 20_000));
      frames.set(seq, frame);
      const sent: Uint8Array[] = [];
      let lost = false;
      for (const d of datagramsOf(seq, frame, STREAM, maxDatagram)) {
        if (prng.next() < lossRate) {
          lost = true;
          continue;
        }
        sent.push(d);
        if (prng.next() < 0.05) sent.push(d);
      }
      if (!lost) complete.add(seq);
      // Reorder within a frame and a little across neighbours.
      traffic.push(...prng.shuffle(sent));
    }
    for (let i = 0; i + 1 < traffic.length; i++) {
      if (prng.next() < 0.05) [traffic[i], traffic[i + 1]] = [traffic[i + 1], traffic[i]];
    }
    const r = new Reassembler({ maxFramesInFlight: 4, maxBytesInFlight: 60_000 });
    let last: number | null = null;
    traffic.forEach((datagram, i) => {
      const out = r.push(datagram, i * 0.1);
      ok(r.framesInFlight <= 4 && r.bytesInFlight <= 60_000, `seed ${seed}: caps exceeded`);
      if (!out) return;
      ok(complete.has(out.frameSeq), `seed ${seed}: frame ${out.frameSeq} emitted incomplete`);
      deepStrictEqual(out.bytes, frames.get(out.frameSeq), `seed ${seed}: bytes differ`);
      ok(last === null || seqIsNewer(out.frameSeq, last), `seed ${seed}: older frame emitted`);
      last = out.frameSeq;
    });
    if (lossRate === 0) equal(r.counters.framesComplete >= 18, true, `seed ${seed}`);
  }
});

Deno.test("fuzz: random and bit-flipped datagrams never throw and never exceed caps", () => {
  const prng = new Prng(99);
  const r = new Reassembler({ maxFramesInFlight: 4, maxBytesInFlight: 1 << 20 });
  const valid = datagramsOf(1, frameOf(1, 30_000));
  for (let i = 0; i < 20_000; i++) {
    let datagram: Uint8Array;
    if (i % 3 === 0) datagram = prng.bytes(prng.int(0, 1500));
    else {
      datagram = valid[prng.int(0, valid.length - 1)].slice();
      for (let flips = prng.int(1, 4); flips > 0; flips--) {
        datagram[prng.int(0, Math.min(40, datagram.length - 1))] ^= 1 << prng.int(0, 7);
      }
    }
    const out = r.push(datagram, i);
    ok(r.framesInFlight <= 4 && r.bytesInFlight <= 1 << 20);
    if (out) ok(out.bytes.length <= 1 << 20, "an emitted frame exceeds the byte cap");
  }
});

const RS_4_2: FecSetting = { scheme: "rs", groupData: 4, groupParity: 2, interleaved: true };
const XOR_5: FecSetting = { scheme: "xor", groupData: 5, groupParity: 1, interleaved: false };

Deno.test("fec: one lost fragment per XOR group is rebuilt, data or parity arriving last", () => {
  const frame = frameOf(3, 10_000);
  const data = datagramsOf(3, frame); // 18 fragments, 4 groups of up to 5
  const parity = fecParityDatagrams(data, XOR_5);
  equal(parity.length, 4);
  const lost = new Set([0, 7, 14, 17]); // one per group, the short last fragment among them
  const kept = data.filter((_, i) => !lost.has(i));
  for (const order of [[...kept, ...parity], [...parity, ...kept]]) {
    const r = new Reassembler();
    const out = pushAll(r, order);
    equal(out.length, 1);
    deepStrictEqual(out[0].bytes, frame);
    deepStrictEqual(r.counters.recoveredByFec, { fragments: 4, frames: 1 });
    equal(r.counters.parityReceived, 4);
    equal(r.bytesInFlight, 0);
  }
});

Deno.test("fec: parity on a clean link is counted unneeded, not stale", () => {
  const data = datagramsOf(1, frameOf(1, 5000));
  const r = new Reassembler();
  equal(pushAll(r, [...data, ...fecParityDatagrams(data, RS_4_2)]).length, 1);
  equal(r.counters.datagramDrops.parityUnneeded, 6);
  equal(r.counters.datagramDrops.stale, 0);
  deepStrictEqual(r.counters.recoveredByFec, { fragments: 0, frames: 0 });
});

Deno.test("fec: parity of an unknown scheme is ignored and counted", () => {
  const data = datagramsOf(1, frameOf(1, 5000));
  const parity = fecParityDatagrams(data, RS_4_2).map((d) => {
    const copy = d.slice();
    copy[5] = 0x7f;
    return copy;
  });
  const r = new Reassembler();
  equal(pushAll(r, [...parity, ...data.slice(1)]).length, 0);
  equal(r.counters.datagramDrops.unknownFecScheme, parity.length);
  equal(r.counters.parityReceived, parity.length);
  equal(r.push(data[0], 0)?.bytes.length, 5000);
});

Deno.test("fec: parity counts against the byte cap and is freed with its frame", () => {
  const r = new Reassembler({ maxBytesInFlight: 7000 });
  const data = datagramsOf(1, frameOf(1, 5000));
  const parity = fecParityDatagrams(data, RS_4_2);
  // Fragments 0 and 3 share interleaved group 0: one parity is stored but cannot repair yet.
  pushAll(r, [...data.filter((_, i) => i !== 0 && i !== 3), parity[0]]);
  ok(r.bytesInFlight > 5000 && r.bytesInFlight <= 7000);
  r.expire(1000);
  equal(r.bytesInFlight, 0);
  // A frame with a lot of parity: shards past the cap are refused, the cap holds.
  const big = datagramsOf(2, frameOf(2, 6000));
  pushAll(r, [...big.slice(8), ...fecParityDatagrams(big, RS_4_2)], 2000);
  ok(r.bytesInFlight <= 7000);
  ok(r.counters.datagramDrops.tooLarge > 0);
});

Deno.test("property: with FEC, repairable loss always yields every frame, byte-identical", () => {
  const settings: FecSetting[] = [
    XOR_5,
    { ...XOR_5, interleaved: true },
    RS_4_2,
    { scheme: "rs", groupData: 10, groupParity: 3, interleaved: false },
    { scheme: "rs", groupData: 20, groupParity: 4, interleaved: true },
  ];
  for (let seed = 1; seed <= 100; seed++) {
    const prng = new Prng(seed);
    const setting = settings[seed % settings.length];
    const maxDatagram = prng.int(576, 2000);
    const r = new Reassembler({ maxFramesInFlight: 4, maxBytesInFlight: 200_000 });
    const startSeq = prng.int(0, 1) === 0 ? 0xffff_fff8 : prng.int(0, 1000);
    for (let i = 0; i < 12; i++) {
      const seq = (startSeq + i) >>> 0;
      const frame = prng.bytes(prng.int(1, 30_000));
      const data = datagramsOf(seq, frame, STREAM, maxDatagram);
      const parity = fecParityDatagrams(data, setting);
      // Per group, lose up to M of its data and parity datagrams, chosen at random.
      const groups = Math.ceil(data.length / setting.groupData);
      const sent: Uint8Array[] = [];
      for (let group = 0; group < groups; group++) {
        const members = groupMembers(data.length, setting.groupData, setting.interleaved!, group);
        const mine = [
          ...members.map((index) => data[index]),
          ...parity.filter((_, slot) => slot % groups === group),
        ];
        const losses = prng.int(0, setting.groupParity);
        sent.push(...prng.shuffle(mine).slice(losses));
      }
      if (prng.next() < 0.3) sent.push(sent[prng.int(0, sent.length - 1)]);
      let out: CompleteFrame | null = null;
      for (const datagram of prng.shuffle(sent)) out = r.push(datagram, i) ?? out;
      ok(out !== null, `seed ${seed}: frame ${i} not rebuilt (${setting.scheme})`);
      deepStrictEqual(out.bytes, frame, `seed ${seed}: frame ${i} differs`);
      equal(out.frameSeq, seq);
    }
    equal(r.counters.framesComplete, 12, `seed ${seed}`);
    ok(r.bytesInFlight === 0 || r.framesInFlight > 0, `seed ${seed}: parity bytes leaked`);
  }
});

Deno.test("property: with FEC and heavy loss, reordering and duplicates, never a wrong frame", () => {
  for (let seed = 1; seed <= 100; seed++) {
    const prng = new Prng(1000 + seed);
    const setting: FecSetting = seed % 2 === 0 ? RS_4_2 : XOR_5;
    const lossRate = [0.05, 0.2, 0.5][seed % 3];
    const frames = new Map<number, Uint8Array>();
    const traffic: Uint8Array[] = [];
    for (let seq = 0; seq < 15; seq++) {
      const frame = prng.bytes(prng.int(1, 20_000));
      frames.set(seq, frame);
      const data = datagramsOf(seq, frame, STREAM, prng.int(576, 2000));
      for (const d of [...data, ...fecParityDatagrams(data, setting)]) {
        if (prng.next() >= lossRate) traffic.push(d);
        if (prng.next() < 0.05) traffic.push(d);
      }
    }
    for (let i = 0; i + 3 < traffic.length; i++) {
      if (prng.next() < 0.1) [traffic[i], traffic[i + 3]] = [traffic[i + 3], traffic[i]];
    }
    const r = new Reassembler({ maxFramesInFlight: 3, maxBytesInFlight: 50_000 });
    let last: number | null = null;
    traffic.forEach((datagram, i) => {
      const out = r.push(datagram, i * 0.1);
      ok(r.framesInFlight <= 3 && r.bytesInFlight <= 50_000, `seed ${seed}: caps exceeded`);
      if (!out) return;
      deepStrictEqual(out.bytes, frames.get(out.frameSeq), `seed ${seed}: bytes differ`);
      ok(last === null || seqIsNewer(out.frameSeq, last), `seed ${seed}: older frame emitted`);
      last = out.frameSeq;
    });
    r.expire(1e9);
    equal(r.bytesInFlight, 0, `seed ${seed}: bytes left after expiry`);
  }
});

Deno.test("retransmitted fragments that fill a hole are counted, duplicates are not", () => {
  const frame = frameOf(4, 3000);
  const data = datagramsOf(4, frame); // 6 fragments
  const again = (i: number) => {
    const copy = data[i].slice();
    copy[4] |= Flags.Retransmission;
    return copy;
  };
  const r = new Reassembler();
  equal(pushAll(r, [data[0], data[1], data[3], data[5], again(1)]).length, 0);
  const out = pushAll(r, [again(2), again(4)]);
  equal(out.length, 1);
  deepStrictEqual(out[0].bytes, frame);
  deepStrictEqual(r.counters.recoveredByRetransmission, { fragments: 2, frames: 1 });
  equal(r.counters.datagramDrops.duplicate, 1);
});

/** A whole frame of stream STREAM in one datagram: what an unkeyed attacker sends. */
function forgedFrame(seq: number, bytes = 248): Uint8Array {
  const [datagram] = datagramsOf(seq, new Uint8Array(bytes).fill(0x55), STREAM, 1500);
  return datagram;
}

Deno.test("attack: one forged frame far ahead (seq + 2^31 - 1) does not lock the stream out", () => {
  const r = new Reassembler();
  const emitted: number[] = [];
  let now = 0;
  for (let seq = 0; seq < 150; seq++) {
    now += 33;
    if (seq === 35) {
      // 278 bytes: the real stream id, a frame number as far ahead of the last one shown (seq - 1)
      // as serial arithmetic allows.
      const forged = forgedFrame((seq - 1 + 0x7fff_ffff) >>> 0);
      equal(forged.length, 278);
      ok(r.push(forged, now) === null, "the forged frame is shown at once");
    }
    for (const out of pushAll(r, datagramsOf(seq, frameOf(seq, 3000)), now)) {
      emitted.push(out.frameSeq);
    }
  }
  equal(
    emitted.length,
    150,
    `${emitted.length} of 150 real frames; stale ${r.counters.datagramDrops.stale}`,
  );
  equal(r.counters.frameDrops.jump, 1);
});

Deno.test("attack: a forged run far ahead freezes the stream only briefly, then it resyncs", () => {
  const r = new Reassembler();
  const emitted: number[] = [];
  let now = 0;
  let forgedShown = 0;
  for (let seq = 0; seq < 150; seq++) {
    now += 33;
    if (seq === 35) {
      // Two frames in a row: the stream "goes on" from the jump, so the second one is taken.
      for (const k of [0, 1]) {
        if (r.push(forgedFrame((seq + 0x4000_0000 + k) >>> 0), now)) {
          forgedShown++;
        }
      }
    }
    for (const out of pushAll(r, datagramsOf(seq, frameOf(seq, 3000)), now)) {
      emitted.push(out.frameSeq);
    }
  }
  equal(forgedShown, 1);
  equal(r.counters.streamResyncs, 1);
  // 3000-byte frames are 6 datagrams: 16 stale datagrams over 100 ms take 4 frames.
  ok(emitted.length >= 150 - 6, `${emitted.length} of 150 real frames`);
  ok(emitted.includes(149) && emitted.includes(40), "the stream did not come back");
});

Deno.test("a sender whose frames really jump ahead (a long outage) is followed after one frame", () => {
  const r = new Reassembler();
  for (const seq of [1, 2, 3]) equal(pushAll(r, datagramsOf(seq, frameOf(seq, 2000))).length, 1);
  // 100,000 frames later (an hour at 30 fps): the first frame is held, the next one confirms.
  const later = [100_000, 100_001, 100_002];
  const out = later.flatMap((seq, i) => pushAll(r, datagramsOf(seq, frameOf(seq, 2000)), i));
  deepStrictEqual(out.map((frame) => frame.frameSeq), [100_001, 100_002]);
  equal(r.counters.frameDrops.jump, 1);
  // Late datagrams of before the outage are stale, not a reason to go back.
  equal(pushAll(r, datagramsOf(4, frameOf(4, 2000)), 10).length, 0);
  equal(r.counters.streamResyncs, 0);
});

/**
 * 32 bytes: the last fragment (2 bytes) of a new 8 MiB frame of stream STREAM, 4095 fragments of
 * 2049 bytes but the last.
 */
function floodDatagram(seq: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + 2);
  encodeHeader({
    type: PacketType.Fragment,
    flags: 0,
    typeSpecific: 0,
    fragmentIndex: 4094,
    fragmentCount: 4095,
    streamId: STREAM,
    frameSeq: seq >>> 0,
    frameBytes: 8 * 1024 * 1024,
    captureUs: 0,
  }, out);
  return out;
}

Deno.test("attack: 1000/s datagrams announcing new 8 MiB frames hold what they carry, and the real stream is intact", () => {
  // Forged frame numbers: random, just ahead of the stream, and falling from far ahead (each
  // newer than the real frame, but older than the forged ones before it).
  const scenarios: [string, (seq: number, k: number, prng: Prng) => number][] = [
    ["random", (_seq, _k, prng) => prng.int(0, 0xffff_ffff)],
    ["just ahead", (seq, k) => seq + 1 + (k % 16)],
    ["falling from far ahead", (seq, k) => seq + 0x4000_0000 - k],
  ];
  for (const [name, forgedSeq] of scenarios) {
    const prng = new Prng(7);
    const r = new Reassembler();
    let emitted = 0;
    let flood = 0;
    let maxBytesInFlight = 0;
    let nowMs = 0;
    for (let seq = 0; seq < 150; seq++) {
      // 30 fps: a 40 KB frame in 35 datagrams, and 33 forged datagrams around them (1000/s).
      const real = datagramsOf(seq, frameOf(seq, 40_000), STREAM, 1200);
      for (let i = 0; i < 35 || i < 33; i++) {
        if (i < real.length && r.push(real[i], nowMs) !== null) emitted++;
        if (i < 33) {
          r.push(floodDatagram(forgedSeq(seq, flood++, prng)), nowMs);
          maxBytesInFlight = Math.max(maxBytesInFlight, r.bytesInFlight);
        }
        nowMs += 1000 / 30 / 35;
      }
    }
    equal(flood, 150 * 33);
    equal(emitted, 150, `${name}: ${emitted} of 150 real frames`);
    // What they carry: 2 bytes and the bookkeeping of one piece each, at most 8 frames at once,
    // beside the one real frame in flight. Before: 8 MiB each, up to the 32 MiB cap.
    ok(maxBytesInFlight < 100_000, `${name}: ${maxBytesInFlight} bytes in flight`);
  }
});

Deno.test("a frame counts the bytes it holds, not the bytes it announces", () => {
  const r = new Reassembler();
  r.push(floodDatagram(1), 0);
  // 2 bytes of payload and the bookkeeping of one piece: the 8 MiB buffer waits for 8 MiB.
  equal(r.bytesInFlight, 2 + PIECE_BOOKKEEPING_BYTES);
  const data = datagramsOf(2, frameOf(2, 5000));
  r.push(data[0], 0);
  equal(r.bytesInFlight, 2 * PIECE_BOOKKEEPING_BYTES + 2 + data[0].length - HEADER_BYTES);
  const out = pushAll(r, data.slice(1));
  deepStrictEqual(out[0].bytes, frameOf(2, 5000));
  equal(r.bytesInFlight, 0, "the older flood frame went with the completed one");
});

Deno.test("a frame gets its buffer once it holds an eighth of its bytes, and counts it whole", () => {
  const r = new Reassembler();
  const frame = frameOf(3, 8000);
  const data = datagramsOf(3, frame); // 534-byte payloads: two make an eighth (1000 bytes)
  r.push(data[5], 0);
  equal(r.bytesInFlight, data[5].length - HEADER_BYTES + PIECE_BOOKKEEPING_BYTES, "one copy");
  r.push(data[2], 0);
  equal(r.bytesInFlight, 8000 * PLAUSIBLE_SHARE * 8, "the buffer, counted whole");
  const out = pushAll(r, data.filter((_, i) => i !== 5 && i !== 2));
  deepStrictEqual(out[0].bytes, frame);
  equal(r.bytesInFlight, 0);
});
