/**
 * End to end: real ffmpeg → udpcam-send → UDP on 127.0.0.1 → udpcam-recv, as child processes.
 */

import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { JpegSplitter } from "../lib/jpeg/mod.ts";
import { ffmpegDecodeErrors, readMjpegFrames, sha256 } from "./support/mjpeg.ts";
import {
  freeUdpPort,
  jsonLines,
  requireTool,
  startLoopbackReceiver,
  startProgram,
  startTestPatternSender,
  stopProgram,
} from "./support/programs.ts";

Deno.test("testsrc2 streams end to end: every recorded frame is a frame the sender read", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-e2e-" });
  try {
    const { receiver, port } = await startLoopbackReceiver([
      "--headless",
      "--record",
      `${dir}/received.mjpeg`,
      "--stats-json",
      "--duration",
      "60",
    ]);
    const sender = startTestPatternSender(port, [
      "--size",
      "640x480",
      "--frames",
      "90",
      "--save",
      `${dir}/sent.mjpeg`,
      "--stats-json",
    ]);
    const sent = await sender.done;
    equal(sent.code, 0, sent.stderr);
    // Give the last datagrams time to land, then stop the receiver like a user would.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const received = await stopProgram(receiver);
    equal(received.code, 0, received.stderr);

    const sentFrames = readMjpegFrames(`${dir}/sent.mjpeg`);
    const receivedFrames = readMjpegFrames(`${dir}/received.mjpeg`);
    equal(sentFrames.length, 90);
    const sentIndex = new Map<string, number>();
    for (const [index, frame] of sentFrames.entries()) sentIndex.set(await sha256(frame), index);
    let previous = -1;
    for (const frame of receivedFrames) {
      const index = sentIndex.get(await sha256(frame));
      ok(index !== undefined, "a recorded frame is not byte-identical to any frame sent");
      ok(index > previous, "frames were recorded out of order");
      previous = index;
    }
    // Loopback on a busy 2-core machine may lose a little; a healthy run loses nothing.
    ok(receivedFrames.length >= 81, `only ${receivedFrames.length} of 90 frames arrived`);
    equal(await ffmpegDecodeErrors(`${dir}/received.mjpeg`), "");

    const last = jsonLines(received.stdout).at(-1)!;
    const frames = last.frames as { complete: number };
    equal(frames.complete, receivedFrames.length);
    const senderStats = jsonLines(sent.stdout).at(-1)!;
    equal(senderStats.framesRead, 90);
    ok((senderStats.datagramsSent as number) >= 90);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file is streamed as is with --passthrough, at its own rate, --fps 300 and --fps max: frames byte-identical to ffmpeg's own split, in order", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-e2e-" });
  try {
    // The reference: an MJPEG file, and its frames as separate files cut by ffmpeg itself.
    const make = await new Deno.Command("ffmpeg", {
      args: [
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=30",
        "-frames:v",
        "20",
        "-c:v",
        "mjpeg",
        "-q:v",
        "4",
        "-f",
        "mjpeg",
        `${dir}/clip.mjpeg`,
      ],
    }).output();
    equal(make.code, 0);
    await new Deno.Command("ffmpeg", {
      args: ["-v", "error", "-i", `${dir}/clip.mjpeg`, "-c", "copy", `${dir}/ref%03d.jpg`],
    }).output();
    const reference: string[] = [];
    for (let i = 1; i <= 20; i++) {
      reference.push(
        await sha256(Deno.readFileSync(`${dir}/ref${String(i).padStart(3, "0")}.jpg`)),
      );
    }
    equal(new Set(reference).size, 20);

    for (const rate of [[], ["--fps", "300"], ["--fps", "max"]]) {
      await Deno.remove(`${dir}/received.mjpeg`).catch(() => {});
      const label = rate.join(" ") || "the file's own rate";

      const port = freeUdpPort();
      const receiver = startProgram("receiver.ts", [
        "--listen",
        String(port),
        "--headless",
        "--record",
        `${dir}/received.mjpeg`,
        "--frames",
        "20",
        "--duration",
        "30",
      ]);
      await receiver.waitForStderr(/listening on/);
      const sender = startProgram("sender.ts", [
        "--file",
        `${dir}/clip.mjpeg`,
        "--no-loop",
        "--passthrough",
        "--stats-json",
        ...rate,
        "--to",
        `127.0.0.1:${port}`,
      ]);
      const sent = await sender.done;
      equal(sent.code, 0, sent.stderr);
      // Released by the sender's clock or as fast as sent: reading waits, nothing is skipped.
      const senderStats = jsonLines(sent.stdout).at(-1)!;
      equal(senderStats.framesSent, 20, label);
      equal(senderStats.framesSkipped, 0, label);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const received = await stopProgram(receiver);
      equal(received.code, 0, received.stderr);
      const frames = readMjpegFrames(`${dir}/received.mjpeg`);
      ok(frames.length >= 18, `${frames.length} of 20 frames (${label})`);
      let last = -1;
      for (const frame of frames) {
        const index = reference.indexOf(await sha256(frame));
        ok(index > last, `a frame differs from ffmpeg's or is out of order (${label})`);
        last = index;
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("junk datagrams are counted, never crash the receiver", async () => {
  const { receiver, port } = await startLoopbackReceiver([
    "--headless",
    "--stats-json",
    "--duration",
    "30",
  ]);
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const target: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
  const junk = [
    new Uint8Array(0),
    new Uint8Array([1, 0xff, 0xd8]),
    new Uint8Array(1500).fill(0x55),
  ];
  for (let i = 0; i < 300; i++) {
    await socket.send(junk[i % junk.length], target);
    // Paced like a sender, so the kernel's receive buffer is not what is tested here.
    if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  socket.close();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const result = await stopProgram(receiver);
  equal(result.code, 0, result.stderr);
  const last = jsonLines(result.stdout).at(-1)!;
  const datagrams = last.datagrams as { received: number; invalid: number };
  deepStrictEqual([datagrams.received, datagrams.invalid], [300, 300]);
  equal((last.frames as { complete: number }).complete, 0);
});

Deno.test("user mistakes get one clear sentence and a non-zero exit, no stack trace", async () => {
  const port = freeUdpPort();
  const blocker = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port });
  try {
    const cases: [string, string[], number, RegExp][] = [
      ["sender.ts", ["--max-datagram", "70000"], 2, /576 to 65507, got "70000"/],
      [
        "sender.ts",
        ["--test-pattern", "--ffmpeg", "/nonexistent/ffmpeg"],
        1,
        /Cannot start ffmpeg.*install/,
      ],
      [
        "sender.ts",
        ["--device", "/dev/video99", "--frames", "1"],
        1,
        /no such camera.*--list-devices.*--test-pattern/,
      ],
      [
        "sender.ts",
        ["--file", "/nonexistent.mp4", "--frames", "1"],
        1,
        /Cannot open file \/nonexistent.mp4: no such file/,
      ],
      ["receiver.ts", ["--listen", `127.0.0.1:${port}`, "--headless"], 1, /port is in use/],
      ["receiver.ts", ["--listen", "203.0.113.9:5000", "--headless"], 1, /not on this machine/],
      ["receiver.ts", ["--bogus"], 2, /unknown flag '--bogus'/],
      [
        "receiver.ts",
        ["--listen", "127.0.0.1:0", "--headless", "--record", "/nonexistent/dir/out.mjpeg"],
        1,
        // The OS's reason (the error's cause) sits between what failed and what to do.
        /Cannot write --record \/nonexistent\/dir\/out\.mjpeg: No such file.*\. Check that the folder/,
      ],
    ];
    for (const [entry, args, code, expected] of cases) {
      const result = await startProgram(entry, args).done;
      equal(result.code, code, `${entry} ${args.join(" ")}: ${result.stderr}`);
      match(result.stderr, expected);
      ok(!/\n\s+at /.test(result.stderr), `stack trace printed: ${result.stderr}`);
    }
  } finally {
    blocker.close();
  }
});

Deno.test("SIGTERM stops the sender cleanly: exit 0 and ffmpeg gone", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const port = freeUdpPort();
  const sender = startTestPatternSender(port, [
    "--size",
    "320x240",
  ]);
  await sender.waitForStderr(/udpcam-send: streaming/);
  // Find ffmpeg among the sender's children before stopping it.
  let ffmpegPid: number | null = null;
  for (let attempt = 0; attempt < 50 && ffmpegPid === null; attempt++) {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
        const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (parent === sender.child.pid && stat.includes("(ffmpeg)")) {
          ffmpegPid = Number(entry.name);
        }
      } catch { /* process went away */ }
    }
    if (ffmpegPid === null) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  ok(ffmpegPid !== null, "ffmpeg child not found");
  const result = await stopProgram(sender);
  equal(result.code, 0, result.stderr);
  let alive = true;
  try {
    const state = Deno.readTextFileSync(`/proc/${ffmpegPid}/stat`);
    alive = !/\) Z /.test(state);
  } catch {
    alive = false;
  }
  equal(alive, false, "ffmpeg still running after the sender exited");
});

Deno.test("one sender, two receivers: IPv4 and IPv6 destinations both get the stream", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const v4Port = freeUdpPort();
  const v6Probe = Deno.listenDatagram({ transport: "udp", hostname: "::1", port: 0 });
  const v6Port = (v6Probe.addr as Deno.NetAddr).port;
  v6Probe.close();
  const receivers = [`127.0.0.1:${v4Port}`, `[::1]:${v6Port}`].map((listen) =>
    startProgram("receiver.ts", [
      "--listen",
      listen,
      "--headless",
      "--stats-json",
      "--frames",
      "20",
      "--duration",
      "30",
    ])
  );
  for (const receiver of receivers) await receiver.waitForStderr(/listening on/);
  const sender = startProgram("sender.ts", [
    "--test-pattern",
    "--size",
    "320x240",
    "--to",
    `127.0.0.1:${v4Port}`,
    "--to",
    `[::1]:${v6Port}`,
    "--frames",
    "40",
  ]);
  equal((await sender.done).code, 0);
  for (const receiver of receivers) {
    const result = await receiver.done;
    equal(result.code, 0, result.stderr);
    const last = jsonLines(result.stdout).at(-1) as { frames: { complete: number } };
    ok(last.frames.complete >= 20, `${last.frames.complete} frames`);
  }
});

Deno.test("udpcam-recv --http serves the received frames, byte for byte, to HTTP clients", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-http-" });
  const port = freeUdpPort();
  const httpPort = freeUdpPort(); // free for TCP too, in practice
  const receiver = startProgram("receiver.ts", [
    "--listen",
    `127.0.0.1:${port}`,
    "--headless",
    "--http",
    String(httpPort),
    "--http-token",
    "s3cret",
    "--show-token",
    "--duration",
    "30",
  ]);
  try {
    await receiver.waitForStderr(/browser view at http:\/\/127\.0\.0\.1:\d+\/\?token=s3cret/);
    const base = `http://127.0.0.1:${httpPort}`;
    const denied = await fetch(`${base}/frame.jpg`);
    await denied.body?.cancel();
    equal(denied.status, 401);
    const sender = startTestPatternSender(port, [
      "--size",
      "320x240",
      "--frames",
      "60",
      "--save",
      `${dir}/sent.mjpeg`,
    ]);
    // Read the MJPEG stream while the sender runs (bounded in reads and bytes).
    const response = await fetch(`${base}/stream.mjpeg?token=s3cret`);
    match(response.headers.get("content-type") ?? "", /multipart\/x-mixed-replace/);
    const reader = response.body!.getReader();
    const splitter = new JpegSplitter();
    const served: Uint8Array[] = [];
    for (let reads = 0; reads < 1000 && served.length < 10; reads++) {
      const { value, done } = await reader.read();
      if (done) break;
      served.push(...splitter.push(value));
    }
    await reader.cancel();
    equal((await sender.done).code, 0);
    const sentHashes = new Set<string>();
    for (const frame of readMjpegFrames(`${dir}/sent.mjpeg`)) sentHashes.add(await sha256(frame));
    ok(served.length >= 10, `${served.length} frames served`);
    for (const frame of served) ok(sentHashes.has(await sha256(frame)), "served frame differs");
  } finally {
    await stopProgram(receiver);
    await Deno.remove(dir, { recursive: true });
  }
});
