/**
 * `--wire legacy` and `--wire rtp` end to end through the real programs, and with real peers
 * (ffmpeg reading our SDP, GStreamer's rtpjpegpay sending to us).
 */

import { equal, match, ok } from "node:assert/strict";
import { ffmpegDecodeErrors, readMjpegFrames, sha256 } from "./support/mjpeg.ts";
import { parseJpeg } from "../lib/jpeg/mod.ts";
import {
  freeUdpPort,
  jsonLines,
  requireTool,
  startLoopbackReceiver,
  startProgram,
  startTestPatternSender,
  stopProgram,
} from "./support/programs.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stream(wire: string, dir: string, senderExtra: string[] = []) {
  const { receiver, port } = await startLoopbackReceiver([
    "--wire",
    wire,
    "--headless",
    "--record",
    `${dir}/received.mjpeg`,
    "--stats-json",
    "--duration",
    "30",
  ]);
  const sender = startTestPatternSender(port, [
    "--size",
    "640x480",
    "--wire",
    wire,
    "--frames",
    "45",
    "--save",
    `${dir}/sent.mjpeg`,
    ...senderExtra,
  ]);
  const sent = await sender.done;
  equal(sent.code, 0, sent.stderr);
  await sleep(500);
  const received = await stopProgram(receiver);
  equal(received.code, 0, received.stderr);
  return { sent, received, port };
}

Deno.test("--wire legacy end to end: frames byte-identical, limits explained", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-legacy-" });
  try {
    const { sent } = await stream("legacy", dir, ["--max-datagram", "9000"]);
    match(sent.stderr, /legacy wire format: frames up to 2294745 bytes/);
    const sentHashes = new Set<string>();
    for (const frame of readMjpegFrames(`${dir}/sent.mjpeg`)) sentHashes.add(await sha256(frame));
    const frames = readMjpegFrames(`${dir}/received.mjpeg`);
    ok(frames.length >= 40, `${frames.length} of 45 frames`);
    for (const frame of frames) ok(sentHashes.has(await sha256(frame)), "frame differs");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--wire rtp end to end: rebuilt JPEGs decode cleanly and match the sent picture", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-rtp-" });
  try {
    const { received } = await stream("rtp", dir);
    const frames = readMjpegFrames(`${dir}/received.mjpeg`);
    ok(frames.length >= 40, `${frames.length} of 45 frames`);
    equal(await ffmpegDecodeErrors(`${dir}/received.mjpeg`), "");
    // RTP/JPEG rebuilds the headers, so compare pictures: the rebuilt first frame decodes to the
    // same pixels as the frame sent (identical scan data and tables).
    const decode = async (path: string) =>
      (await new Deno.Command("ffmpeg", {
        args: [
          "-v",
          "error",
          "-i",
          path,
          "-frames:v",
          "1",
          "-f",
          "rawvideo",
          "-pix_fmt",
          "rgb24",
          "-",
        ],
        stdout: "piped",
      }).output()).stdout;
    const sentFrames = readMjpegFrames(`${dir}/sent.mjpeg`);
    const rebuilt = await decode(`${dir}/received.mjpeg`);
    let matched = false;
    for (const [i, frame] of sentFrames.entries()) {
      await Deno.writeFile(`${dir}/one.jpg`, frame);
      const original = await decode(`${dir}/one.jpg`);
      if (original.length === rebuilt.length && original.every((v, j) => v === rebuilt[j])) {
        matched = true;
        break;
      }
      if (i > 10) break;
    }
    ok(matched, "the first rebuilt frame equals none of the first frames sent, pixel for pixel");
    const last = jsonLines(received.stdout).at(-1) as { streamId: string };
    match(String(last.streamId), /^0x[0-9a-f]{8}$/, "the RTP SSRC is reported as the stream id");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ffmpeg plays udpcam-send --wire rtp from the SDP file it writes", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-sdp-" });
  const port = freeUdpPort();
  const player = new Deno.Command("ffmpeg", {
    args: [
      "-v",
      "error",
      "-protocol_whitelist",
      "file,udp,rtp",
      "-i",
      `${dir}/stream.sdp`,
      "-frames:v",
      "15",
      "-f",
      "null",
      "-",
    ],
    stdout: "null",
    stderr: "piped",
  });
  try {
    // Write the SDP first (the sender writes it at start), so the player can open it.
    const sender = startTestPatternSender(port, [
      "--size",
      "320x240",
      "--wire",
      "rtp",
      "--sdp",
      `${dir}/stream.sdp`,
      "--duration",
      "20",
    ]);
    await sender.waitForStderr(/udpcam-send: streaming/);
    match(await Deno.readTextFile(`${dir}/stream.sdp`), /m=video \d+ RTP\/AVP 26/);
    const playing = player.spawn();
    const timer = setTimeout(() => playing.kill("SIGKILL"), 15_000);
    const played = await playing.output();
    clearTimeout(timer);
    await stopProgram(sender);
    equal(played.code, 0, new TextDecoder().decode(played.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("udpcam-recv --wire rtp shows GStreamer's rtpjpegpay stream", async () => {
  await requireTool("gst-launch-1.0", "gstreamer1.0-tools gstreamer1.0-plugins-good");
  const { receiver, port } = await startLoopbackReceiver([
    "--wire",
    "rtp",
    "--headless",
    "--stats-json",
    "--frames",
    "20",
    "--duration",
    "30",
  ]);
  const gst = new Deno.Command("gst-launch-1.0", {
    args: [
      "-q",
      "videotestsrc",
      "num-buffers=60",
      "is-live=true",
      "!",
      "video/x-raw,width=320,height=240,framerate=30/1,format=I420",
      "!",
      "jpegenc",
      "!",
      "rtpjpegpay",
      "!",
      "udpsink",
      "host=127.0.0.1",
      `port=${port}`,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => gst.kill("SIGKILL"), 20_000);
  await gst.status;
  clearTimeout(timer);
  const result = await receiver.done;
  equal(result.code, 0, result.stderr);
  const last = jsonLines(result.stdout).at(-1) as { frames: { complete: number } };
  ok(last.frames.complete >= 20, `${last.frames.complete} frames`);
});

Deno.test("--wire rtp --stream SSRC: of two RTP senders on one port, only the locked one is recorded", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-rtp-lock-" });
  // ffmpeg's RTP muxer takes its SSRC from -ssrc (an int: below 2^31).
  const lockedSsrc = 0x0bad_cafe;
  const port = freeUdpPort();
  const receiver = startProgram("receiver.ts", [
    ...["--listen", `127.0.0.1:${port}`, "--wire", "rtp", "--stream", "0x0badcafe"],
    ...["--headless", "--record", `${dir}/received.mjpeg`, "--stats-json"],
    ...["--frames", "30", "--duration", "30"],
  ]);
  // udpcam-send (640x480) starts first: without the lock the receiver would follow it for good.
  const ours = startTestPatternSender(port, [
    "--size",
    "640x480",
    "--wire",
    "rtp",
    "--duration",
    "30",
  ]);
  let ffmpeg: Deno.ChildProcess | null = null;
  try {
    await receiver.waitForStderr(/listening on 127\.0\.0\.1:\d+/);
    await ours.waitForStderr(/udpcam-send: streaming/);
    await sleep(300);
    ffmpeg = new Deno.Command("ffmpeg", {
      args: [
        ...["-v", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "20"],
        ...["-pix_fmt", "yuvj420p", "-c:v", "mjpeg", "-huffman", "default"],
        ...["-ssrc", String(lockedSsrc), "-f", "rtp", `rtp://127.0.0.1:${port}`],
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const received = await receiver.done;
    equal(received.code, 0, received.stderr);
    const frames = readMjpegFrames(`${dir}/received.mjpeg`);
    ok(frames.length >= 30, `${frames.length} frames recorded`);
    for (const frame of frames) {
      const parsed = parseJpeg(frame);
      ok(parsed.ok, "a recorded frame does not parse");
      equal(`${parsed.info.width}x${parsed.info.height}`, "320x240", "a frame of the other sender");
    }
    const last = jsonLines(received.stdout).at(-1) as {
      streamId: string;
      datagrams: { droppedBy: Record<string, number> };
    };
    equal(last.streamId, "0x0badcafe");
    ok(last.datagrams.droppedBy.otherSsrc > 0, "udpcam-send's packets were not refused");
  } finally {
    try {
      ffmpeg?.kill("SIGKILL");
    } catch { /* exited */ }
    await ffmpeg?.status;
    await stopProgram(ours);
    await stopProgram(receiver);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--wire combinations that cannot work are refused with the reason", async () => {
  const cases: [string[], RegExp][] = [
    [["--wire", "rtp", "--fec"], /--fec needs --wire v1/],
    [["--wire", "legacy", "--sdp", "x.sdp"], /--sdp describes an RTP stream/],
    [["--wire", "rtp", "--test-pattern", "--size", "2048x1080"], /up to 2040 pixels/],
    [["--wire", "srt"], /--wire must be one of v1, legacy, rtp, got "srt"/],
  ];
  for (const [args, expected] of cases) {
    const result = await startProgram("sender.ts", args).done;
    equal(result.code, 2, args.join(" "));
    match(result.stderr, expected);
  }
});
