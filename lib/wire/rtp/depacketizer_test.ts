import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { RtpJpegPacketizer } from "./packetizer.ts";
import { buildJpegHeaders } from "./jpeg_rebuild.ts";
import { RtpJpegDepacketizer, timestampIsNewer } from "./depacketizer.ts";
import { parseJpeg } from "../../jpeg/mod.ts";
import { encodeJpegHeader, JPEG_HEADER_BYTES, quantTablesForQ } from "./jpeg_payload.ts";
import { encodeRtp, RTP_HEADER_BYTES } from "./header.ts";
import type { ReceivedFrame } from "../frames/mod.ts";
import { testsrcJpegs } from "../../../tests/support/ffmpeg_frames.ts";
import { Prng } from "../../netsim/mod.ts";

const frames = await testsrcJpegs(4);

function packetsOf(packetizer: RtpJpegPacketizer, index: number): Uint8Array[] {
  return packetizer.packetize(frames[index % frames.length], index * 33_333);
}

function pushAll(d: RtpJpegDepacketizer, packets: Uint8Array[], nowMs = 0): ReceivedFrame[] {
  const out: ReceivedFrame[] = [];
  for (const packet of packets) {
    const frame = d.push(packet, nowMs);
    if (frame) out.push(frame);
  }
  return out;
}

/** The scan data of a JPEG, to compare frames independently of header details. */
function scanOf(jpeg: Uint8Array): Uint8Array {
  const parsed = parseJpeg(jpeg);
  ok(parsed.ok, "rebuilt frame does not parse");
  return jpeg.subarray(parsed.info.scanStart, parsed.info.scanEnd);
}

Deno.test("timestampIsNewer uses serial arithmetic across the wrap", () => {
  equal(timestampIsNewer(1, 0), true);
  equal(timestampIsNewer(0, 0xffff_ffff), true); // wrapped
  equal(timestampIsNewer(0xffff_ffff, 0), false);
  equal(timestampIsNewer(5, 5), false);
});

Deno.test("sequence numbers wrap; every frame comes out whole, stream id = SSRC", () => {
  const packetizer = new RtpJpegPacketizer({
    maxDatagramBytes: 600,
    ssrc: 42,
    initialSequence: 0xffe0,
    initialTimestamp: 0xffff_f000,
  });
  const d = new RtpJpegDepacketizer();
  const out = pushAll(d, [0, 1, 2, 3].flatMap((i) => packetsOf(packetizer, i)));
  equal(out.length, 4);
  ok(packetizer.nextSequence < 0xffe0, "the test should cross the 16-bit wrap");
  out.forEach((frame, i) => {
    equal(frame.streamId, 42);
    equal(frame.captureUs, null);
    deepStrictEqual(scanOf(frame.bytes), scanOf(frames[i]));
  });
});

Deno.test("loss drops the frame (superseded), reordering and duplicates within a frame do not", () => {
  const packetizer = new RtpJpegPacketizer({ maxDatagramBytes: 600 });
  const [a, b, c] = [0, 1, 2].map((i) => packetsOf(packetizer, i));
  const d = new RtpJpegDepacketizer();
  const out = pushAll(d, [
    ...a.filter((_, i) => i !== 3), // a loses a packet
    ...[...b].reverse(), // b arrives backwards
    ...c,
    c[1], // a late duplicate of an emitted frame
  ]);
  equal(out.length, 2);
  deepStrictEqual(scanOf(out[0].bytes), scanOf(frames[1]));
  equal(d.counters.frameDrops.superseded, 1);
  equal(d.counters.datagramDrops.stale, 1);
  equal(d.framesInFlight, 0);
  equal(d.bytesInFlight, 0);
});

Deno.test("interleaved frames both complete when the older finishes first", () => {
  const packetizer = new RtpJpegPacketizer({ maxDatagramBytes: 600 });
  const [a, b] = [0, 1].map((i) => packetsOf(packetizer, i));
  const mixed = [...a.slice(0, -1), ...b.slice(0, 3), a[a.length - 1], ...b.slice(3)];
  equal(pushAll(new RtpJpegDepacketizer(), mixed).length, 2);
});

Deno.test("SSRC lock: another source is ignored until the first is silent for 500 ms", () => {
  const first = new RtpJpegPacketizer({ maxDatagramBytes: 600, ssrc: 1 });
  const second = new RtpJpegPacketizer({ maxDatagramBytes: 600, ssrc: 2 });
  const d = new RtpJpegDepacketizer();
  equal(pushAll(d, packetsOf(first, 0), 0).length, 1);
  equal(pushAll(d, packetsOf(second, 0), 100).length, 0);
  ok(d.counters.datagramDrops.otherSsrc > 0);
  equal(pushAll(d, packetsOf(first, 1), 400).length, 1); // still locked on 1
  const out = pushAll(d, packetsOf(second, 1), 900); // 1 silent for 500 ms
  equal(out.length, 1);
  equal(out[0].streamId, 2);
  equal(d.counters.ssrcSwitches, 1);
});

Deno.test("stream lock: lockedStreamId follows only that SSRC, however long it is silent", () => {
  const [one, two] = [1, 2].map((ssrc) => new RtpJpegPacketizer({ maxDatagramBytes: 600, ssrc }));
  const d = new RtpJpegDepacketizer({ lockedStreamId: 2 });
  const others = [packetsOf(one, 0), packetsOf(one, 1)];
  equal(pushAll(d, others[0], 0).length, 0, "SSRC 1 first: refused, not followed");
  equal(d.ssrc, null);
  const out = pushAll(d, packetsOf(two, 0), 10);
  deepStrictEqual(out.map((frame) => frame.streamId), [2]);
  // SSRC 2 silent for far longer than ssrcIdleMs: SSRC 1 still does not take over.
  equal(pushAll(d, others[1], 5000).length, 0);
  equal(pushAll(d, packetsOf(two, 1), 5001).length, 1);
  equal(d.counters.datagramDrops.otherSsrc, others[0].length + others[1].length);
  equal(d.counters.ssrcSwitches, 0);
});

Deno.test("followNewest: a new SSRC takes over at once, one seen before does not", () => {
  const [one, two] = [1, 2].map((ssrc) => new RtpJpegPacketizer({ maxDatagramBytes: 600, ssrc }));
  const d = new RtpJpegDepacketizer({ followNewest: true });
  equal(pushAll(d, packetsOf(one, 0), 0).length, 1);
  // A restarted sender (new SSRC) takes over with no wait.
  const taken = pushAll(d, packetsOf(two, 0), 1);
  deepStrictEqual(taken.map((frame) => frame.streamId), [2]);
  equal(d.counters.ssrcSwitches, 1);
  // The old one, still sending, cannot flip the receiver back.
  equal(pushAll(d, packetsOf(one, 1), 2).length, 0);
  ok(d.counters.datagramDrops.otherSsrc > 0);
  equal(d.ssrc, 2);
});

Deno.test("attack: a forged frame 2^31 - 1 ticks ahead (same SSRC) does not lock the stream out", () => {
  const real = new RtpJpegPacketizer({ maxDatagramBytes: 1400, ssrc: 9, initialTimestamp: 0 });
  const d = new RtpJpegDepacketizer();
  let emitted = 0;
  let lastTimestamp = 0;
  for (let i = 0; i < 40; i++) {
    if (i === 10) {
      // Sequence numbers where the real stream is, a timestamp as far ahead as serial arithmetic
      // allows: before, every real frame after it was stale.
      const forger = new RtpJpegPacketizer({
        maxDatagramBytes: 1400,
        ssrc: 9,
        initialSequence: real.nextSequence,
        initialTimestamp: (lastTimestamp + 0x7fff_ffff) >>> 0,
      });
      equal(pushAll(d, forger.packetize(frames[0], 0), i).length, 0, "the forged frame is shown");
    }
    for (const frame of pushAll(d, packetsOf(real, i), i)) {
      emitted++;
      lastTimestamp = frame.frameSeq;
    }
  }
  equal(emitted, 40);
  equal(d.counters.frameDrops.jump, 1);
});

Deno.test("packets far behind the newest sequence number are stale; a restarted source resyncs", () => {
  const packetizer = new RtpJpegPacketizer({ maxDatagramBytes: 600, ssrc: 7, initialSequence: 0 });
  const d = new RtpJpegDepacketizer({ reorderWindowPackets: 8 });
  const old = packetsOf(packetizer, 0);
  for (let i = 0; i < 40; i++) packetsOf(packetizer, 1); // advance the sequence by far more than 8
  pushAll(d, packetsOf(packetizer, 2));
  equal(pushAll(d, old).length, 0);
  ok(d.counters.datagramDrops.stale > 0);
  // The same SSRC starting over far behind: after 16 stale packets in a row it is followed again.
  const restarted = new RtpJpegPacketizer({ maxDatagramBytes: 600, ssrc: 7, initialSequence: 0 });
  const out = pushAll(d, [0, 1, 2].flatMap((i) => packetsOf(restarted, 100 + i)), 10);
  ok(out.length >= 1, "a restarted source should be followed again");
});

Deno.test("Q 1..99 uses the Appendix A tables; Q 128..254 tables are cached for later frames", () => {
  const packetizer = new RtpJpegPacketizer({ maxDatagramBytes: 600 });
  const [a, b] = [0, 1].map((i) => packetsOf(packetizer, i));
  // Rewrite frame a to Q 50 without in-band tables: drop the table header and tables.
  const a50 = a.map((p, i) => {
    const copy = i === 0
      ? Uint8Array.of(...p.subarray(0, 20), ...p.subarray(20 + 4 + 128))
      : p.slice();
    copy[17] = 50;
    return copy;
  });
  const d = new RtpJpegDepacketizer();
  const [out50] = pushAll(d, a50);
  const parsed = parseJpeg(out50.bytes);
  ok(parsed.ok);
  deepStrictEqual(
    [...parsed.info.quantTables.get(0)!.values, ...parsed.info.quantTables.get(1)!.values],
    [...quantTablesForQ(50)],
  );
  // Frame b with Q 200: the first time with tables, then a frame with an empty table header.
  const b200 = b.map((p) => {
    const copy = p.slice();
    copy[17] = 200;
    return copy;
  });
  equal(pushAll(d, b200).length, 1);
  const c = packetsOf(packetizer, 2).map((p, i) => {
    const copy = i === 0 ? Uint8Array.of(...p.subarray(0, 24), ...p.subarray(24 + 128)) : p.slice();
    copy[17] = 200;
    if (i === 0) copy[22] = copy[23] = 0; // table length 0: use the cached tables
    return copy;
  });
  const [outC] = pushAll(d, c);
  ok(outC, "the cached Q 200 tables should rebuild the frame");
  deepStrictEqual(scanOf(outC.bytes), scanOf(frames[2]));
  // Q 255 with no tables cannot be rebuilt.
  const noTables = packetsOf(packetizer, 3).map((p, i) => {
    const copy = i === 0 ? Uint8Array.of(...p.subarray(0, 24), ...p.subarray(24 + 128)) : p.slice();
    if (i === 0) copy[22] = copy[23] = 0;
    return copy;
  });
  equal(pushAll(d, noTables).length, 0);
  equal(d.counters.datagramDrops.noTables, 1);
});

Deno.test("buildJpegHeaders writes SOF0 with 2x1 or 2x2 luma, DRI only for types 64+", () => {
  const tables = quantTablesForQ(75);
  for (const [type, lumaSampling, dri] of [[0, 0x21, 0], [1, 0x22, 0], [65, 0x22, 16]]) {
    const headers = buildJpegHeaders({
      type,
      widthBlocks: 40,
      heightBlocks: 30,
      lumaTable: tables.subarray(0, 64),
      chromaTable: tables.subarray(64),
      precision: 0,
      restartInterval: dri,
    });
    const jpeg = Uint8Array.of(...headers, 0xff, 0xd9);
    const parsed = parseJpeg(jpeg);
    ok(parsed.ok, `type ${type}`);
    equal(parsed.info.width, 320);
    equal(parsed.info.height, 240);
    equal(parsed.info.frameMarker, 0xc0);
    equal(
      parsed.info.components[0].horizontalSampling << 4 |
        parsed.info.components[0].verticalSampling,
      lumaSampling,
    );
    equal(parsed.info.restartInterval, dri);
    ok(parsed.info.standardHuffmanTables);
  }
});

Deno.test("property: random loss, reordering and duplication never emit a wrong frame", () => {
  let emitted = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const prng = new Prng(seed);
    const packetizer = new RtpJpegPacketizer({ maxDatagramBytes: prng.int(400, 1400) });
    const sent = Array.from({ length: 8 }, (_, i) => packetsOf(packetizer, i + seed));
    const expected = new Map(
      sent.map((packets, i) => [
        new DataView(packets[0].buffer).getUint32(4),
        scanOf(frames[(i + seed) % frames.length]).join(","),
      ]),
    );
    const stream: Uint8Array[] = [];
    for (const packet of sent.flat()) {
      const roll = prng.next();
      if (roll < 0.03) continue;
      stream.push(packet);
      if (roll > 0.97) stream.push(packet);
    }
    // Local reordering: swap random neighbours.
    for (let i = 0; i + 1 < stream.length; i++) {
      if (prng.next() < 0.2) [stream[i], stream[i + 1]] = [stream[i + 1], stream[i]];
    }
    const d = new RtpJpegDepacketizer();
    for (const frame of pushAll(d, stream)) {
      equal(scanOf(frame.bytes).join(","), expected.get(frame.frameSeq), `seed ${seed}`);
      emitted++;
    }
  }
  ok(emitted > 100, `only ${emitted} frames came out`);
});

Deno.test("fuzz: garbage, truncation and bit flips never throw and stay within the caps", () => {
  const packetizer = new RtpJpegPacketizer({ maxDatagramBytes: 500 });
  const valid = [0, 1, 2, 3].flatMap((i) => packetsOf(packetizer, i));
  for (let seed = 1; seed <= 40; seed++) {
    const prng = new Prng(seed);
    const d = new RtpJpegDepacketizer({ maxBytesInFlight: 20_000, maxFrameBytes: 15_000 });
    for (let n = 0; n < 300; n++) {
      const base = valid[prng.int(0, valid.length - 1)];
      let packet: Uint8Array;
      const roll = prng.next();
      if (roll < 0.2) packet = prng.bytes(prng.int(0, 60));
      else if (roll < 0.4) packet = base.subarray(0, prng.int(0, base.length));
      else {
        packet = base.slice();
        for (let flips = prng.int(1, 4); flips > 0; flips--) {
          packet[prng.int(0, Math.min(packet.length - 1, 40))] ^= 1 << prng.int(0, 7);
        }
      }
      d.push(packet, n * 5);
      ok(d.bytesInFlight <= 20_000);
      ok(d.framesInFlight <= 4);
    }
    equal(d.counters.datagramsReceived, 300);
  }
});

/** A packet of a 320x240 Q 50 frame of SSRC 5: `bytes` bytes of scan data at `offset`. */
function craftedPacket(
  sequence: number,
  timestamp: number,
  offset: number,
  bytes: number,
  marker = false,
): Uint8Array {
  const out = new Uint8Array(RTP_HEADER_BYTES + JPEG_HEADER_BYTES + bytes).fill(0x11);
  encodeRtp({ marker, payloadType: 26, sequence, timestamp, ssrc: 5 }, out);
  encodeJpegHeader(
    {
      typeSpecific: 0,
      fragmentOffset: offset,
      type: 1,
      q: 50,
      widthBlocks: 40,
      heightBlocks: 30,
    },
    out,
    RTP_HEADER_BYTES,
  );
  return out;
}

Deno.test("attack: fragments that add up but do not tile, and empty ones, cost linear work", () => {
  const d = new RtpJpegDepacketizer();
  let sequence = 0;
  const frames = 20;
  const extraPerFrame = 200;
  for (let f = 0; f < frames; f++) {
    const timestamp = 3000 * (f + 1);
    // The frame ends at 1000 (marker); 0..400, 400..800 and 850..950 add up to 1000 bytes but
    // overlap the marker packet and leave 800..850 open: it can never tile.
    for (const [offset, bytes, marker] of [[0, 400], [900, 100, true], [400, 400], [850, 100]]) {
      d.push(craftedPacket(sequence++, timestamp, offset as number, bytes as number, !!marker), f);
    }
    // Then empty fragments and 1-byte fragments past the end, each of which used to sort all the
    // frame's fragments again to see whether they tile now (they never did: the gap comes first).
    for (let k = 0; k < extraPerFrame; k++) {
      d.push(craftedPacket(sequence++, timestamp, 1000 + k, k % 2), f);
    }
  }
  const { counters } = d;
  equal(counters.datagramsReceived, frames * (4 + extraPerFrame));
  // Each frame is given up the moment its bytes reach its end without tiling: checked once.
  equal(counters.frameDrops.overlap, frames);
  equal(counters.tilingChecks, counters.framesComplete + counters.frameDrops.overlap);
  equal(counters.datagramDrops.short, (frames * extraPerFrame) / 2, "empty fragments");
  equal(counters.framesComplete, 0);
  // The real thing still works afterwards.
  const real = new RtpJpegPacketizer({
    maxDatagramBytes: 600,
    ssrc: 5,
    initialSequence: sequence,
    initialTimestamp: 3000 * (frames + 1),
  });
  equal(pushAll(d, packetsOf(real, 0), frames + 1000).length, 1);
});

Deno.test("fragments reaching a frame's end are checked once, and only then (table)", () => {
  // Scan-data pieces [offset, bytes, marker] of one frame, and what becomes of it.
  const cases: { name: string; pieces: [number, number, boolean][]; out: string }[] = [
    { name: "in order", pieces: [[0, 500, false], [500, 500, true]], out: "complete" },
    { name: "marker first", pieces: [[500, 500, true], [0, 500, false]], out: "complete" },
    { name: "short of the end", pieces: [[0, 400, false], [500, 500, true]], out: "waiting" },
    { name: "overlap, more bytes", pieces: [[0, 600, false], [500, 500, true]], out: "overlap" },
    {
      name: "tiles, and one more piece inside",
      pieces: [[0, 500, false], [600, 100, false], [500, 500, true]],
      out: "overlap",
    },
    {
      name: "overlap and a gap, bytes equal",
      pieces: [[0, 500, false], [400, 100, false], [600, 400, true]],
      out: "overlap",
    },
    {
      name: "past the end, before the marker",
      pieces: [[900, 200, false], [0, 500, true]],
      out: "overlap",
    },
  ];
  for (const { name, pieces, out } of cases) {
    const d = new RtpJpegDepacketizer();
    let complete = 0;
    pieces.forEach(([offset, bytes, marker], i) => {
      if (d.push(craftedPacket(i, 1000, offset, bytes, marker), 0) !== null) complete++;
    });
    const got = complete === 1
      ? "complete"
      : d.counters.frameDrops.overlap === 1
      ? "overlap"
      : d.framesInFlight === 1
      ? "waiting"
      : "?";
    equal(got, out, name);
    ok(d.counters.tilingChecks <= 1, `${name}: ${d.counters.tilingChecks} checks`);
  }
});
