import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  buildFfmpegArgs,
  type CaptureSettings,
  parseDeviceList,
  qualityToQscale,
} from "./ffmpeg_args.ts";

const base: CaptureSettings = {
  source: { kind: "camera", device: null },
  size: { width: 640, height: 480 },
  fps: 30,
  realtime: true,
  quality: 80,
  passthrough: false,
  standardHuffmanTables: false,
};

function inputOf(args: string[]): string[] {
  return args.slice(args.indexOf("-loglevel") + 2, args.indexOf("-an"));
}

Deno.test("camera input per OS", () => {
  deepStrictEqual(inputOf(buildFfmpegArgs(base, "linux")), [
    "-fflags",
    "nobuffer",
    "-f",
    "v4l2",
    "-input_format",
    "mjpeg",
    "-framerate",
    "30",
    "-video_size",
    "640x480",
    "-i",
    "/dev/video0",
  ]);
  const mac = inputOf(buildFfmpegArgs(base, "darwin"));
  deepStrictEqual(mac.slice(2, 4), ["-f", "avfoundation"]);
  equal(mac.at(-1), "0:none");
  const win = buildFfmpegArgs(
    { ...base, source: { kind: "camera", device: "HD Webcam" } },
    "windows",
  );
  equal(inputOf(win).at(-1), "video=HD Webcam");
});

Deno.test("re-encode vs pass-through output", () => {
  const reencode = buildFfmpegArgs(base, "linux");
  deepStrictEqual(reencode.slice(reencode.indexOf("-vf")), [
    "-vf",
    "scale=640:480,format=yuvj420p",
    "-c:v",
    "mjpeg",
    "-q:v",
    String(qualityToQscale(80)),
    "-f",
    "mjpeg",
    "-flush_packets",
    "1",
    "pipe:1",
  ]);
  const copy = buildFfmpegArgs({ ...base, passthrough: true }, "linux");
  ok(copy.includes("copy") && !copy.includes("-vf"));
  const rtp = buildFfmpegArgs({ ...base, standardHuffmanTables: true }, "linux");
  deepStrictEqual(rtp.slice(rtp.indexOf("-huffman"), rtp.indexOf("-huffman") + 2), [
    "-huffman",
    "default",
  ]);
});

Deno.test("test pattern and looped file", () => {
  const pattern = buildFfmpegArgs({ ...base, source: { kind: "testPattern" } }, "linux");
  ok(pattern.includes("-re") && pattern.includes("lavfi"));
  ok(pattern.some((arg) => arg.startsWith("testsrc2=size=640x480:rate=30,drawtext=")));
  const file = buildFfmpegArgs(
    { ...base, source: { kind: "file", path: "a.mp4", loop: true } },
    "linux",
  );
  deepStrictEqual(inputOf(file), ["-re", "-stream_loop", "-1", "-i", "a.mp4"]);
  ok(file.includes("scale=640:480,fps=30,format=yuvj420p"));
});

Deno.test("a file at max rate: no -re and no rate filter, re-encoded or copied", () => {
  const source = { kind: "file" as const, path: "a.mkv", loop: false };
  const encoded = buildFfmpegArgs({ ...base, source, realtime: false }, "linux");
  deepStrictEqual(inputOf(encoded), ["-i", "a.mkv"]);
  ok(encoded.includes("scale=640:480,format=yuvj420p"));
  const copied = buildFfmpegArgs({ ...base, source, realtime: false, passthrough: true }, "linux");
  deepStrictEqual(inputOf(copied), ["-i", "a.mkv"]);
  ok(copied.includes("copy"));
});

Deno.test("qualityToQscale maps 1..100 onto 31..2", () => {
  deepStrictEqual([1, 50, 80, 100, 0, 500].map(qualityToQscale), [31, 17, 8, 2, 31, 2]);
});

Deno.test("parseDeviceList reads dshow and avfoundation listings", () => {
  const dshow = [
    '[dshow @ 000001] "Integrated Camera" (video)',
    '[dshow @ 000001]   Alternative name "@device_pnp_\\\\?\\usb#vid"',
    '[dshow @ 000001] "Microphone (Realtek)" (audio)',
    '[dshow @ 000001] "OBS Virtual Camera" (video)',
  ].join("\r\n");
  deepStrictEqual(parseDeviceList("windows", dshow), ["Integrated Camera", "OBS Virtual Camera"]);
  const avf = [
    "[AVFoundation indev @ 0x1] AVFoundation video devices:",
    "[AVFoundation indev @ 0x1] [0] FaceTime HD Camera",
    "[AVFoundation indev @ 0x1] [1] Capture screen 0",
    "[AVFoundation indev @ 0x1] AVFoundation audio devices:",
    "[AVFoundation indev @ 0x1] [0] MacBook Pro Microphone",
  ].join("\n");
  deepStrictEqual(parseDeviceList("darwin", avf), ["0: FaceTime HD Camera", "1: Capture screen 0"]);
  const v4l2 = [
    "Auto-detected sources for video4linux2,v4l2:",
    "* /dev/video0 [Integrated Camera: Integrated C]",
    "  /dev/video2 [USB Camera]",
  ].join("\n");
  deepStrictEqual(parseDeviceList("linux", v4l2), [
    "/dev/video0: Integrated Camera: Integrated C",
    "/dev/video2: USB Camera",
  ]);
});

Deno.test("the test pattern's clock filter is accepted by the real ffmpeg", async () => {
  const args = buildFfmpegArgs(
    { ...base, size: { width: 160, height: 120 }, source: { kind: "testPattern" } },
    "linux",
  ).map((arg) => arg === "-re" ? "-nostats" : arg);
  args.splice(args.indexOf("-an"), 0, "-frames:v", "2");
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("ffmpeg", { args, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    throw new Error(`ffmpeg is needed for this test (apt install ffmpeg): ${error}`);
  }
  equal(new TextDecoder().decode(output.stderr), "");
  equal(output.code, 0);
  deepStrictEqual([...output.stdout.subarray(0, 2)], [0xff, 0xd8]);
});
