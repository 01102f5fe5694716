import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  decodeHeader,
  encodeHeader,
  encodeParityFields,
  FecSchemeId,
  Flags,
  fragmentPayloadBytes,
  HEADER_BYTES,
  PacketType,
  PARITY_FIELDS_BYTES,
  parityShardBytes,
  readParityFields,
  type WireHeader,
} from "./header.ts";
import { decodeNack, encodeNack, indexesToRanges, MAX_NACK_RANGES, type Nack } from "./nack.ts";

const sample: WireHeader = {
  type: PacketType.Fragment,
  flags: 0,
  typeSpecific: 0,
  fragmentIndex: 2,
  fragmentCount: 3,
  streamId: 0xdeadbeef,
  frameSeq: 0x01020304,
  frameBytes: 10,
  captureUs: 1_700_000_000_123_456,
};

// The golden header: changing the wire format must change this test on purpose.
const GOLDEN = new Uint8Array([
  0x55, // magic "U"
  0x43, // magic "C"
  0x01, // version 1
  0x00, // type: fragment
  0x00, // flags: none
  0x00, // type-specific: 0 for fragments
  0x00,
  0x02, // fragment index 2
  0x00,
  0x03, // fragment count 3
  0xde,
  0xad,
  0xbe,
  0xef, // stream id
  0x01,
  0x02,
  0x03,
  0x04, // frame sequence
  0x00,
  0x00,
  0x00,
  0x0a, // frame bytes: 10
  0x00,
  0x06,
  0x0a,
  0x24,
  0x18,
  0x20,
  0x22,
  0x40, // capture µs 1_700_000_000_123_456
]);

Deno.test("encodeHeader writes the golden bytes", () => {
  const out = new Uint8Array(HEADER_BYTES);
  encodeHeader(sample, out);
  assertEquals([...out], [...GOLDEN]);
});

Deno.test("decodeHeader reads the golden bytes back", () => {
  // Fragment 2 of a 10-byte frame in 3 fragments carries bytes 8..9.
  const datagram = new Uint8Array([...GOLDEN, 0xaa, 0xbb]);
  assertEquals(decodeHeader(datagram), { ok: true, header: sample });
});

Deno.test("decodeHeader rejects malformed datagrams by reason", () => {
  const valid = new Uint8Array([...GOLDEN, 0xaa, 0xbb]);
  const mutate = (at: number, value: number) => {
    const copy = valid.slice();
    copy[at] = value;
    return copy;
  };
  const cases: [string, Uint8Array, string][] = [
    ["empty", new Uint8Array(0), "short"],
    ["header cut short", valid.subarray(0, HEADER_BYTES - 1), "short"],
    ["legacy 1-byte header", new Uint8Array([1, 0xff, 0xd8, ...GOLDEN]), "magic"],
    ["RTP v2 first byte", mutate(0, 0x80), "magic"],
    ["second magic byte", mutate(1, 0x44), "magic"],
    ["version 2", mutate(2, 2), "version"],
    ["unknown flag bit", mutate(4, 0x80), "flags"],
    ["payload one byte short", valid.subarray(0, valid.length - 1), "fields"],
    ["payload one byte long", new Uint8Array([...valid, 0]), "fields"],
    ["index == count", mutate(7, 3), "fields"],
    ["count 0", mutate(9, 0), "fields"],
    ["frame bytes 0", mutate(21, 0), "fields"],
  ];
  for (const [name, datagram, reason] of cases) {
    assertEquals(decodeHeader(datagram), { ok: false, reason }, name);
  }
});

Deno.test("decodeHeader accepts unknown types without payload checks", () => {
  const datagram = new Uint8Array([...GOLDEN]);
  datagram[3] = 0x7f;
  const decoded = decodeHeader(datagram);
  assertEquals(decoded.ok && decoded.header.type, 0x7f);
});

Deno.test("fragmentPayloadBytes splits frames into equal shares", () => {
  const table: [frameBytes: number, count: number, sizes: number[]][] = [
    [1, 1, [1]],
    [10, 3, [4, 4, 2]],
    [9, 3, [3, 3, 3]],
    [10, 4, [3, 3, 3, 1]],
    [2341, 2, [1171, 1170]],
    [9, 4, [3, 3, 3, 0]], // impossible: the last fragment would be empty
    [3, 4, [0, 0, 0, 0]], // more fragments than bytes
  ];
  for (const [frameBytes, count, sizes] of table) {
    const got = sizes.map((_, index) => fragmentPayloadBytes(frameBytes, count, index));
    assertEquals(got, sizes, `${frameBytes} bytes in ${count}`);
  }
});

// The golden parity datagram: Reed-Solomon parity 1 of group 1 of the same 10-byte frame.
const PARITY_GOLDEN = new Uint8Array([
  ...GOLDEN.subarray(0, 3),
  0x01, // type: parity
  0x00, // flags: none
  0x02, // type-specific: FEC scheme 2, Reed-Solomon
  0x00,
  0x01, // group index 1
  ...GOLDEN.subarray(8, HEADER_BYTES), // fragment count 3 ... capture time: as the fragments
  0x02, // K: 2 data fragments per group
  0x02, // M: 2 parities per group
  0x01, // parity index 1
  0x01, // layout: interleaved
  0x11,
  0x22,
  0x33,
  0x44, // parity shard: ceil(10 / 3) = 4 bytes
]);

Deno.test("parity datagrams: golden bytes round-trip", () => {
  const header: WireHeader = {
    ...sample,
    type: PacketType.Parity,
    typeSpecific: FecSchemeId.ReedSolomon,
    fragmentIndex: 1,
  };
  const out = new Uint8Array(PARITY_GOLDEN.length);
  encodeHeader(header, out);
  const fields = { groupData: 2, groupParity: 2, parityIndex: 1, interleaved: true };
  encodeParityFields(fields, out, HEADER_BYTES);
  out.set([0x11, 0x22, 0x33, 0x44], HEADER_BYTES + PARITY_FIELDS_BYTES);
  assertEquals([...out], [...PARITY_GOLDEN]);
  assertEquals(decodeHeader(PARITY_GOLDEN), { ok: true, header });
  assertEquals(readParityFields(PARITY_GOLDEN), { scheme: FecSchemeId.ReedSolomon, ...fields });
  assertEquals(parityShardBytes(10, 3), 4);
});

Deno.test("decodeHeader rejects malformed parity datagrams", () => {
  const mutate = (at: number, value: number) => {
    const copy = PARITY_GOLDEN.slice();
    copy[at] = value;
    return copy;
  };
  const fieldsAt = HEADER_BYTES;
  const cases: [string, Uint8Array][] = [
    ["shard one byte short", PARITY_GOLDEN.subarray(0, PARITY_GOLDEN.length - 1)],
    ["shard one byte long", new Uint8Array([...PARITY_GOLDEN, 0])],
    ["no parity fields", PARITY_GOLDEN.subarray(0, HEADER_BYTES)],
    ["group index past the last group", mutate(7, 2)],
    ["fragment count 0", mutate(9, 0)],
    ["frame bytes 0", mutate(21, 0)],
    ["K = 0", mutate(fieldsAt, 0)],
    ["M = 0", mutate(fieldsAt + 1, 0)],
    ["parity index = M", mutate(fieldsAt + 2, 2)],
    ["unknown layout", mutate(fieldsAt + 3, 2)],
    ["XOR with M = 2", mutate(5, FecSchemeId.Xor)],
    [
      "RS with K + M = 257",
      (() => {
        const copy = mutate(fieldsAt, 255);
        copy[7] = 0; // group 0 of 1
        return copy;
      })(),
    ],
  ];
  for (const [name, datagram] of cases) {
    assertEquals(decodeHeader(datagram), { ok: false, reason: "fields" }, name);
  }
});

Deno.test("decodeHeader accepts parity of an unknown scheme for the receiver to ignore", () => {
  const decoded = decodeHeader(PARITY_GOLDEN.map((b, i) => (i === 5 ? 0x7f : b)));
  assertEquals(decoded.ok && decoded.header.typeSpecific, 0x7f);
});

// The golden NACK: frame 0x01020304 of stream 0xdeadbeef (40 fragments) misses 3, and 10..12.
const NACK_GOLDEN = new Uint8Array([
  0x55, // magic "U"
  0x43, // magic "C"
  0x01, // version 1
  0x02, // type: NACK
  0x00, // flags: none
  0x02, // 2 ranges
  0x00,
  0x28, // fragment count 40
  0xde,
  0xad,
  0xbe,
  0xef, // stream id
  0x01,
  0x02,
  0x03,
  0x04, // frame sequence
  0x00,
  0x03, // range 1: first 3
  0x00,
  0x01, // count 1
  0x00,
  0x0a, // range 2: first 10
  0x00,
  0x03, // count 3
]);

const NACK_SAMPLE: Nack = {
  streamId: 0xdeadbeef,
  frameSeq: 0x01020304,
  fragmentCount: 40,
  ranges: [{ first: 3, count: 1 }, { first: 10, count: 3 }],
};

Deno.test("NACK: golden bytes round-trip", () => {
  assertEquals([...encodeNack(NACK_SAMPLE)], [...NACK_GOLDEN]);
  assertEquals(decodeNack(NACK_GOLDEN), { ok: true, nack: NACK_SAMPLE });
  assertEquals(PacketType.Nack, 2);
});

Deno.test("NACK: malformed requests are refused with a reason", () => {
  const mutate = (at: number, value: number) => NACK_GOLDEN.map((b, i) => (i === at ? value : b));
  const cases: [string, Uint8Array, string][] = [
    ["too short", NACK_GOLDEN.subarray(0, 15), "short"],
    ["bad magic", mutate(0, 0x56), "magic"],
    ["version 2", mutate(2, 2), "version"],
    ["a fragment", mutate(3, 0), "type"],
    ["a flag", mutate(4, 1), "flags"],
    ["range count says 3", mutate(5, 3), "fields"],
    [
      "range count 0",
      new Uint8Array([...NACK_GOLDEN.subarray(0, 5), 0, 0, 40, ...NACK_GOLDEN.subarray(8, 16)]),
      "fields",
    ],
    ["one byte long", new Uint8Array([...NACK_GOLDEN, 0]), "fields"],
    ["empty range", mutate(19, 0), "fields"],
    ["range past the frame", mutate(23, 31), "fields"],
    ["overlapping ranges", mutate(21, 3), "fields"],
    ["out of order", mutate(17, 20), "fields"],
    ["fragment count 0", mutate(7, 0), "fields"],
  ];
  for (const [name, datagram, reason] of cases) {
    assertEquals(decodeNack(datagram), { ok: false, reason }, name);
  }
});

Deno.test("NACK: decodeHeader never mistakes one for a fragment", () => {
  const big = encodeNack({
    ...NACK_SAMPLE,
    fragmentCount: 1000,
    ranges: Array.from({ length: 8 }, (_, i) => ({ first: i * 10, count: 1 })),
  });
  const decoded = decodeHeader(big);
  assertEquals(decoded.ok && decoded.header.type, PacketType.Nack);
  assertEquals(decodeHeader(NACK_GOLDEN), { ok: false, reason: "short" });
});

Deno.test("NACK: indexesToRanges merges runs and caps the count", () => {
  assertEquals(indexesToRanges([1, 2, 3, 7, 9, 10]), [
    { first: 1, count: 3 },
    { first: 7, count: 1 },
    { first: 9, count: 2 },
  ]);
  assertEquals(indexesToRanges([]), []);
  const spread = Array.from({ length: 100 }, (_, i) => i * 2);
  assertEquals(indexesToRanges(spread).length, MAX_NACK_RANGES);
});

Deno.test("the retransmission flag is a known flag on fragments", () => {
  const copy = GOLDEN.slice();
  copy[4] = Flags.Retransmission;
  const payload = new Uint8Array([...copy, 1, 2]); // fragment 2 of 3 of 10 bytes: 2 bytes
  const decoded = decodeHeader(payload);
  assertEquals(decoded.ok && decoded.header.flags, Flags.Retransmission);
});
