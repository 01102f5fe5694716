import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import {
  MAX_RTCP_PACKETS,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcp,
  ReceptionTracker,
  RTCP_DROP_REASONS,
  type RtcpDropReason,
  type RtcpPacket,
  type RtcpReportBlock,
  summarizeReportBlock,
  writeSenderReport,
} from "./rtcp.ts";
import { CAPTURE_SSRC, CAPTURES } from "../../../tests/support/captured_rtsp_clients.ts";
import { Prng } from "../../netsim/mod.ts";

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (byte) => parseInt(byte, 16));
}

function parsed(bytes: Uint8Array): RtcpPacket[] {
  const result = parseRtcp(bytes);
  if (!result.ok) throw new Error(`expected a valid compound, got ${result.reason}`);
  return result.packets;
}

Deno.test("NTP timestamps from Unix milliseconds, and their middle 32 bits", () => {
  const table: [number, number, number][] = [
    // unixMs, NTP seconds, NTP fraction
    [0, 2_208_988_800, 0], // 2208988800 = 0x83AA7E80
    [1500, 2_208_988_801, 0x8000_0000],
    [250, 2_208_988_800, 0x4000_0000],
    [999.9999999, 2_208_988_800, 0xffff_ffff], // rounds up to 2^32: capped below it
    [Date.UTC(2036, 1, 7, 6, 28, 16), 0, 0], // NTP era 1 begins: the seconds wrap to 0
  ];
  for (const [unixMs, seconds, fraction] of table) {
    deepStrictEqual(ntpFromUnixMs(unixMs), { seconds, fraction }, `${unixMs} ms`);
  }
  equal(ntpMiddle32({ seconds: 0x83aa_7e80, fraction: 0 }), 0x7e80_0000);
  equal(ntpMiddle32({ seconds: 0x83aa_7e81, fraction: 0x8000_1234 }), 0x7e81_8000);
});

Deno.test("sender report: golden bytes of the SR + SDES CNAME compound", () => {
  const bytes = writeSenderReport({
    ssrc: 0x1122_3344,
    ntp: { seconds: 0x83aa_7e80, fraction: 0x8000_0000 },
    rtpTimestamp: 0x0001_5f90,
    packetCount: 300,
    octetCount: 0x0102_0304,
    cname: "cam",
  });
  deepStrictEqual(
    bytes,
    Uint8Array.of(
      0x80, // V=2, P=0, RC=0 (no report blocks)
      0xc8, // PT=200 SR
      0x00,
      0x06, // length: 7 words - 1
      0x11,
      0x22,
      0x33,
      0x44, // SSRC of sender
      0x83,
      0xaa,
      0x7e,
      0x80, // NTP seconds (1970-01-01 in NTP)
      0x80,
      0x00,
      0x00,
      0x00, // NTP fraction: half a second
      0x00,
      0x01,
      0x5f,
      0x90, // RTP timestamp 90000
      0x00,
      0x00,
      0x01,
      0x2c, // packet count 300
      0x01,
      0x02,
      0x03,
      0x04, // octet count
      0x81, // V=2, P=0, SC=1
      0xca, // PT=202 SDES
      0x00,
      0x03, // length: 4 words - 1
      0x11,
      0x22,
      0x33,
      0x44, // chunk SSRC
      0x01, // item CNAME
      0x03, // length 3
      0x63,
      0x61,
      0x6d, // "cam"
      0x00, // end of items
      0x00,
      0x00, // padding to the word
    ),
  );
  deepStrictEqual(parsed(bytes), [
    {
      type: "sr",
      ssrc: 0x1122_3344,
      senderInfo: {
        ntp: { seconds: 0x83aa_7e80, fraction: 0x8000_0000 },
        rtpTimestamp: 90_000,
        packetCount: 300,
        octetCount: 0x0102_0304,
      },
      reports: [],
    },
    { type: "sdes", chunks: [{ ssrc: 0x1122_3344, cname: "cam" }] },
  ]);
});

Deno.test("sender report: CNAME lengths pad to a word and are bounded", () => {
  for (let length = 1; length <= 9; length++) {
    const bytes = writeSenderReport({
      ssrc: 1,
      ntp: { seconds: 0, fraction: 0 },
      rtpTimestamp: 0,
      packetCount: 0,
      octetCount: 0,
      cname: "x".repeat(length),
    });
    equal(bytes.length % 4, 0, `cname of ${length}`);
    const sdes = parsed(bytes)[1];
    deepStrictEqual(sdes, { type: "sdes", chunks: [{ ssrc: 1, cname: "x".repeat(length) }] });
  }
  const options = { ssrc: 1, ntp: { seconds: 0, fraction: 0 }, rtpTimestamp: 0, packetCount: 0 };
  throws(() => writeSenderReport({ ...options, octetCount: 0, cname: "" }), RangeError);
  throws(
    () => writeSenderReport({ ...options, octetCount: 0, cname: "é".repeat(128) }),
    RangeError,
  );
  equal(writeSenderReport({ ...options, octetCount: 0, cname: "x".repeat(255) }).length, 296);
});

Deno.test("ffmpeg 5.1's receiver reports, as captured, parse field by field", () => {
  const [punch, first] = CAPTURES.ffmpegUdp.rtcpPortDatagrams.map(fromHex);
  // The NAT punch: 80 c9 00 01 | 00 00 00 00 = an RR with no blocks from SSRC 0.
  deepStrictEqual(parsed(punch), [{ type: "rr", ssrc: 0, reports: [] }]);
  // 81 c9 00 07: V=2, RC=1, RR, 8 words. ffmpeg reports as our SSRC + 1.
  deepStrictEqual(parsed(first), [
    {
      type: "rr",
      ssrc: 0x1122_3345,
      reports: [{
        ssrc: CAPTURE_SSRC, // 11 22 33 44
        fractionLost: 0, // 00
        cumulativeLost: 0, // 00 00 00
        extendedHighestSequence: 0x4bd, // 00 00 04 bd: 1213, the stream started at 1000
        jitter: 8, // 00 00 00 08
        lastSenderReport: 0xcb52_1d70, // cb 52 1d 70
        delaySinceLastSenderReport: 0xb139, // 00 00 b1 39: 0.69 s
      }],
    },
    // 81 ca 00 03 | 11 22 33 45 | 01 02 "vm" | 00 00 00 00: CNAME is the host name.
    { type: "sdes", chunks: [{ ssrc: 0x1122_3345, cname: "vm" }] },
  ]);
});

Deno.test("GStreamer 1.22's receiver reports, over UDP and interleaved in TCP", () => {
  const udp = fromHex(CAPTURES.gstUdp.rtcpPortDatagrams[0]);
  const tcpFrame = CAPTURES.gstTcp.connections[0].find((s) => "interleavedHex" in s);
  ok(tcpFrame && "interleavedHex" in tcpFrame);
  // 24 01 00 54: "$", channel 1, 84 bytes follow.
  const frame = fromHex(tcpFrame.interleavedHex);
  deepStrictEqual([...frame.subarray(0, 4)], [0x24, 1, 0, 84]);
  for (const compound of [udp, frame.subarray(4)]) {
    const packets = parsed(compound);
    equal(packets.length, 2);
    const [rr, sdes] = packets;
    ok(rr.type === "rr");
    equal(rr.reports.length, 1);
    equal(rr.reports[0].ssrc, CAPTURE_SSRC);
    // 00 ff ff ff: no loss this interval, cumulative -1 (one packet more than expected: the
    // sequence base comes from RTP-Info).
    equal(rr.reports[0].fractionLost, 0);
    equal(rr.reports[0].cumulativeLost, -1);
    ok(sdes.type === "sdes");
    // CNAME user…@host-…, then a TOOL item (type 6) "GStreamer" that is skipped.
    ok(sdes.chunks[0].cname?.startsWith("user"), sdes.chunks[0].cname ?? "no cname");
    equal(sdes.chunks[0].ssrc, rr.ssrc);
  }
});

Deno.test("BYE with and without a reason, and unknown types pass as other", () => {
  const bye = Uint8Array.of(
    0x81, // V=2, SC=1
    0xcb, // PT=203 BYE
    0x00,
    0x03, // 4 words
    0x00,
    0x00,
    0x00,
    0x07, // SSRC 7
    0x04, // reason length 4
    0x64,
    0x6f,
    0x6e,
    0x65, // "done"
    0x00,
    0x00,
    0x00, // padding to the word
  );
  deepStrictEqual(parsed(bye), [{ type: "bye", ssrcs: [7], reason: "done" }]);
  const byeBare = Uint8Array.of(0x81, 0xcb, 0x00, 0x01, 0, 0, 0, 9);
  deepStrictEqual(parsed(byeBare), [{ type: "bye", ssrcs: [9], reason: null }]);
  // PT=206 (PSFB, a PLI): reduced-size RTCP still parses.
  const pli = Uint8Array.of(0x81, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2);
  deepStrictEqual(parsed(pli), [{ type: "other", packetType: 206, count: 1, bodyBytes: 8 }]);
});

Deno.test("padding is honoured on the last packet only", () => {
  // RR with no blocks, P=1, 4 bytes of padding (last byte = 4).
  const padded = Uint8Array.of(0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 5, 0, 0, 0, 4);
  deepStrictEqual(parsed(padded), [{ type: "rr", ssrc: 5, reports: [] }]);
  const table: [string, Uint8Array, RtcpDropReason][] = [
    ["empty", new Uint8Array(0), "short"],
    ["3 bytes", Uint8Array.of(0x80, 0xc9, 0), "short"],
    ["version 1", Uint8Array.of(0x40, 0xc9, 0x00, 0x01, 0, 0, 0, 0), "version"],
    ["length past the end", Uint8Array.of(0x80, 0xc9, 0x00, 0x02, 0, 0, 0, 0), "length"],
    ["padding count 0", Uint8Array.of(0xa0, 0xc9, 0x00, 0x01, 0, 0, 0, 0), "padding"],
    ["padding into the header", Uint8Array.of(0xa0, 0xc9, 0x00, 0x01, 0, 0, 0, 9), "padding"],
    [
      "padding on a first packet",
      Uint8Array.of(0xa0, 0xc9, 0x00, 0x01, 0, 0, 0, 4, 0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 0),
      "padding",
    ],
    ["RR without SSRC", Uint8Array.of(0x80, 0xc9, 0x00, 0x00), "short"],
    ["RR count 1, no block", Uint8Array.of(0x81, 0xc9, 0x00, 0x01, 0, 0, 0, 0), "reportBlocks"],
    ["SR without sender info", Uint8Array.of(0x80, 0xc8, 0x00, 0x01, 0, 0, 0, 0), "short"],
    ["SDES chunk unterminated", Uint8Array.of(0x81, 0xca, 0x00, 0x01, 0, 0, 0, 1), "sdes"],
    [
      "SDES item past the end",
      Uint8Array.of(0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 1, 9, 0x61, 0),
      "sdes",
    ],
    ["BYE count 2, one SSRC", Uint8Array.of(0x82, 0xcb, 0x00, 0x01, 0, 0, 0, 1), "bye"],
    [
      "BYE reason past the end",
      Uint8Array.of(0x81, 0xcb, 0x00, 0x02, 0, 0, 0, 1, 9, 0x61, 0, 0),
      "bye",
    ],
  ];
  for (const [name, bytes, reason] of table) {
    deepStrictEqual(parseRtcp(bytes), { ok: false, reason }, name);
  }
});

Deno.test("a compound of more than MAX_RTCP_PACKETS packets is refused", () => {
  const emptyRr = [0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 0];
  const ofCount = (count: number) =>
    Uint8Array.from(Array.from({ length: count }, () => emptyRr).flat());
  equal(parsed(ofCount(MAX_RTCP_PACKETS)).length, MAX_RTCP_PACKETS);
  deepStrictEqual(parseRtcp(ofCount(MAX_RTCP_PACKETS + 1)), {
    ok: false,
    reason: "tooManyPackets",
  });
});

function block(fields: Partial<RtcpReportBlock>): RtcpReportBlock {
  return {
    ssrc: 1,
    fractionLost: 0,
    cumulativeLost: 0,
    extendedHighestSequence: 0,
    jitter: 0,
    lastSenderReport: 0,
    delaySinceLastSenderReport: 0,
    ...fields,
  };
}

Deno.test("loss summary: fraction, jitter in ms and round trip from LSR and DLSR", () => {
  const lsr = 0xcb52_1d70;
  const table: [string, RtcpReportBlock, number, number | null][] = [
    // name, block, arrival (middle 32 bits), expected round trip in ms
    ["no SR seen yet", block({ lastSenderReport: 0 }), 0x1234_5678, null],
    [
      "250 ms",
      block({ lastSenderReport: lsr, delaySinceLastSenderReport: 0x8000 }),
      lsr + 0xc000,
      250,
    ],
    ["zero", block({ lastSenderReport: lsr, delaySinceLastSenderReport: 0x100 }), lsr + 0x100, 0],
    [
      "0.5 ms early: rounding",
      block({ lastSenderReport: lsr, delaySinceLastSenderReport: 40 }),
      lsr + 7,
      0,
    ],
    [
      "1 s early: impossible",
      block({ lastSenderReport: lsr, delaySinceLastSenderReport: 0x1_0000 }),
      lsr,
      null,
    ],
    // The middle 32 bits wrap every 18 hours: A < LSR numerically still gives the right figure.
    [
      "across the wrap",
      block({ lastSenderReport: 0xffff_f000, delaySinceLastSenderReport: 0x800 }),
      0x800,
      62.5, // 0x800 - 0xfffff000 - 0x800 = 0x1000 (mod 2^32) = 62.5 ms
    ],
  ];
  for (const [name, reportBlock, arrival, roundTripMs] of table) {
    equal(summarizeReportBlock(reportBlock, arrival >>> 0).roundTripMs, roundTripMs, name);
  }
  deepStrictEqual(
    summarizeReportBlock(
      block({ fractionLost: 64, cumulativeLost: -3, jitter: 450, extendedHighestSequence: 70_000 }),
      0,
    ),
    {
      fractionLost: 0.25,
      cumulativeLost: -3,
      extendedHighestSequence: 70_000,
      jitterMs: 5,
      roundTripMs: null,
    },
  );
});

Deno.test("reception tracker: keeps the latest block about our SSRC, counts the rest", () => {
  const tracker = new ReceptionTracker(CAPTURE_SSRC);
  equal(tracker.counters.reportBlocks, 0);
  for (const hex of CAPTURES.ffmpegUdp.rtcpPortDatagrams) tracker.push(fromHex(hex), 0);
  tracker.push(Uint8Array.of(0x80), 0);
  // A block about someone else's stream.
  const foreign = Uint8Array.of(
    ...[0x81, 0xc9, 0x00, 0x07, 0, 0, 0, 9],
    ...[0, 0, 0, 0x42, 0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  );
  tracker.push(foreign, 0);
  tracker.push(Uint8Array.of(0x81, 0xcb, 0x00, 0x01, 0, 0, 0, 9), 0);
  const counters = tracker.counters;
  equal(counters.compoundsReceived, 6);
  equal(counters.compoundDrops.short, 1);
  equal(counters.reportBlocks, 2);
  equal(counters.foreignBlocks, 1);
  equal(counters.byes, 1);
  // The second ffmpeg report: highest 0x595, DLSR 0x80ec.
  const latest = tracker.latest;
  ok(latest !== null);
  equal(latest.extendedHighestSequence, 0x595);
  equal(latest.fractionLost, 0);
});

Deno.test("fuzz: random and mutated compounds never throw and the counters add up", () => {
  const prng = new Prng(0x5eed_2435);
  const seeds = [
    ...CAPTURES.ffmpegUdp.rtcpPortDatagrams,
    ...CAPTURES.gstUdp.rtcpPortDatagrams,
  ].map(fromHex);
  seeds.push(
    writeSenderReport({
      ssrc: 3,
      ntp: ntpFromUnixMs(0),
      rtpTimestamp: 0,
      packetCount: 1,
      octetCount: 1,
      cname: "fuzz",
    }),
  );
  const tracker = new ReceptionTracker(CAPTURE_SSRC);
  let accepted = 0;
  const rounds = 5000;
  for (let i = 0; i < rounds; i++) {
    let bytes: Uint8Array;
    if (i % 4 === 0) {
      bytes = prng.bytes(prng.int(0, 200));
      if (bytes.length > 0) bytes[0] = 0x80 | (bytes[0] & 0x3f); // mostly version 2
    } else {
      const seed = seeds[prng.int(0, seeds.length - 1)];
      bytes = seed.slice(0, prng.int(0, seed.length));
      for (let flips = prng.int(0, 3); flips > 0 && bytes.length > 0; flips--) {
        bytes[prng.int(0, bytes.length - 1)] ^= 1 << prng.int(0, 7);
      }
    }
    const packets = tracker.push(bytes, prng.int(0, 0xffff_ffff));
    if (packets !== null) {
      accepted++;
      ok(packets.length <= MAX_RTCP_PACKETS);
      for (const packet of packets) {
        if (packet.type === "sr" || packet.type === "rr") ok(packet.reports.length <= 31);
      }
    }
  }
  const counters = tracker.counters;
  const dropped = RTCP_DROP_REASONS.reduce(
    (sum, reason) => sum + counters.compoundDrops[reason],
    0,
  );
  equal(counters.compoundsReceived, rounds);
  equal(accepted + dropped, rounds);
  ok(accepted > 0 && dropped > 0, `accepted ${accepted}, dropped ${dropped}`);
});
