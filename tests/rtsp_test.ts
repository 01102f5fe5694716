/**
 * `--rtsp` end to end with real players on loopback: ffmpeg over UDP and TCP records frames from
 * udpcam-send that decode to exactly the pixels the sender sent (its `--save`, decoded the same
 * way); GStreamer's rtspsrc decodes; two players at once while a third client stops reading (the
 * players keep getting frames, the sender's memory stays bounded, the stalled client is closed);
 * Digest credentials right and wrong; udpcam-recv re-serving a v1 stream; what Debian's VLC (no
 * live555) sends; bad flags.
 */

import { equal, ok } from "node:assert/strict";
import { decodeJpegsToRgb, requireCommand, runFfmpeg } from "./support/ffmpeg_frames.ts";
import { readMjpegFrames, sha256 } from "./support/mjpeg.ts";
import {
  jsonLines,
  type RunningProgram,
  startLoopbackReceiver,
  startProgram,
  stopProgram,
} from "./support/programs.ts";
import { type InterleavedFrame, RawRtspClient } from "./support/rtsp_client.ts";
import { SENDER_PERMISSIONS, UNSTABLE_FLAGS } from "../tools/permissions.ts";

const WIDTH = 320;
const HEIGHT = 240;
/** A player run is given up after this long, whatever it does. */
const RUN_LIMIT_MS = 40_000;
const URL_LINE = /RTSP clients open (rtsp:\/\/\S+)/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `command` to its end (killed after `limitMs`); stdout and stderr collected. */
async function run(
  command: string,
  args: string[],
  limitMs = RUN_LIMIT_MS,
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const limit = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited meanwhile */ }
  }, limitMs);
  try {
    const output = await child.output();
    return {
      code: output.code,
      stdout: output.stdout,
      stderr: new TextDecoder().decode(output.stderr),
    };
  } finally {
    clearTimeout(limit);
  }
}

/** Waits for a program that should exit by itself; stopped after `limitMs` if it does not. */
async function exitOf(program: RunningProgram, limitMs = 20_000) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    program.done,
    new Promise((resolve) => timer = setTimeout(resolve, limitMs)),
  ]);
  clearTimeout(timer);
  return await stopProgram(program);
}

/** The URL a program printed on its "RTSP clients open" line. */
async function rtspUrlOf(program: RunningProgram): Promise<string> {
  const line = await program.waitForStderr(URL_LINE);
  return URL_LINE.exec(line)![1];
}

/** Starts udpcam-send on the test pattern serving RTSP on a free loopback port. */
async function startRtspSender(
  args: string[],
): Promise<{ sender: RunningProgram; url: string }> {
  const sender = startProgram("sender.ts", [
    "--test-pattern",
    ...["--rtsp", "127.0.0.1:0", "--stats-json"],
    ...args,
  ]);
  try {
    return { sender, url: await rtspUrlOf(sender) };
  } catch (error) {
    await stopProgram(sender);
    throw error;
  }
}

/** The SHA-256 of each frame's decoded RGB pixels. */
async function pixelHashes(jpegs: Uint8Array[]): Promise<string[]> {
  const frames = await decodeJpegsToRgb(jpegs, WIDTH, HEIGHT);
  return await Promise.all(frames.map((frame) => sha256(frame)));
}

/** The last `rtsp` object the program printed on --stats-json. */
function lastRtspStats(stdout: string): Record<string, unknown> {
  const lines = jsonLines(stdout).filter((line) => "rtsp" in line);
  ok(lines.length > 0, "no --stats-json line with rtsp");
  return lines[lines.length - 1].rtsp as Record<string, unknown>;
}

/** Records `count` frames from `url` over `transport` with ffmpeg, copying the JPEGs it rebuilt. */
async function recordFrames(url: string, transport: string, count: number, path: string) {
  return await run("ffmpeg", [
    ...["-v", "error", "-nostdin", "-rtsp_transport", transport, "-i", url],
    ...["-frames:v", String(count), "-c", "copy", "-f", "mjpeg", "-y", path],
  ]);
}

for (const transport of ["udp", "tcp"]) {
  Deno.test(`ffmpeg -rtsp_transport ${transport} records frames pixel-identical to what the sender sent`, async () => {
    await requireCommand("ffmpeg", ["-version"], "ffmpeg");
    const dir = await Deno.makeTempDir();
    const { sender, url } = await startRtspSender([
      ...["--size", `${WIDTH}x${HEIGHT}`, "--fps", "15", "--save", `${dir}/sent.mjpeg`],
    ]);
    try {
      const recorded = await recordFrames(url, transport, 20, `${dir}/got.mjpeg`);
      equal(recorded.code, 0, recorded.stderr);
      const done = await stopProgram(sender);
      equal(done.code, 0, done.stderr);
      const got = readMjpegFrames(`${dir}/got.mjpeg`);
      equal(got.length, 20);
      // Decodable: ffmpeg decodes every recorded frame without a word on stderr.
      const decoded = await run("ffmpeg", [
        "-v",
        "error",
        "-i",
        `${dir}/got.mjpeg`,
        "-f",
        "null",
        "-",
      ]);
      equal(decoded.code, 0);
      equal(decoded.stderr.trim(), "");
      const sent = new Set(await pixelHashes(readMjpegFrames(`${dir}/sent.mjpeg`)));
      const received = await pixelHashes(got);
      equal(received.length, 20);
      for (const [i, hash] of received.entries()) {
        ok(sent.has(hash), `recorded frame ${i} matches no frame the sender sent, pixel for pixel`);
      }
      const stats = lastRtspStats(done.stdout) as {
        counters: { server: { sessionsCreated: number }; delivery: { senderReports: number } };
      };
      equal(stats.counters.server.sessionsCreated, 1);
      ok(stats.counters.delivery.senderReports >= 1, "an RTCP sender report went out");
    } finally {
      await stopProgram(sender);
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`GStreamer rtspsrc protocols=${transport} ! rtpjpegdepay ! jpegdec decodes frames`, async () => {
    await requireCommand("gst-launch-1.0", ["--version"], "gstreamer1.0-tools");
    const { sender, url } = await startRtspSender(["--size", `${WIDTH}x${HEIGHT}`]);
    try {
      const output = await run("gst-launch-1.0", [
        ...["-q", "rtspsrc", `location=${url}`, `protocols=${transport}`, "!"],
        ...["rtpjpegdepay", "!", "jpegdec", "!", "fakesink", "num-buffers=10"],
      ]);
      const log = output.stderr + new TextDecoder().decode(output.stdout);
      equal(output.code, 0, log);
    } finally {
      const done = await stopProgram(sender);
      const stats = lastRtspStats(done.stdout) as {
        counters: { server: { requests: Record<string, number> } };
      };
      ok((stats.counters.server.requests.PLAY ?? 0) >= 1);
    }
  });
}

Deno.test("two players at once while a third client never reads: they get frames, memory stays bounded, it is closed", async () => {
  await requireCommand("ffmpeg", ["-version"], "ffmpeg");
  // 720p at quality 80: about 3 MB/s, so the stalled client fills loopback's buffers quickly.
  const { sender, url } = await startRtspSender(["--size", "1280x720"]);
  const stalled = await RawRtspClient.connect(url);
  const rss: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    // Bounded: the test stops it, and each pass sleeps.
    for (let i = 0; i < 200 && sampling; i++) {
      const status = await Deno.readTextFile(`/proc/${sender.child.pid}/status`).catch(() => "");
      const kb = /VmRSS:\s+(\d+) kB/.exec(status);
      if (kb) rss.push(Number(kb[1]) / 1024);
      await sleep(250);
    }
  })();
  try {
    equal((await stalled.playTcp()).status, 200);
    // From here on the stalled client reads nothing.
    const players = await Promise.all(["udp", "tcp"].map((transport) =>
      run("ffmpeg", [
        ...["-v", "error", "-nostdin", "-rtsp_transport", transport, "-i", url],
        ...["-frames:v", "240", "-c", "copy", "-f", "framecrc", "pipe:1"],
      ])
    ));
    for (const [i, player] of players.entries()) {
      equal(player.code, 0, player.stderr);
      const frames = new TextDecoder().decode(player.stdout).split("\n")
        .filter((line) => /^\d+,/.test(line));
      equal(frames.length, 240, `player ${i} got ${frames.length} frames`);
    }
    // The stalled client is closed once it has skipped frames for the stall limit (10 s).
    await sender.waitForStdout(/"slowClientCloses":1/, 30_000);
  } finally {
    sampling = false;
    await sampler;
    stalled.close();
  }
  const done = await stopProgram(sender);
  const stats = lastRtspStats(done.stdout) as {
    counters: {
      sockets: { slowClientCloses: number; tcpBytesQueued: number };
      delivery: { framesSkipped: number; stalledConnections: number };
    };
  };
  ok(stats.counters.delivery.framesSkipped > 0, JSON.stringify(stats.counters));
  equal(stats.counters.sockets.slowClientCloses, 1, JSON.stringify(stats.counters));
  // Memory: after start-up, the RSS stays within a fixed margin, with a client that never read.
  ok(rss.length >= 8, `${rss.length} RSS samples`);
  const settled = rss[4];
  const peak = Math.max(...rss.slice(4));
  ok(peak - settled < 64, `RSS grew from ${settled.toFixed(0)} MB to ${peak.toFixed(0)} MB`);
  for (const line of jsonLines(done.stdout)) {
    const queued = (line.rtsp as typeof stats | undefined)?.counters.sockets.tcpBytesQueued ?? 0;
    ok(queued <= 2 * 1024 * 1024, `${queued} bytes queued for RTSP connections`);
  }
});

Deno.test("Digest credentials through ffmpeg: right ones play, wrong ones get 401 and no frame", async () => {
  await requireCommand("ffmpeg", ["-version"], "ffmpeg");
  const { sender, url } = await startRtspSender([
    ...["--size", `${WIDTH}x${HEIGHT}`, "--rtsp-user", "cam:s3cret-pw"],
  ]);
  try {
    const withUser = (password: string) => url.replace("rtsp://", `rtsp://cam:${password}@`);
    const right = await run("ffmpeg", [
      ...["-v", "error", "-nostdin", "-rtsp_transport", "tcp", "-i", withUser("s3cret-pw")],
      ...["-frames:v", "5", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
    ]);
    equal(right.code, 0, right.stderr);
    equal(right.stdout.length, 5 * WIDTH * HEIGHT);
    const wrong = await run("ffmpeg", [
      ...["-v", "error", "-nostdin", "-rtsp_transport", "tcp", "-i", withUser("guess")],
      ...["-frames:v", "5", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
    ]);
    ok(wrong.code !== 0, "ffmpeg played with a wrong password");
    ok(/401/.test(wrong.stderr), wrong.stderr);
    equal(wrong.stdout.length, 0);
  } finally {
    const done = await stopProgram(sender);
    const stats = lastRtspStats(done.stdout) as {
      clients: unknown[];
      counters: { auth: { accepted: number; refused: Record<string, number> } };
    };
    ok(stats.counters.auth.accepted >= 3, JSON.stringify(stats.counters.auth));
    ok(stats.counters.auth.refused.response >= 1, JSON.stringify(stats.counters.auth));
    ok(done.stderr.includes("(Digest or Basic, user cam)"), done.stderr);
  }
});

Deno.test("udpcam-recv --rtsp re-serves a v1 stream: frames pixel-identical to what the sender sent", async () => {
  await requireCommand("ffmpeg", ["-version"], "ffmpeg");
  const dir = await Deno.makeTempDir();
  // A camera-like MJPEG file with the standard tables, forwarded as it is over udpcam v1.
  await runFfmpeg([
    ...["-f", "lavfi", "-i", `testsrc2=size=${WIDTH}x${HEIGHT}:rate=30`, "-frames:v", "60"],
    ...["-huffman", "default", "-pix_fmt", "yuvj420p", "-f", "mjpeg", "-y", `${dir}/cam.mjpeg`],
  ]);
  const { receiver, port } = await startLoopbackReceiver([
    ...["--headless", "--rtsp", "127.0.0.1:0", "--stats-json"],
  ]);
  const sender = startProgram("sender.ts", [
    ...["--file", `${dir}/cam.mjpeg`, "--passthrough", "--to", `127.0.0.1:${port}`],
  ]);
  try {
    const url = await rtspUrlOf(receiver);
    const recorded = await recordFrames(url, "tcp", 20, `${dir}/got.mjpeg`);
    equal(recorded.code, 0, recorded.stderr);
    const sent = new Set(await pixelHashes(readMjpegFrames(`${dir}/cam.mjpeg`)));
    const received = await pixelHashes(readMjpegFrames(`${dir}/got.mjpeg`));
    equal(received.length, 20);
    for (const [i, hash] of received.entries()) ok(sent.has(hash), `frame ${i} differs`);
  } finally {
    await stopProgram(sender);
    const done = await stopProgram(receiver);
    const stats = lastRtspStats(done.stdout) as {
      counters: { frames: { packetized: number; unfit: Record<string, number> } };
    };
    ok(stats.counters.frames.packetized >= 20, JSON.stringify(stats.counters.frames));
    equal(Object.keys(stats.counters.frames.unfit).length, 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("udpcam-recv --rtsp re-encodes the frames RFC 2435 cannot carry as they are", async () => {
  const { receiver, port } = await startLoopbackReceiver([
    ...["--headless", "--rtsp", "127.0.0.1:0", "--stats-json"],
  ]);
  // udpcam-send's v1 default: ffmpeg's optimal Huffman tables, which RTP/JPEG cannot carry.
  const sender = startProgram("sender.ts", [
    ...["--test-pattern", "--size", `${WIDTH}x${HEIGHT}`, "--to", `127.0.0.1:${port}`],
  ]);
  let client: RawRtspClient | null = null;
  let frames: InterleavedFrame[] = [];
  try {
    client = await RawRtspClient.connect(await rtspUrlOf(receiver));
    equal((await client.playTcp()).status, 200);
    frames = await client.readFrames(10);
  } finally {
    client?.close();
    await stopProgram(sender);
  }
  const done = await stopProgram(receiver);
  const stats = lastRtspStats(done.stdout) as {
    counters: { frames: { packetized: number; reencoded: number; unfit: Record<string, number> } };
  };
  const markers = frames.filter((f) => f.channel === 0 && (f.payload[1] & 0x80) !== 0).length;
  ok(markers >= 10, `${markers} RTP frames read`);
  ok(stats.counters.frames.reencoded >= 10, JSON.stringify(stats.counters.frames));
  equal(Object.keys(stats.counters.frames.unfit).length, 0, JSON.stringify(stats.counters.frames));
  equal(done.stderr.match(/RFC 2435 cannot carry/g), null, done.stderr);
});

Deno.test("udpcam-recv --rtsp without libjpeg-turbo skips unfit frames, counted, with one line", async () => {
  const { receiver, port } = await startLoopbackReceiver(
    ["--headless", "--rtsp", "127.0.0.1:0", "--stats-json"],
    { env: { UDPCAM_TURBOJPEG_LIB: "/nonexistent/libturbojpeg.so" } },
  );
  const sender = startProgram("sender.ts", [
    ...["--test-pattern", "--size", `${WIDTH}x${HEIGHT}`, "--to", `127.0.0.1:${port}`],
  ]);
  let client: RawRtspClient | null = null;
  try {
    client = await RawRtspClient.connect(await rtspUrlOf(receiver));
    equal((await client.playTcp()).status, 200);
    await receiver.waitForStderr(/RTSP clients skip the frames RFC 2435 cannot carry/);
    await sleep(1500);
  } finally {
    client?.close();
    await stopProgram(sender);
  }
  const done = await stopProgram(receiver);
  const stats = lastRtspStats(done.stdout) as {
    counters: { frames: { packetized: number; unfit: Record<string, number> } };
  };
  ok((stats.counters.frames.unfit.huffmanTables ?? 0) > 0, JSON.stringify(stats.counters.frames));
  equal(stats.counters.frames.packetized, 0);
  equal(done.stderr.match(/RFC 2435 cannot carry/g)?.length, 1, "one line, not one per frame");
});

Deno.test("VLC without live555: its SAT>IP and RealRTSP probes get proper statuses; the server stays up", async () => {
  await requireCommand("cvlc", ["--version"], "vlc-bin");
  await requireCommand("runuser", ["--help"], "util-linux");
  await requireCommand("ffmpeg", ["-version"], "ffmpeg");
  const { sender, url } = await startRtspSender(["--size", `${WIDTH}x${HEIGHT}`]);
  const home = await Deno.makeTempDir();
  try {
    await Deno.chmod(home, 0o777);
    // VLC refuses to run as root.
    const vlc = await run("runuser", [
      ...["-u", "nobody", "--", "env", `HOME=${home}`, "cvlc", "--intf", "dummy"],
      ...["--play-and-exit", "--run-time", "5", url, "vlc://quit"],
    ]);
    ok(/unable to open the MRL/i.test(vlc.stderr), vlc.stderr);
    // The server still serves a real player afterwards.
    const after = await run("ffmpeg", [
      ...["-v", "error", "-nostdin", "-rtsp_transport", "tcp", "-i", url],
      ...["-frames:v", "5", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
    ]);
    equal(after.code, 0, after.stderr);
    equal(after.stdout.length, 5 * WIDTH * HEIGHT);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
  const done = await stopProgram(sender);
  const stats = lastRtspStats(done.stdout) as {
    counters: { server: { responses: Record<string, number>; requests: Record<string, number> } };
  };
  const { responses, requests } = stats.counters.server;
  // SAT>IP: SETUP of the presentation URL, which has one track to set up instead: 459.
  ok((responses["459"] ?? 0) >= 1, JSON.stringify(responses));
  // RealRTSP: OPTIONS, answered 200 with the methods served (ffmpeg sent one SETUP, one OPTIONS).
  ok((requests.SETUP ?? 0) >= 2, JSON.stringify(requests));
  ok((requests.OPTIONS ?? 0) >= 2, JSON.stringify(requests));
  equal(responses["500"] ?? 0, 0);
});

Deno.test("bad --rtsp flags: one line, exit 2; a busy port: one line, exit 1", async () => {
  const table: [string, string[], RegExp][] = [
    ["sender.ts", ["--rtsp", "nope"], /--rtsp "nope" is not HOST:PORT/],
    ["sender.ts", ["--rtsp", "8554", "--rtsp-user", "justaname"], /write the account as NAME:PASS/],
    ["sender.ts", ["--rtsp", "8554", "--rtsp-user-file", "/nonexistent/users"], /Cannot read/],
    ["sender.ts", ["--rtsp", "8554", "--rtsp-user-file", "/dev/null"], /not a regular file/],
    ["sender.ts", ["--rtsp", "8554", "--rtsp-path", "a b"], /--rtsp-path must be a path/],
    ["sender.ts", ["--rtsp", "8554", "--size", "2560x1440"], /up to 2040 pixels/],
    ["receiver.ts", ["--rtsp-user", "a:b"], /--rtsp-user only applies with --rtsp/],
    ["receiver.ts", ["--rtsp", "[::1]"], /is not HOST:PORT/],
  ];
  for (const [entry, args, message] of table) {
    const done = await exitOf(startProgram(entry, args));
    equal(done.code, 2, `${args.join(" ")}: ${done.stderr}`);
    const lines = done.stderr.trim().split("\n");
    equal(lines.length, 1, done.stderr);
    ok(message.test(lines[0]), lines[0]);
    ok(!/\bat .*\.ts:\d+/.test(done.stderr), "a stack trace");
  }
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    const done = await exitOf(
      startProgram("sender.ts", ["--test-pattern", "--rtsp", `127.0.0.1:${port}`]),
    );
    equal(done.code, 1, done.stderr);
    const lines = done.stderr.trim().split("\n");
    equal(lines.length, 1, done.stderr);
    ok(lines[0].includes(`Cannot serve RTSP on 127.0.0.1:${port}: the port is in use.`), lines[0]);
  } finally {
    busy.close();
  }
});

Deno.test("--rtsp under exactly the binaries' permissions, credentials from UDPCAM_RTSP_USER", async () => {
  await requireCommand("ffmpeg", ["-version"], "ffmpeg");
  const sender = startProgram(
    "sender.ts",
    ["--test-pattern", "--size", `${WIDTH}x${HEIGHT}`, "--rtsp", "127.0.0.1:0"],
    {
      permissions: [...UNSTABLE_FLAGS, ...SENDER_PERMISSIONS],
      env: { UDPCAM_RTSP_USER: "viewer:from-env" },
    },
  );
  try {
    const url = await rtspUrlOf(sender);
    await sender.waitForStderr(/\(Digest or Basic, user viewer\)/);
    const played = await run("ffmpeg", [
      ...["-v", "error", "-nostdin", "-rtsp_transport", "tcp"],
      ...["-i", url.replace("rtsp://", "rtsp://viewer:from-env@")],
      ...["-frames:v", "3", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
    ]);
    equal(played.code, 0, played.stderr);
    equal(played.stdout.length, 3 * WIDTH * HEIGHT);
  } finally {
    const done = await stopProgram(sender);
    equal(done.code, 0, done.stderr);
  }
});
