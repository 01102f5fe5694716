import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { decodeJpegHeader, quantTablesForQ } from "./jpeg_payload.ts";
import { decodeRtp, encodeRtp } from "./header.ts";
import { RtpJpegPacketizer, RtpJpegUnsupportedError } from "./packetizer.ts";
import { RtpJpegDepacketizer } from "./depacketizer.ts";
import { findScanEnd, parseJpeg, ZIGZAG } from "../../jpeg/mod.ts";
import { decodeJpegsToRgb, testsrcJpegs } from "../../../tests/support/ffmpeg_frames.ts";
import { Prng } from "../../netsim/mod.ts";

/** A 4:2:2 (luma 2x1) baseline JPEG with standard tables, which ffmpeg's encoder cannot make. */
async function imageMagick422(width: number, height: number): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/f.jpg`;
    const out = await new Deno.Command("convert", {
      args: [
        ...["-size", `${width}x${height}`, "gradient:red-blue", "-type", "TrueColor"],
        ...["-sampling-factor", "2x1", "-define", "jpeg:optimize-coding=false", path],
      ],
    }).output().catch(() => {
      throw new Error("convert (ImageMagick) is required for this test: apt install imagemagick");
    });
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return Deno.readFileSync(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("RTP header: byte layout, one comment per byte", () => {
  const packet = new Uint8Array(12);
  encodeRtp({
    marker: true,
    payloadType: 26,
    sequence: 0xabcd,
    timestamp: 0x01020304,
    ssrc: 0xdeadbeef,
  }, packet);
  deepStrictEqual(
    packet,
    Uint8Array.of(
      0x80, // V=2, P=0, X=0, CC=0
      0x9a, // M=1, PT=26
      0xab, // sequence high
      0xcd, // sequence low
      0x01, // timestamp, big-endian ...
      0x02,
      0x03,
      0x04,
      0xde, // SSRC, big-endian ...
      0xad,
      0xbe,
      0xef,
    ),
  );
  const decoded = decodeRtp(packet);
  ok(decoded.ok);
  deepStrictEqual(decoded.header, {
    marker: true,
    payloadType: 26,
    sequence: 0xabcd,
    timestamp: 0x01020304,
    ssrc: 0xdeadbeef,
  });
});

Deno.test("RTP header: CSRCs, extension and padding are skipped; bad ones refused", () => {
  const packet = Uint8Array.of(
    0xb1, // V=2, P=1, X=1, CC=1
    0x1a, // M=0, PT=26
    0,
    1, // sequence 1
    0,
    0,
    0,
    2, // timestamp 2
    0,
    0,
    0,
    3, // SSRC 3
    0,
    0,
    0,
    4, // one CSRC
    0xbe,
    0xde,
    0,
    1, // extension profile, length 1 word
    9,
    9,
    9,
    9, // the extension word
    0x42,
    0x43, // payload
    0,
    0,
    3, // padding: 3 bytes, the count last
  );
  const decoded = decodeRtp(packet);
  ok(decoded.ok);
  deepStrictEqual(
    packet.subarray(decoded.payloadStart, decoded.payloadEnd),
    Uint8Array.of(0x42, 0x43),
  );
  deepStrictEqual(decodeRtp(packet.subarray(0, 11)), { ok: false, reason: "short" });
  deepStrictEqual(decodeRtp(Uint8Array.of(0x40, ...new Uint8Array(11))), {
    ok: false,
    reason: "version",
  });
  deepStrictEqual(decodeRtp(Uint8Array.of(0xa0, ...new Uint8Array(11))), {
    ok: false,
    reason: "padding",
  });
  deepStrictEqual(decodeRtp(Uint8Array.of(0x8f, ...new Uint8Array(11))), {
    ok: false,
    reason: "short",
  });
});

Deno.test("quantTablesForQ matches libjpeg's tables (ImageMagick -quality Q) in zig-zag order", async () => {
  for (const q of [50, 80, 20]) {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/q.jpg`;
      const out = await new Deno.Command("convert", {
        args: [
          ...["-size", "16x16", "gradient:red-blue", "-type", "TrueColor"],
          ...["-quality", String(q), "-sampling-factor", "2x2", path],
        ],
      }).output().catch(() => {
        throw new Error("convert (ImageMagick) is required for this test: apt install imagemagick");
      });
      ok(out.success, new TextDecoder().decode(out.stderr));
      const parsed = parseJpeg(Deno.readFileSync(path));
      ok(parsed.ok);
      const expected = quantTablesForQ(q);
      deepStrictEqual(
        [...parsed.info.quantTables.get(0)!.values],
        [...expected.subarray(0, 64)],
        `Q ${q} luma`,
      );
      deepStrictEqual(
        [...parsed.info.quantTables.get(1)!.values],
        [...expected.subarray(64)],
        `Q ${q} chroma`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  // Q 50 is Table K.1 itself: the first zig-zag entries are 16 11 12 14 12 10.
  deepStrictEqual([...quantTablesForQ(50).subarray(0, 6)], [16, 11, 12, 14, 12, 10]);
  deepStrictEqual(ZIGZAG.slice(0, 6), [0, 1, 8, 16, 9, 2]);
});

Deno.test("packetizer: first packet layout, marker on the last, offsets tile the scan", async () => {
  const [frame] = await testsrcJpegs(1);
  const info = parseJpeg(frame);
  ok(info.ok);
  const packetizer = new RtpJpegPacketizer({
    maxDatagramBytes: 1000,
    ssrc: 0x11223344,
    initialSequence: 0xfffe,
    initialTimestamp: 0xffff_fff0,
  });
  const packets = packetizer.packetize(frame, 1_700_000_000_000_000);
  const first = packets[0];
  deepStrictEqual(
    first.subarray(0, 24),
    Uint8Array.of(
      0x80, // V=2
      26, // M=0, PT=26
      0xff, // sequence 0xfffe ...
      0xfe,
      0xff, // timestamp 0xfffffff0 ...
      0xff,
      0xff,
      0xf0,
      0x11, // SSRC ...
      0x22,
      0x33,
      0x44,
      0, // type-specific: progressive frame
      0, // fragment offset 0 ...
      0,
      0,
      1, // type 1: 4:2:0
      255, // Q 255: tables in-band, may change per frame
      40, // width 320 / 8
      30, // height 240 / 8
      0, // MBZ
      0, // precision: both tables 8-bit
      0, // length of the tables: 128 ...
      128,
    ),
  );
  const [luma, cb] = info.info.components;
  deepStrictEqual([...first.subarray(24, 88)], [
    ...info.info.quantTables.get(luma.quantTableId)!.values,
  ]);
  deepStrictEqual([...first.subarray(88, 152)], [
    ...info.info.quantTables.get(cb.quantTableId)!.values,
  ]);

  const scan = frame.subarray(info.info.scanStart, info.info.scanEnd);
  let offset = 0;
  packets.forEach((packet, i) => {
    ok(packet.length <= 1000);
    const rtp = decodeRtp(packet);
    ok(rtp.ok);
    equal(rtp.header.sequence, (0xfffe + i) & 0xffff); // wraps after 0xffff
    equal(rtp.header.marker, i === packets.length - 1);
    const jpeg = decodeJpegHeader(packet, 12);
    equal(jpeg.fragmentOffset, offset);
    const data = packet.subarray(i === 0 ? 152 : 20);
    deepStrictEqual(data, scan.subarray(offset, offset + data.length));
    offset += data.length;
  });
  equal(offset, scan.length);
  // One frame later by 1/30 s: +3000 ticks of the 90 kHz clock, wrapping at 2^32.
  const next = decodeRtp(packetizer.packetize(frame, 1_700_000_000_033_333)[0]);
  ok(next.ok);
  equal(next.header.timestamp, (0xffff_fff0 + 3000) >>> 0);
  equal(next.header.sequence, (0xfffe + packets.length) & 0xffff);
});

Deno.test("packetizer: DRI gives type 65 with a restart header; 4:2:2 gives type 0", async () => {
  const [withDri] = await testsrcJpegs(1, "320x240", [
    ...["-huffman", "default", "-pix_fmt", "yuvj420p"],
    ...["-threads", "2", "-thread_type", "slice", "-slices", "2"],
  ]);
  const parsed = parseJpeg(withDri);
  ok(parsed.ok);
  ok(parsed.info.restartInterval > 0, "ffmpeg with slices should write DRI");
  const packets = new RtpJpegPacketizer({ maxDatagramBytes: 1200 }).packetize(withDri, 0);
  for (const packet of packets) {
    equal(packet[16], 65); // type 65: 4:2:0 with restart markers
    equal((packet[20] << 8) | packet[21], parsed.info.restartInterval);
    equal((packet[22] << 8) | packet[23], 0xffff); // F=1 L=1 count 0x3FFF: not aligned
  }
  const yuv422 = await imageMagick422(320, 240);
  equal(new RtpJpegPacketizer({ maxDatagramBytes: 1200 }).packetize(yuv422, 0)[0][16], 0);
});

Deno.test("packetizer: frames RFC 2435 cannot carry throw RtpJpegUnsupportedError", async () => {
  const cases: [string, Uint8Array, string][] = [
    [
      "optimal Huffman (ffmpeg's default)",
      (await testsrcJpegs(1, "320x240", ["-pix_fmt", "yuvj420p"]))[0],
      "huffmanTables",
    ],
    [
      "4:4:4",
      (await testsrcJpegs(1, "320x240", ["-huffman", "default", "-pix_fmt", "yuvj444p"]))[0],
      "sampling",
    ],
    ["wider than 2040 px", (await testsrcJpegs(1, "2048x16"))[0], "dimensions"],
    ["not a JPEG", Uint8Array.of(1, 2, 3), "malformed"],
  ];
  const [good] = await testsrcJpegs(1);
  cases.push(["truncated", good.subarray(0, good.length - 100), "malformed"]);
  const progressive = new Uint8Array(good);
  progressive[progressive.indexOf(0xc0, 2)] = 0xc2; // the SOF0 marker becomes SOF2
  cases.push(["progressive", progressive, "notBaseline"]);
  for (const [name, frame, reason] of cases) {
    const packetizer = new RtpJpegPacketizer({ maxDatagramBytes: 1200, initialSequence: 7 });
    throws(() => packetizer.packetize(frame, 0), (error: unknown) => {
      ok(error instanceof RtpJpegUnsupportedError, name);
      equal(error.reason, reason, name);
      ok(error.message.startsWith("Cannot send this JPEG as RTP/JPEG"), error.message);
      return true;
    });
    equal(packetizer.nextSequence, 7, `${name}: a refused frame uses no sequence numbers`);
  }
  throws(() => new RtpJpegPacketizer({ maxDatagramBytes: 100 }), RangeError);
});

Deno.test("round trip: rebuilt JPEGs decode to exactly the original pixels", async () => {
  const frames = [
    ...await testsrcJpegs(3),
    ...await testsrcJpegs(1, "320x240", [
      ...["-huffman", "default", "-pix_fmt", "yuvj420p"],
      ...["-threads", "2", "-thread_type", "slice", "-slices", "2"],
    ]),
    await imageMagick422(320, 240),
  ];
  const prng = new Prng(5);
  const packetizer = new RtpJpegPacketizer({ maxDatagramBytes: 700 });
  const depacketizer = new RtpJpegDepacketizer();
  const rebuilt: Uint8Array[] = [];
  frames.forEach((frame, i) => {
    const packets = prng.shuffle(packetizer.packetize(frame, i * 33_333));
    for (const packet of packets) {
      const out = depacketizer.push(packet, i * 33);
      if (out) rebuilt.push(out.bytes);
    }
  });
  equal(rebuilt.length, frames.length);
  for (const jpeg of rebuilt) {
    const parsed = parseJpeg(jpeg);
    ok(parsed.ok);
    equal(findScanEnd(jpeg, parsed.info.scanStart), jpeg.length - 2);
  }
  deepStrictEqual(
    await decodeJpegsToRgb(rebuilt, 320, 240),
    await decodeJpegsToRgb(frames, 320, 240),
  );
});
