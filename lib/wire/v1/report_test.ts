import { deepStrictEqual as assertEquals, equal, throws } from "node:assert/strict";
import { Prng } from "../../netsim/mod.ts";
import {
  decodeLinkReport,
  encodeLinkReport,
  LINK_REPORT_BYTES,
  LINK_REPORT_DECODE_FAILURES,
  type LinkReport,
  type LinkReportDecodeFailure,
  linkReportProblem,
} from "./report.ts";

const SAMPLE: LinkReport = {
  streamId: 0xdeadbeef,
  reportSeq: 7,
  intervalMs: 200,
  totalDatagramsReceived: 10_000,
  totalDatagramsLost: 120,
  totalFramesCompleted: 290,
  totalFramesLost: 3,
  datagramsReceived: 200,
  datagramsLost: 10,
  framesCompleted: 5,
  framesLost: 1,
  bytesReceived: 236_000,
  echoFrameSeq: 0x01020304,
  echoCaptureUsLow: 0x18202240, // 1_700_000_000_123_456 µs mod 2^32
  holdUs: 12_500,
  queueDelayUs: 4_250,
  delayTrendUsPerS: -1_500,
  delaySamples: 20,
};

// The golden report: changing the wire format must change this test on purpose.
const GOLDEN = new Uint8Array([
  0x55, // magic "U"
  0x43, // magic "C"
  0x01, // version 1
  0x03, // type 3: receiver report
  0x00, // flags: none
  0x14, // delay samples: 20
  0x00,
  0xc8, // interval: 200 ms
  0xde,
  0xad,
  0xbe,
  0xef, // stream id
  0x00,
  0x00,
  0x00,
  0x07, // report sequence 7
  0x00,
  0x00,
  0x27,
  0x10, // datagrams received, cumulative: 10000
  0x00,
  0x00,
  0x00,
  0x78, // datagrams lost, cumulative: 120
  0x00,
  0x00,
  0x01,
  0x22, // frames completed, cumulative: 290
  0x00,
  0x00,
  0x00,
  0x03, // frames lost, cumulative: 3
  0x00,
  0x00,
  0x00,
  0xc8, // datagrams received in the interval: 200
  0x00,
  0x00,
  0x00,
  0x0a, // datagrams lost in the interval: 10
  0x00,
  0x05, // frames completed in the interval: 5
  0x00,
  0x01, // frames lost in the interval: 1
  0x00,
  0x03,
  0x99,
  0xe0, // bytes received in the interval: 236000 (9.44 Mbit/s over 200 ms)
  0x01,
  0x02,
  0x03,
  0x04, // echo frame sequence
  0x18,
  0x20,
  0x22,
  0x40, // echo capture µs, low 32 bits
  0x00,
  0x00,
  0x30,
  0xd4, // hold: 12500 µs
  0x00,
  0x00,
  0x10,
  0x9a, // queue delay: 4250 µs
  0xff,
  0xff,
  0xfa,
  0x24, // delay trend: -1500 µs/s (two's complement)
]);

Deno.test("encodeLinkReport writes the golden bytes", () => {
  equal(GOLDEN.length, LINK_REPORT_BYTES);
  assertEquals([...encodeLinkReport(SAMPLE)], [...GOLDEN]);
});

Deno.test("decodeLinkReport reads the golden bytes back", () => {
  assertEquals(decodeLinkReport(GOLDEN), { ok: true, report: SAMPLE });
});

Deno.test("decodeLinkReport reads a report inside a larger buffer", () => {
  const buffer = new Uint8Array(100);
  buffer.set(GOLDEN, 17);
  assertEquals(decodeLinkReport(buffer.subarray(17, 17 + LINK_REPORT_BYTES)), {
    ok: true,
    report: SAMPLE,
  });
});

Deno.test("random valid reports survive a round trip", () => {
  const prng = new Prng(42);
  const u32 = () => prng.int(0, 0xffff_ffff);
  for (let round = 0; round < 500; round++) {
    const intervalMs = prng.int(1, 60_000);
    const datagramsReceived = prng.int(0, 50_000);
    const samples = prng.int(0, 255);
    const report: LinkReport = {
      streamId: u32(),
      reportSeq: u32(),
      intervalMs,
      totalDatagramsReceived: datagramsReceived + prng.int(0, 1_000_000),
      totalDatagramsLost: prng.int(1000, 2_000_000),
      totalFramesCompleted: prng.int(65_535, 0xffff_ffff),
      totalFramesLost: prng.int(65_535, 0xffff_ffff),
      datagramsReceived,
      datagramsLost: prng.int(0, 1000),
      framesCompleted: prng.int(0, 65_535),
      framesLost: prng.int(0, 65_535),
      bytesReceived: datagramsReceived * 31 + prng.int(0, 1_000_000),
      echoFrameSeq: u32(),
      echoCaptureUsLow: u32(),
      holdUs: prng.int(0, 60_000_000),
      queueDelayUs: samples === 0 ? 0 : prng.int(0, 60_000_000),
      delayTrendUsPerS: samples === 0 ? 0 : prng.int(-100_000_000, 100_000_000),
      delaySamples: samples,
    };
    equal(linkReportProblem(report), null, JSON.stringify(report));
    assertEquals(decodeLinkReport(encodeLinkReport(report)), { ok: true, report });
  }
});

/** The golden report with `edit` applied to its bytes. */
function mutated(edit: (bytes: Uint8Array, view: DataView) => void): Uint8Array {
  const bytes = GOLDEN.slice();
  edit(bytes, new DataView(bytes.buffer));
  return bytes;
}

Deno.test("decodeLinkReport refuses every malformed or absurd report by reason", () => {
  const cases: [string, Uint8Array, LinkReportDecodeFailure][] = [
    ["empty", new Uint8Array(0), "short"],
    ["one byte short", GOLDEN.subarray(0, LINK_REPORT_BYTES - 1), "short"],
    ["a NACK-sized datagram", GOLDEN.subarray(0, 24), "short"],
    ["one byte long", new Uint8Array([...GOLDEN, 0]), "length"],
    ["first magic byte", mutated((b) => b[0] = 0x80), "magic"],
    ["second magic byte", mutated((b) => b[1] = 0x44), "magic"],
    ["version 2", mutated((b) => b[2] = 2), "version"],
    ["type 2 (a NACK)", mutated((b) => b[3] = 2), "type"],
    ["type 0 (a fragment)", mutated((b) => b[3] = 0), "type"],
    ["sealed flag left set", mutated((b) => b[4] = 0x02), "flags"],
    ["unknown flag", mutated((b) => b[4] = 0x80), "flags"],
    ["interval 0", mutated((_, v) => v.setUint16(6, 0)), "interval"],
    ["interval above 60 s", mutated((_, v) => v.setUint16(6, 60_001)), "interval"],
    ["received in interval above total", mutated((_, v) => v.setUint32(32, 10_001)), "counts"],
    ["lost in interval above total", mutated((_, v) => v.setUint32(36, 121)), "counts"],
    ["completed in interval above total", mutated((_, v) => v.setUint32(24, 4)), "counts"],
    ["frames lost in interval above total", mutated((_, v) => v.setUint32(28, 0)), "counts"],
    ["fewer bytes than datagrams can hold", mutated((_, v) => v.setUint32(44, 6199)), "counts"],
    [
      "more datagrams than 10 Gbit/s carries",
      mutated((_, v) => {
        v.setUint16(6, 1);
        v.setUint32(16, 0xffff_ffff);
        v.setUint32(32, 50_000);
        v.setUint32(44, 0xffff_ffff);
      }),
      "counts",
    ],
    ["above 10 Gbit/s", mutated((_, v) => v.setUint32(44, 250_000_001)), "rate"],
    ["hold above 60 s", mutated((_, v) => v.setUint32(56, 60_000_001)), "hold"],
    ["queue delay above 60 s", mutated((_, v) => v.setUint32(60, 60_000_001)), "delay"],
    ["trend above 100 s/s", mutated((_, v) => v.setInt32(64, 100_000_001)), "delay"],
    ["trend below -100 s/s", mutated((_, v) => v.setInt32(64, -100_000_001)), "delay"],
    ["delay figures without samples", mutated((b) => b[5] = 0), "delay"],
  ];
  const seen = new Set<string>();
  for (const [name, datagram, reason] of cases) {
    assertEquals(decodeLinkReport(datagram), { ok: false, reason }, name);
    seen.add(reason);
  }
  assertEquals([...seen].sort(), [...LINK_REPORT_DECODE_FAILURES].sort(), "every reason tested");
});

Deno.test("the edges of the valid ranges decode", () => {
  const cases: [string, Uint8Array][] = [
    [
      "interval 1 ms",
      mutated((_, v) => {
        v.setUint16(6, 1);
        v.setUint32(44, 1_250_000);
      }),
    ],
    ["interval 60 s", mutated((_, v) => v.setUint16(6, 60_000))],
    ["exactly 10 Gbit/s", mutated((_, v) => v.setUint32(44, 250_000_000))],
    ["interval counts equal to totals", mutated((_, v) => v.setUint32(28, 1))],
    ["bytes exactly 31 per datagram", mutated((_, v) => v.setUint32(44, 6200))],
    ["hold 60 s", mutated((_, v) => v.setUint32(56, 60_000_000))],
    ["trend -100 s/s", mutated((_, v) => v.setInt32(64, -100_000_000))],
    [
      "no samples, no delay",
      mutated((b, v) => {
        b[5] = 0;
        v.setUint32(60, 0);
        v.setInt32(64, 0);
      }),
    ],
  ];
  for (const [name, datagram] of cases) equal(decodeLinkReport(datagram).ok, true, name);
});

Deno.test("random bytes never throw and are refused by reason", () => {
  const prng = new Prng(7);
  for (let round = 0; round < 2000; round++) {
    const bytes = prng.bytes(prng.int(0, 90));
    if (round % 2 === 0 && bytes.length >= 5) bytes.set([0x55, 0x43, 0x01, 0x03, 0x00]);
    const result = decodeLinkReport(bytes);
    if (!result.ok) equal(LINK_REPORT_DECODE_FAILURES.includes(result.reason), true);
    else equal(linkReportProblem(result.report), null);
  }
});

Deno.test("encodeLinkReport refuses an invalid report with what to do", () => {
  throws(
    () => encodeLinkReport({ ...SAMPLE, intervalMs: 0 }),
    (error: unknown) =>
      error instanceof RangeError &&
      /^Cannot encode receiver report: interval 0 ms is not in 1\.\.60000\. Build/.test(
        error.message,
      ),
  );
  throws(() => encodeLinkReport({ ...SAMPLE, framesLost: 70_000 }), RangeError);
  throws(() => encodeLinkReport({ ...SAMPLE, delayTrendUsPerS: 1.5 }), RangeError);
  throws(() => encodeLinkReport({ ...SAMPLE, streamId: -1 }), RangeError);
});
