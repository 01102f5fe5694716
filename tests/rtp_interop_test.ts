/**
 * RTP/JPEG interop with real peers over real UDP on 127.0.0.1: our packetizer into GStreamer's
 * rtpjpegdepay and into ffmpeg (through our SDP), and GStreamer's rtpjpegpay and ffmpeg's RTP
 * muxer into our depacketizer. Decoded pixels are compared with the source.
 */

import { equal, ok } from "node:assert/strict";
import { RtpJpegDepacketizer, RtpJpegPacketizer, writeSdp } from "../lib/wire/rtp/mod.ts";
import {
  closestDiff,
  decodeJpegsToRgb,
  requireCommand,
  splitRaw,
  testsrcJpegs,
} from "./support/ffmpeg_frames.ts";
import { freeUdpPort } from "./support/programs.ts";

const WIDTH = 320;
const HEIGHT = 240;
const RGB_FRAME_BYTES = WIDTH * HEIGHT * 3;
/** Mean absolute RGB difference allowed between two decoders' output of the same JPEG. */
const DECODER_TOLERANCE = 4;
const RTP_CAPS = "application/x-rtp,media=video,encoding-name=JPEG,payload=26,clock-rate=90000";

interface Tool {
  child: Deno.ChildProcess;
  done: Promise<{ code: number; stderr: string }>;
  exited: () => boolean;
}

function startTool(command: string, args: string[]): Tool {
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const done = child.output().then((out) => {
    exited = true;
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  });
  return { child, done, exited: () => exited };
}

/** Asks `tool` to stop (SIGINT lets gst-launch -e finish its files), then insists. */
async function stopTool(tool: Tool): Promise<{ code: number; stderr: string }> {
  for (const signal of ["SIGINT", "SIGKILL"] as const) {
    if (tool.exited()) break;
    try {
      tool.child.kill(signal);
    } catch { /* exited meanwhile */ }
    await Promise.race([tool.done, delay(3000)]);
  }
  return await tool.done;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function fileBytes(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return 0;
  }
}

const requireGst = () =>
  requireCommand("gst-launch-1.0", ["--version"], "gstreamer1.0-tools gstreamer1.0-plugins-good");

/** Sends `frames` round-robin as RTP/JPEG at ~30 fps until `enough()` or the limits run out. */
async function sendUntil(
  port: number,
  frames: Uint8Array[],
  enough: () => Promise<boolean>,
): Promise<number> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const packetizer = new RtpJpegPacketizer({ maxDatagramBytes: 1400 });
  const deadline = Date.now() + 15_000;
  let sent = 0;
  try {
    for (; sent < 450 && Date.now() < deadline; sent++) {
      const packets = packetizer.packetize(frames[sent % frames.length], sent * 33_333);
      for (const packet of packets) {
        await socket.send(packet, { transport: "udp", hostname: "127.0.0.1", port });
      }
      await delay(33);
      if (await enough()) break;
    }
  } finally {
    socket.close();
  }
  return sent;
}

Deno.test("interop: our RTP/JPEG packets decode in GStreamer (rtpjpegdepay ! jpegdec)", async () => {
  await requireGst();
  const sources = await testsrcJpegs(30);
  const reference = await decodeJpegsToRgb(sources, WIDTH, HEIGHT);
  const dir = await Deno.makeTempDir();
  const out = `${dir}/gst.rgb`;
  const port = freeUdpPort();
  const gst = startTool("gst-launch-1.0", [
    "-q",
    "-e",
    ...["udpsrc", "address=127.0.0.1", `port=${port}`, `caps=${RTP_CAPS}`, "!"],
    ...["rtpjpegdepay", "!", "jpegdec", "!", "videoconvert", "!"],
    ...["video/x-raw,format=RGB", "!", "filesink", `location=${out}`, "buffer-mode=unbuffered"],
  ]);
  try {
    await sendUntil(port, sources, async () => {
      if (gst.exited()) throw new Error(`gst-launch-1.0 exited: ${(await gst.done).stderr}`);
      return await fileBytes(out) >= 15 * RGB_FRAME_BYTES;
    });
    await stopTool(gst);
    const decoded = splitRaw(await Deno.readFile(out), RGB_FRAME_BYTES);
    ok(decoded.length >= 15, `GStreamer decoded only ${decoded.length} frames`);
    for (const frame of decoded) {
      const diff = closestDiff(frame, reference);
      ok(diff <= DECODER_TOLERANCE, `a GStreamer frame differs by ${diff.toFixed(2)} per byte`);
    }
  } finally {
    await stopTool(gst);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("interop: ffmpeg plays our RTP/JPEG stream from our SDP", async () => {
  await requireCommand("ffmpeg", ["-version"], "ffmpeg");
  const sources = await testsrcJpegs(30);
  const reference = await decodeJpegsToRgb(sources, WIDTH, HEIGHT);
  const dir = await Deno.makeTempDir();
  // ffmpeg also binds port + 1 for RTCP: pick an even port whose neighbour is free as well.
  let port = freeUdpPort() & ~1;
  for (let tries = 0; tries < 20 && (freeUdpPortIs(port) === false); tries++) {
    port = freeUdpPort() & ~1;
  }
  const sdpPath = `${dir}/stream.sdp`;
  await Deno.writeTextFile(sdpPath, writeSdp({ host: "127.0.0.1", port, framesPerSecond: 30 }));
  const out = `${dir}/ffmpeg.rgb`;
  const ffmpeg = startTool("ffmpeg", [
    ...["-v", "error", "-nostdin", "-y", "-protocol_whitelist", "file,udp,rtp"],
    ...["-i", sdpPath, "-frames:v", "10", "-f", "rawvideo", "-pix_fmt", "rgb24", out],
  ]);
  try {
    await sendUntil(port, sources, () => Promise.resolve(ffmpeg.exited()));
    const result = await stopTool(ffmpeg);
    equal(result.code, 0, `ffmpeg failed: ${result.stderr}`);
    const decoded = splitRaw(await Deno.readFile(out), RGB_FRAME_BYTES);
    equal(decoded.length, 10, "ffmpeg should have written 10 frames");
    for (const frame of decoded) {
      const diff = closestDiff(frame, reference);
      ok(diff <= DECODER_TOLERANCE, `an ffmpeg frame differs by ${diff.toFixed(2)} per byte`);
    }
  } finally {
    await stopTool(ffmpeg);
    await Deno.remove(dir, { recursive: true });
  }
});

function freeUdpPortIs(port: number): boolean {
  try {
    const a = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port });
    const b = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: port + 1 });
    a.close();
    b.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Receives on a fresh socket while `start(port)` runs a sender, feeding our depacketizer until
 * `wanted` frames came out, the sender exited and went quiet, or 15 s passed.
 */
async function receiveFrames(
  start: (port: number) => Tool,
  wanted: number,
): Promise<{ frames: Uint8Array[]; depacketizer: RtpJpegDepacketizer; stderr: string }> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (socket.addr as Deno.NetAddr).port;
  const depacketizer = new RtpJpegDepacketizer();
  const frames: Uint8Array[] = [];
  const tool = start(port);
  let pending = socket.receive();
  const deadline = Date.now() + 15_000;
  let quietSinceMs = Date.now();
  try {
    for (let datagrams = 0; datagrams < 100_000 && Date.now() < deadline; datagrams++) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const result = await Promise.race([
        pending,
        new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), 200)),
      ]);
      clearTimeout(timer);
      if (result === null) {
        depacketizer.expire(Date.now());
        if (tool.exited() && Date.now() - quietSinceMs > 1000) break;
        continue;
      }
      pending = socket.receive();
      quietSinceMs = Date.now();
      const frame = depacketizer.push(result[0], Date.now());
      if (frame !== null) frames.push(frame.bytes);
      if (frames.length >= wanted) break;
    }
  } finally {
    socket.close();
    await pending.catch(() => {});
  }
  const { stderr } = await stopTool(tool);
  return { frames, depacketizer, stderr };
}

Deno.test("interop: GStreamer rtpjpegpay into our depacketizer", async () => {
  await requireGst();
  const caps = `video/x-raw,width=${WIDTH},height=${HEIGHT},framerate=30/1,format=I420`;
  const source = ["videotestsrc", "num-buffers=90", "pattern=ball", "!", caps, "!", "jpegenc"];
  const { frames, depacketizer, stderr } = await receiveFrames(
    (port) =>
      startTool("gst-launch-1.0", [
        "-q",
        ...source.slice(0, 2),
        "is-live=true",
        ...source.slice(2),
        ...["!", "rtpjpegpay", "!", "udpsink", "host=127.0.0.1", `port=${port}`],
      ]),
    20,
  );
  ok(frames.length >= 20, `only ${frames.length} frames rebuilt: ${stderr}`);
  ok(depacketizer.ssrc !== null);

  // Reference: the same JPEGs decoded by GStreamer itself, without RTP in between.
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/ref.rgb`;
    const ref = await new Deno.Command("gst-launch-1.0", {
      args: [
        "-q",
        ...source,
        ...["!", "jpegdec", "!", "videoconvert", "!", "video/x-raw,format=RGB"],
        ...["!", "filesink", `location=${out}`],
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    ok(ref.success, new TextDecoder().decode(ref.stderr));
    const reference = splitRaw(await Deno.readFile(out), RGB_FRAME_BYTES);
    const decoded = await decodeJpegsToRgb(frames, WIDTH, HEIGHT);
    equal(decoded.length, frames.length, "ffmpeg should decode every rebuilt frame");
    for (const frame of decoded) {
      const diff = closestDiff(frame, reference);
      ok(diff <= DECODER_TOLERANCE, `a rebuilt frame differs by ${diff.toFixed(2)} per byte`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("interop: ffmpeg's RTP muxer into our depacketizer", async () => {
  await requireCommand("ffmpeg", ["-version"], "ffmpeg");
  const encoder = ["-huffman", "default", "-pix_fmt", "yuvj420p"];
  const { frames, stderr } = await receiveFrames(
    (port) =>
      startTool("ffmpeg", [
        ...["-v", "error", "-nostdin", "-re"],
        ...["-f", "lavfi", "-i", `testsrc2=size=${WIDTH}x${HEIGHT}:rate=30`],
        ...["-frames:v", "90", "-c:v", "mjpeg", ...encoder, "-f", "rtp"],
        `rtp://127.0.0.1:${port}`,
      ]),
    20,
  );
  ok(frames.length >= 20, `only ${frames.length} frames rebuilt: ${stderr}`);
  const reference = await decodeJpegsToRgb(await testsrcJpegs(90), WIDTH, HEIGHT);
  const decoded = await decodeJpegsToRgb(frames, WIDTH, HEIGHT);
  equal(decoded.length, frames.length, "ffmpeg should decode every rebuilt frame");
  for (const frame of decoded) {
    const diff = closestDiff(frame, reference);
    // Same encoder, same settings, same decoder: only the RTP round trip in between.
    ok(diff <= 1, `a rebuilt frame differs by ${diff.toFixed(2)} per byte`);
  }
});
