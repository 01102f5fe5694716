import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { LEGACY_MAX_SEGMENT_BYTES, LegacyPacketizer, legacySegmentBytes } from "./packetizer.ts";
import { LegacyDepacketizer } from "./depacketizer.ts";
import type { ReceivedFrame } from "../frames/mod.ts";
import { Prng } from "../../netsim/mod.ts";

/** A fake but well-formed-looking JPEG: SOI, `fill` bytes from `seed`, EOI. */
function fakeJpeg(bytes: number, seed: number): Uint8Array {
  const prng = new Prng(seed);
  const frame = prng.bytes(bytes);
  frame.set([0xff, 0xd8], 0);
  // Keep 0xFF 0xD8 out of the middle so no segment but the first looks like a frame start.
  for (let i = 2; i < bytes - 2; i++) if (frame[i] === 0xff) frame[i] = 0xfe;
  frame.set([0xff, 0xd9], bytes - 2);
  return frame;
}

function pushAll(d: LegacyDepacketizer, datagrams: Uint8Array[], nowMs = 0): ReceivedFrame[] {
  const out: ReceivedFrame[] = [];
  for (const datagram of datagrams) {
    const frame = d.push(datagram, nowMs);
    if (frame) out.push(frame);
  }
  return out;
}

Deno.test("legacy packetizer: byte layout, one table row per datagram", () => {
  const frame = Uint8Array.of(0xff, 0xd8, 0x01, 0x02, 0x03, 0x04, 0x05, 0xff, 0xd9);
  // maxDatagramBytes 5: 1 count byte + 4 payload bytes per datagram, so 3 datagrams.
  const datagrams = new LegacyPacketizer(5).packetize(frame, 0);
  deepStrictEqual(datagrams, [
    Uint8Array.of(
      0x03, // 3 segments still to come, this one included
      0xff, // SOI ...
      0xd8, // ... SOI
      0x01, // frame byte 2
      0x02, // frame byte 3
    ),
    Uint8Array.of(
      0x02, // 2 segments to come
      0x03, // frame byte 4
      0x04, // frame byte 5
      0x05, // frame byte 6
      0xff, // EOI ...
    ),
    Uint8Array.of(
      0x01, // last segment of the frame
      0xd9, // ... EOI; the last segment is short, nothing pads it
    ),
  ]);
});

Deno.test("legacy packetizer: segment size is the original's 65472 or what the datagram allows", () => {
  const table: [number, number][] = [
    [2, 1],
    [1200, 1199],
    [9216, 9215], // macOS default net.inet.udp.maxdgram
    [65473, LEGACY_MAX_SEGMENT_BYTES],
    [65507, LEGACY_MAX_SEGMENT_BYTES], // never above the original even when UDP allows more
  ];
  for (const [maxDatagramBytes, expected] of table) {
    equal(legacySegmentBytes(maxDatagramBytes), expected, `${maxDatagramBytes}`);
  }
  // Byte-exact with the original at its own size: ceil(n / 65472) segments, counting down.
  const frame = fakeJpeg(2 * LEGACY_MAX_SEGMENT_BYTES + 10, 1);
  const datagrams = new LegacyPacketizer(65507).packetize(frame, 0);
  deepStrictEqual(datagrams.map((d) => [d[0], d.length]), [
    [3, 65473],
    [2, 65473],
    [1, 11],
  ]);
  deepStrictEqual(datagrams.map((d) => d.subarray(1)).flatMap((d) => [...d]), [...frame]);
});

Deno.test("legacy packetizer: 255 segments is the limit, an empty frame sends nothing", () => {
  const packetizer = new LegacyPacketizer(11); // 10 payload bytes per segment
  equal(packetizer.packetize(new Uint8Array(2550), 0).length, 255);
  equal(packetizer.packetize(new Uint8Array(2550), 0)[0][0], 255);
  throws(() => packetizer.packetize(new Uint8Array(2551), 0), (error: unknown) => {
    ok(error instanceof RangeError);
    ok(error.message.startsWith("Cannot send a 2551-byte frame in legacy mode"), error.message);
    ok(error.message.includes("256 segments"), error.message);
    return true;
  });
  deepStrictEqual(packetizer.packetize(new Uint8Array(0), 0), []);
  throws(() => new LegacyPacketizer(1), RangeError);
});

Deno.test("legacy depacketizer: round trip, frame numbering, no capture time", () => {
  const packetizer = new LegacyPacketizer(100);
  const d = new LegacyDepacketizer();
  const frames = [fakeJpeg(250, 1), fakeJpeg(99, 2), fakeJpeg(4, 3)];
  const out = pushAll(d, frames.flatMap((f) => packetizer.packetize(f, 0)), 7);
  equal(out.length, 3);
  for (let i = 0; i < 3; i++) {
    deepStrictEqual(out[i].bytes, frames[i]);
    equal(out[i].frameSeq, i);
    equal(out[i].streamId, 0);
    equal(out[i].captureUs, null);
    equal(out[i].completeMs, 7);
  }
  equal(d.counters.framesComplete, 3);
  equal(d.counters.datagramsReceived, 3 + 1 + 1);
});

Deno.test("legacy depacketizer: broken sequences are dropped and counted, never emitted", () => {
  const p = new LegacyPacketizer(11);
  const a = p.packetize(fakeJpeg(30, 10), 0); // counts 3 2 1
  const b = p.packetize(fakeJpeg(30, 11), 0); // counts 3 2 1
  const noEoi = p.packetize(fakeJpeg(30, 12).subarray(0, 28), 0); // ends without FFD9
  const short = Uint8Array.of(3, 0xff, 0xd8, 0x00); // a first segment shorter than the next
  const [x, y] = [fakeJpeg(15, 14), fakeJpeg(15, 15)].map((f) => p.packetize(f, 0));
  const z = p.packetize(fakeJpeg(15, 13), 0); // counts 2 1
  const table: {
    name: string;
    datagrams: Uint8Array[];
    frames: Uint8Array[][];
    drops: Record<string, number>;
  }[] = [
    {
      name: "a middle segment lost",
      datagrams: [a[0], a[2], ...b],
      frames: [b],
      drops: { discontinuity: 1, unsynced: 1 },
    },
    {
      name: "the first segment lost: the rest is not a frame start",
      datagrams: [a[1], a[2], ...b],
      frames: [b],
      drops: { unsynced: 2 },
    },
    {
      name: "the last segment lost, next frame starts",
      datagrams: [a[0], a[1], ...b],
      frames: [b],
      drops: { discontinuity: 1 },
    },
    {
      name: "two segments swapped",
      datagrams: [a[0], a[2], a[1], ...b],
      frames: [b],
      drops: { discontinuity: 1, unsynced: 2 },
    },
    {
      name: "a duplicated segment",
      datagrams: [a[0], a[1], a[1], a[2], ...b],
      frames: [b],
      drops: { discontinuity: 1, unsynced: 2 },
    },
    {
      // Without the SOI rule, a[0] z[0] z[1] would be glued: z[0] carries the count a[1] had.
      name: "a frame start where a continuation was due",
      datagrams: [a[0], z[0], z[1]],
      frames: [z],
      drops: { discontinuity: 1 },
    },
    {
      name: "no EOI at the end",
      datagrams: [...noEoi, ...b],
      frames: [b],
      drops: { noEoi: 1 },
    },
    {
      name: "a short segment that is not the last",
      datagrams: [short, a[1], ...b],
      frames: [b],
      drops: { segmentSize: 1, unsynced: 1 },
    },
    {
      name: "count byte 0 and an empty datagram",
      datagrams: [Uint8Array.of(0, 0xff, 0xd8), Uint8Array.of(1), new Uint8Array(0), ...b],
      frames: [b],
      drops: { zeroCount: 1, empty: 2 },
    },
    {
      // The format has no frame id: losing a's last two segments and b's first leaves
      // a[0] b[1] b[2], which passes every check.
      name: "known limit: a burst loss aligned on the segment counts splices two frames",
      datagrams: [a[0], b[1], b[2]],
      frames: [[a[0], b[1], b[2]]],
      drops: {},
    },
    {
      // Two neighbour swaps of two-segment frames: x1 x0 y1 y0 glues x0 and y1.
      name: "known limit: two neighbour swaps splice two-segment frames",
      datagrams: [x[1], x[0], y[1], y[0]],
      frames: [[x[0], y[1]]],
      drops: { unsynced: 1 }, // y[0] then waits for a y[1] that already came
    },
  ];
  for (const row of table) {
    const d = new LegacyDepacketizer();
    const out = pushAll(d, row.datagrams);
    const expected = row.frames.map((segments) =>
      Uint8Array.from(segments.flatMap((s) => [...s.subarray(1)]))
    );
    deepStrictEqual(out.map((f) => f.bytes), expected, row.name);
    const drops = Object.fromEntries(
      [...Object.entries(d.counters.datagramDrops), ...Object.entries(d.counters.frameDrops)]
        .filter(([, n]) => n > 0),
    );
    deepStrictEqual(drops, row.drops, row.name);
  }
});

Deno.test("legacy depacketizer: caps frame bytes and expires a stalled frame", () => {
  const p = new LegacyPacketizer(101);
  const big = p.packetize(fakeJpeg(450, 20), 0);
  const small = p.packetize(fakeJpeg(150, 21), 0);
  const d = new LegacyDepacketizer({ maxFrameBytes: 300, frameTimeoutMs: 100 });
  equal(pushAll(d, [...big, ...small]).length, 1);
  equal(d.counters.frameDrops.tooLarge, 1);
  ok(d.bytesInFlight <= 300);

  equal(d.push(small[0], 1000), null);
  d.expire(1099);
  equal(d.bytesInFlight, 100);
  d.expire(1100);
  equal(d.bytesInFlight, 0);
  equal(d.counters.frameDrops.expired, 1);
  equal(d.push(small[1], 1101), null); // its frame is gone
  equal(d.counters.datagramDrops.unsynced, 2); // this one and big's segment after the cap
});

/** An in-order channel that loses datagrams but never two in a row. */
function isolatedLoss(datagrams: Uint8Array[], prng: Prng): Uint8Array[] {
  const out: Uint8Array[] = [];
  let lostPrevious = false;
  for (const datagram of datagrams) {
    const lose: boolean = !lostPrevious && prng.next() < 0.2;
    lostPrevious = lose;
    if (!lose) out.push(datagram);
  }
  return out;
}

Deno.test("legacy depacketizer property: in-order isolated losses never splice frames", () => {
  let emitted = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const prng = new Prng(seed);
    const packetizer = new LegacyPacketizer(prng.int(20, 60));
    const frames = Array.from({ length: 12 }, (_, i) => fakeJpeg(prng.int(4, 300), seed * 100 + i));
    const sent = new Set(frames.map((f) => f.join(",")));
    const d = new LegacyDepacketizer();
    const datagrams = frames.flatMap((f) => packetizer.packetize(f, 0));
    const out = pushAll(d, isolatedLoss(datagrams, prng));
    for (const frame of out) ok(sent.has(frame.bytes.join(",")), `seed ${seed}: spliced frame`);
    emitted += out.length;
  }
  ok(emitted > 300, `only ${emitted} frames survived: the property was barely exercised`);
});

Deno.test("legacy depacketizer fuzz: any loss, reorder, duplication or garbage never throws", () => {
  for (let seed = 1; seed <= 100; seed++) {
    const prng = new Prng(seed);
    const packetizer = new LegacyPacketizer(prng.int(10, 80));
    const frames = Array.from({ length: 8 }, (_, i) => fakeJpeg(prng.int(4, 400), seed * 100 + i));
    const datagrams: Uint8Array[] = [];
    for (const datagram of frames.flatMap((f) => packetizer.packetize(f, 0))) {
      const roll = prng.next();
      if (roll < 0.2) continue;
      datagrams.push(datagram);
      if (roll > 0.9) datagrams.push(datagram);
      if (roll > 0.95) datagrams.push(prng.bytes(prng.int(0, 50)));
    }
    const d = new LegacyDepacketizer({ maxFrameBytes: 500 });
    let nowMs = 0;
    for (const datagram of prng.shuffle(datagrams).slice(0, prng.int(0, datagrams.length))) {
      nowMs += prng.int(0, 40);
      const frame = d.push(datagram, nowMs);
      ok(d.bytesInFlight <= 500);
      if (frame === null) continue;
      equal(frame.bytes[0], 0xff);
      equal(frame.bytes[1], 0xd8);
      equal(frame.bytes[frame.bytes.length - 2], 0xff);
      equal(frame.bytes[frame.bytes.length - 1], 0xd9);
    }
  }
});
