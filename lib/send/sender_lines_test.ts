import { equal } from "node:assert/strict";
import { refusalLine, type StreamingBanner, streamingLine, wireNote } from "./sender_lines.ts";
import type { WireMode } from "../wire/mod.ts";

const BASE: StreamingBanner = {
  source: { kind: "testPattern" },
  size: { width: 1280, height: 720 },
  rate: { kind: "capture", fps: 30 },
  passthrough: false,
  destinations: "127.0.0.1:12345",
  streamId: 0x1234abcd,
  wire: "v1",
  maxDatagramBytes: 1200,
  fec: null,
  nack: true,
  sealed: false,
};

Deno.test("streamingLine: what goes where, and how, word for word", () => {
  const table: [string, Partial<StreamingBanner>, string][] = [
    [
      "test pattern, defaults",
      {},
      "udpcam-send: streaming test pattern at 1280x720 30 fps to 127.0.0.1:12345 (stream id " +
      "0x1234abcd, v1 wire, datagrams <= 1200 bytes, FEC off, NACK answered, not encrypted)",
    ],
    [
      "default camera, FEC, sealed, two destinations, a small stream id",
      {
        source: { kind: "camera", device: null },
        size: { width: 640, height: 480 },
        destinations: "10.0.0.5:12345, [::1]:9000",
        streamId: 0xab,
        fec: { scheme: "rs", groupData: 20, groupParity: 3, interleaved: true },
        sealed: true,
      },
      "udpcam-send: streaming camera (default) at 640x480 30 fps to 10.0.0.5:12345, [::1]:9000 " +
      "(stream id 0x000000ab, v1 wire, datagrams <= 1200 bytes, FEC rs:20/3, NACK answered, " +
      "sealed with AES-256-GCM)",
    ],
    [
      "a named camera, pass-through, xor FEC, NACK off",
      {
        source: { kind: "camera", device: "/dev/video2" },
        passthrough: true,
        fec: { scheme: "xor", groupData: 8, groupParity: 1, interleaved: true },
        nack: false,
      },
      "udpcam-send: streaming camera /dev/video2 at 1280x720 30 fps (pass-through) to " +
      "127.0.0.1:12345 (stream id 0x1234abcd, v1 wire, datagrams <= 1200 bytes, FEC xor:8, " +
      "NACK off, not encrypted)",
    ],
    [
      "a pass-through file at its own rate, rtp",
      {
        source: { kind: "file", path: "clip.mjpeg", loop: true },
        size: null,
        rate: { kind: "fileOwnRate" },
        passthrough: true,
        wire: "rtp",
        nack: false,
      },
      "udpcam-send: streaming file clip.mjpeg at source size the file's own frame rate " +
      "(pass-through) to 127.0.0.1:12345 (stream id 0x1234abcd, rtp wire, datagrams <= 1200 " +
      "bytes, FEC off, NACK off, not encrypted)",
    ],
    [
      "a file at --fps max, legacy, big datagrams",
      {
        source: { kind: "file", path: "a b.mkv", loop: false },
        size: null,
        rate: { kind: "max" },
        wire: "legacy",
        maxDatagramBytes: 65473,
        nack: false,
      },
      "udpcam-send: streaming file a b.mkv at source size as fast as possible to " +
      "127.0.0.1:12345 (stream id 0x1234abcd, legacy wire, datagrams <= 65473 bytes, FEC off, " +
      "NACK off, not encrypted)",
    ],
    [
      "a pass-through file released at --fps 300",
      {
        source: { kind: "file", path: "clip.mjpeg", loop: false },
        rate: { kind: "released", fps: 300 },
        passthrough: true,
      },
      "udpcam-send: streaming file clip.mjpeg at 1280x720 300 fps (pass-through) to " +
      "127.0.0.1:12345 (stream id 0x1234abcd, v1 wire, datagrams <= 1200 bytes, FEC off, " +
      "NACK answered, not encrypted)",
    ],
  ];
  for (const [name, change, line] of table) {
    equal(streamingLine({ ...BASE, ...change }), line, name);
  }
});

Deno.test("wireNote: only legacy has something to say, and macOS's limit past 9216 bytes", () => {
  const table: [WireMode, number, string | null][] = [
    ["v1", 1200, null],
    ["rtp", 1200, null],
    [
      "legacy",
      1200,
      "udpcam-send: legacy wire format: frames up to 305745 bytes (255 datagrams of 1200); " +
      "raise --max-datagram for bigger frames (the original design uses 65473).",
    ],
    [
      "legacy",
      9216,
      "udpcam-send: legacy wire format: frames up to 2349825 bytes (255 datagrams of 9216); " +
      "raise --max-datagram for bigger frames (the original design uses 65473).",
    ],
    [
      "legacy",
      65473,
      "udpcam-send: legacy wire format: frames up to 16695360 bytes (255 datagrams of 65473); " +
      "raise --max-datagram for bigger frames (the original design uses 65473). Note: macOS " +
      "refuses datagrams over 9216 bytes (net.inet.udp.maxdgram).",
    ],
  ];
  for (const [wire, maxDatagramBytes, note] of table) {
    equal(wireNote(wire, maxDatagramBytes), note, `${wire} ${maxDatagramBytes}`);
  }
});

Deno.test("refusalLine: the frame, the reason, and the re-encode hint where it helps", () => {
  const table: [string, WireMode, boolean, unknown, string][] = [
    [
      "rtp, pass-through: re-encoding would make the frame fit",
      "rtp",
      true,
      new Error("RTP/JPEG carries baseline JPEGs only"),
      "udpcam-send: skipped frame 7: RTP/JPEG carries baseline JPEGs only Or drop --passthrough " +
      "to have udpcam re-encode.",
    ],
    [
      "rtp, re-encoded: no hint",
      "rtp",
      false,
      new Error("too big"),
      "udpcam-send: skipped frame 7: too big",
    ],
    [
      "legacy, pass-through: no hint (any JPEG goes; it was too big)",
      "legacy",
      true,
      new RangeError("frame needs 300 datagrams, legacy carries 255"),
      "udpcam-send: skipped frame 7: frame needs 300 datagrams, legacy carries 255",
    ],
    ["a thrown string", "v1", false, "odd", "udpcam-send: skipped frame 7: odd"],
  ];
  for (const [name, wire, passthrough, error, line] of table) {
    equal(refusalLine({ frameNumber: 7, error, wire, passthrough }), line, name);
  }
});
