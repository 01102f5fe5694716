/**
 * The receiver's window end to end: real SDL (dummy driver, then a real X server under Xvfb),
 * real decoders, real sender and sockets. Key presses and the close button go through X with
 * xdotool and a window manager (openbox, which handles fullscreen and close requests).
 */

import { RUN_LATENCY_WARMUP_FRAMES } from "../lib/stats/mod.ts";
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { fragmentFrame } from "../lib/wire/v1/mod.ts";
import { Prng } from "../lib/netsim/mod.ts";
import { testsrcJpegs } from "./support/ffmpeg_frames.ts";
import { readMjpegFrames, sha256 } from "./support/mjpeg.ts";
import { socketDrops, startInNetnsOf, startInNewNetns, udpCounters } from "./support/netns.ts";
import {
  freeUdpPort,
  jsonLines,
  requireTool,
  startProgram,
  stopProgram,
} from "./support/programs.ts";
import {
  findWindow,
  poll,
  requireCommand,
  saturatedColours,
  screenshot,
  sleep,
  startXvfb,
  windowName,
  windowSize,
  xdotool,
  type XServer,
} from "./support/x11.ts";

const DUMMY = { SDL_VIDEODRIVER: "dummy" };

async function requireX11Tools(): Promise<void> {
  await requireCommand("Xvfb", ["-help"], "xvfb");
  await requireCommand("xdotool", ["version"], "xdotool");
  await requireCommand("xwd", ["-help"], "x11-apps");
  await requireCommand("convert", ["-version"], "imagemagick");
  await requireCommand("openbox", ["--version"], "openbox");
}

/** Xvfb with openbox managing windows (fullscreen and close need a window manager). */
async function startDesktop(): Promise<XServer> {
  const x = await startXvfb(1280, 800);
  x.spawn("openbox", ["--sm-disable"]);
  await sleep(500);
  return x;
}

async function waitForVideo(display: string): Promise<string> {
  return await poll(async () => {
    const window = await findWindow(display, "^udpcam");
    return window && /fps/.test(await windowName(display, window)) ? window : null;
  }, "the udpcam window to show fps in its title");
}

function lastStats(stdout: string): Record<string, unknown> {
  const last = jsonLines(stdout).at(-1);
  ok(last, `no stats line in:\n${stdout}`);
  return last;
}

for (const decoder of ["auto", "wasm"]) {
  Deno.test(`window (SDL dummy driver, --decoder ${decoder}) shows the test pattern`, async () => {
    await requireTool("ffmpeg", "ffmpeg");
    const port = freeUdpPort();
    const receiver = startProgram("receiver.ts", [
      "--listen",
      `127.0.0.1:${port}`,
      "--decoder",
      decoder,
      "--no-vsync",
      "--stats-json",
      "--duration",
      "60",
    ], { env: DUMMY });
    let sender: ReturnType<typeof startProgram> | null = null;
    try {
      const chosen = decoder === "wasm" ? "wasm" : "turbo";
      await receiver.waitForStderr(new RegExp(`decoder ${chosen}`));
      await receiver.waitForStderr(/listening on/);
      sender = startProgram("sender.ts", [
        "--test-pattern",
        "--size",
        "640x480",
        "--to",
        `127.0.0.1:${port}`,
        "--frames",
        "60",
      ]);
      const sent = await sender.done;
      equal(sent.code, 0, sent.stderr);
      await sleep(1000);
      const result = await stopProgram(receiver);
      equal(result.code, 0, result.stderr);
      const stats = lastStats(result.stdout);
      equal(stats.decoder, chosen);
      ok((stats.framesShown as number) > 0, `nothing shown: ${JSON.stringify(stats)}`);
      equal(stats.framesUndecodable, 0);
      const complete = (stats.frames as { complete: number }).complete;
      equal(
        (stats.framesShown as number) + (stats.framesSkipped as number),
        complete,
        "every complete frame is shown or skipped",
      );
      // The run summary leaves the warm-up frames out (README: --stats-json).
      const run = stats.presentedLatencyMsRun as { samples: number } | null;
      const counted = (stats.framesShown as number) - RUN_LATENCY_WARMUP_FRAMES;
      equal(run?.samples ?? 0, Math.max(0, counted));
    } finally {
      if (sender) await stopProgram(sender);
      await stopProgram(receiver);
    }
  });
}

Deno.test("corrupt frames are skipped and counted, size changes are shown, for both decoders", async () => {
  const good480 = await testsrcJpegs(4, "640x480");
  const good240 = await testsrcJpegs(4, "320x240");
  const prng = new Prng(7);
  const junk = new Uint8Array(3000).map(() => prng.int(0, 255));
  junk.set([0xff, 0xd8], 0);
  junk.set([0xff, 0xd9], junk.length - 2);
  const truncated = new Uint8Array(good480[0].length / 2 + 2);
  truncated.set(good480[0].subarray(0, truncated.length - 2));
  truncated.set([0xff, 0xd9], truncated.length - 2);
  const frames = [
    good480[0],
    junk,
    good480[1],
    truncated,
    good240[0],
    good240[1],
    junk,
    good480[2],
    good240[2],
  ];
  const bad = 3;
  for (const decoder of ["turbo", "wasm"]) {
    const port = freeUdpPort();
    const receiver = startProgram("receiver.ts", [
      "--listen",
      `127.0.0.1:${port}`,
      "--decoder",
      decoder,
      "--no-vsync",
      "--stats-json",
      "--duration",
      "30",
    ], { env: DUMMY });
    const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      await receiver.waitForStderr(/listening on/);
      const target: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
      for (const [frameSeq, frame] of frames.entries()) {
        const meta = { streamId: 0x1234, frameSeq, captureUs: Date.now() * 1000 };
        for (const datagram of fragmentFrame(frame, meta, 1200)) {
          await socket.send(datagram, target);
        }
        // Paced like a 15 fps stream so the display is not the thing tested here.
        await sleep(66);
      }
      await sleep(700);
      const result = await stopProgram(receiver);
      equal(result.code, 0, result.stderr);
      ok(!/\n\s+at /.test(result.stderr), result.stderr);
      match(result.stderr, /skipped frame 1 \(1 so far\): Cannot decode JPEG/);
      const stats = lastStats(result.stdout);
      const complete = (stats.frames as { complete: number }).complete;
      equal(complete, frames.length, decoder);
      const shown = stats.framesShown as number;
      const skipped = stats.framesSkipped as number;
      const undecodable = stats.framesUndecodable as number;
      equal(shown + skipped + undecodable, complete, JSON.stringify(stats));
      // A busy machine may skip frames (the slot keeps only the newest), so each corrupt frame is
      // either counted undecodable or skipped, and only corrupt frames are undecodable.
      ok(undecodable <= bad && undecodable + skipped >= bad, JSON.stringify(stats));
      ok(undecodable >= 1 && shown >= 1, JSON.stringify(stats));
    } finally {
      socket.close();
      await stopProgram(receiver);
    }
  }
});

Deno.test("window under X: picture on screen, s saves a sent frame, f fullscreen, q and close exit 0", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  await requireX11Tools();
  const x = await startDesktop();
  const dir = await Deno.makeTempDir({ prefix: "udpcam-window-" });
  const env = { DISPLAY: x.display, SDL_VIDEODRIVER: "x11" };
  const port = freeUdpPort();
  const receiver = startProgram("receiver.ts", [
    "--listen",
    `127.0.0.1:${port}`,
    "--save-dir",
    dir,
    "--stats-json",
    "--duration",
    "60",
  ], { env });
  let sender: ReturnType<typeof startProgram> | null = null;
  let second: ReturnType<typeof startProgram> | null = null;
  try {
    await receiver.waitForStderr(/listening on/);
    const waitingWindow = await poll(
      () => findWindow(x.display, "^udpcam"),
      "the udpcam window",
    );
    match(await windowName(x.display, waitingWindow), /waiting for stream on 127\.0\.0\.1:\d+/);
    sender = startProgram("sender.ts", [
      "--test-pattern",
      "--size",
      "1280x720",
      "--to",
      `127.0.0.1:${port}`,
      "--save",
      `${dir}/sent.mjpeg`,
      "--duration",
      "40",
    ]);
    const window = await waitForVideo(x.display);
    match(await windowName(x.display, window), /^udpcam 1280x720 \| [\d.]+ fps \| [\d.]+ Mbit\/s/);

    // The picture: testsrc2's saturated bars are on screen, not a black or blank window.
    const rgb = await screenshot(x.display, "rgb");
    equal(rgb.length, x.width * x.height * 3);
    const colours = saturatedColours(rgb);
    const present = Object.entries(colours).filter(([, share]) => share > 0.01).map(([n]) => n);
    ok(present.length >= 4, `too few colours on screen: ${JSON.stringify(colours)}`);
    const pngOut = Deno.env.get("UDPCAM_SCREENSHOT_OUT");
    if (pngOut) Deno.writeFileSync(pngOut, await screenshot(x.display, "png"));

    await xdotool(x.display, "windowactivate", "--sync", window);
    await xdotool(x.display, "key", "s");
    const saved = (await receiver.waitForStderr(/saved (\S+\.jpg)/)).replace(/^saved /, "");
    ok(saved.startsWith(dir), saved);

    const windowed = await windowSize(x.display, window);
    await xdotool(x.display, "key", "f");
    const full = await poll(
      async () => {
        const size = await windowSize(x.display, window);
        return size.width === x.width && size.height === x.height ? size : null;
      },
      "the window to fill the screen after f",
      5000,
    );
    deepStrictEqual(full, { width: x.width, height: x.height });
    await xdotool(x.display, "key", "f");
    await poll(
      async () => {
        const size = await windowSize(x.display, window);
        return size.width === windowed.width && size.height === windowed.height ? size : null;
      },
      "the window to leave fullscreen after f again",
      5000,
    );

    await xdotool(x.display, "key", "q");
    const result = await poll(
      () => Promise.race([receiver.done, sleep(100).then(() => null)]),
      "the receiver to exit after q",
      10_000,
    );
    equal(result.code, 0, result.stderr);
    const stats = lastStats(result.stdout);
    ok((stats.framesShown as number) > 10, JSON.stringify(stats));
    equal(stats.framesUndecodable, 0);
    await stopProgram(sender);

    // The saved file is, byte for byte, a frame the sender sent.
    const sent = new Set<string>();
    for (const frame of readMjpegFrames(`${dir}/sent.mjpeg`)) sent.add(await sha256(frame));
    ok(sent.has(await sha256(Deno.readFileSync(saved))), "saved frame is not a sent frame");
    // Pictures of the camera are the owner's only (lib/io/output_file.ts).
    equal((await Deno.stat(saved)).mode! & 0o777, 0o600, "snapshot mode");
    equal((await Deno.stat(`${dir}/sent.mjpeg`)).mode! & 0o777, 0o600, "--save mode");

    // The window manager's close (what the title bar's close button sends) exits 0 too.
    second = startProgram("receiver.ts", ["--listen", `127.0.0.1:${freeUdpPort()}`], { env });
    await second.waitForStderr(/listening on/);
    const secondWindow = await poll(() => findWindow(x.display, "^udpcam"), "second window");
    await xdotool(x.display, "windowactivate", "--sync", secondWindow);
    await xdotool(x.display, "key", "alt+F4");
    const closed = await poll(
      () => Promise.race([second!.done, sleep(100).then(() => null)]),
      "the receiver to exit after the window was closed",
      10_000,
    );
    equal(closed.code, 0, closed.stderr);
  } finally {
    if (sender) await stopProgram(sender);
    if (second) await stopProgram(second);
    await stopProgram(receiver);
    await x.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Environment values that hide every display from SDL, whatever the machine running the tests has. */
const NO_DISPLAY = { DISPLAY: "", WAYLAND_DISPLAY: "" };
/** The sentence the receiver prints when SDL fell back to a driver that shows nothing. */
const INVISIBLE =
  /^udpcam-recv: the window is invisible: SDL found no display and fell back to its (\w+) video driver \(frames are still received and counted\); set DISPLAY or WAYLAND_DISPLAY to show it, or run with --headless, or with --http to watch in a browser\.$/m;

Deno.test("the start line names SDL's video driver; one that shows nothing, unasked, is said so", async () => {
  const jpegs = await testsrcJpegs(3);
  const x = await startXvfb(640, 480);
  // An empty SDL_VIDEODRIVER is no request: SDL picks a driver itself, as with none set.
  const cases: { name: string; env: Record<string, string>; driver: string; warns: boolean }[] = [
    {
      name: "a display (Xvfb), SDL's choice",
      env: { ...NO_DISPLAY, DISPLAY: x.display, SDL_VIDEODRIVER: "" },
      driver: "x11",
      warns: false,
    },
    {
      name: "no display, dummy asked for",
      env: { ...NO_DISPLAY, SDL_VIDEODRIVER: "dummy" },
      driver: "dummy",
      warns: false,
    },
    {
      name: "no display, SDL's choice",
      env: { ...NO_DISPLAY, SDL_VIDEODRIVER: "" },
      driver: "offscreen",
      warns: true,
    },
  ];
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    for (const c of cases) {
      const port = freeUdpPort();
      const receiver = startProgram("receiver.ts", [
        ...["--listen", `127.0.0.1:${port}`, "--no-vsync", "--stats-json", "--duration", "30"],
      ], { env: c.env });
      try {
        await receiver.waitForStderr(/listening on .*\n/);
        // Warn and continue: frames are still received and counted.
        const target: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
        for (const [frameSeq, jpeg] of jpegs.entries()) {
          const meta = { streamId: 0x5ee, frameSeq, captureUs: Date.now() * 1000 };
          for (const datagram of fragmentFrame(jpeg, meta, 1200)) {
            await socket.send(datagram, target);
          }
          await sleep(50);
        }
        await sleep(500);
      } finally {
        await stopProgram(receiver);
      }
      const result = await receiver.done;
      equal(result.code, 0, `${c.name}: ${result.stderr}`);
      const lines = result.stderr.split("\n");
      const start = lines.findIndex((line) => line.includes("listening on"));
      equal(
        lines[start],
        `udpcam-recv: listening on 127.0.0.1:${port} (window, SDL video driver ${c.driver})`,
        c.name,
      );
      const warning = INVISIBLE.exec(result.stderr);
      equal(warning !== null, c.warns, `${c.name}: ${result.stderr}`);
      if (warning) {
        equal(warning[1], c.driver, c.name);
        equal(lines[start + 1], warning[0], `${c.name}: the sentence follows the start line`);
      }
      equal(
        (lastStats(result.stdout).frames as { complete: number }).complete,
        jpegs.length,
        c.name,
      );
    }
  } finally {
    socket.close();
    await x.close();
  }
});

Deno.test("missing libraries and displays: one sentence saying what to install or do", async () => {
  const cases: [string[], Record<string, string>, RegExp[]][] = [
    [
      [],
      { ...DUMMY, UDPCAM_SDL2_LIB: "/nonexistent/libSDL2.so" },
      [/^udpcam-recv: Cannot load the SDL2 library/, /apt install libsdl2-2\.0-0/, /--headless/],
    ],
    [
      ["--decoder", "turbo"],
      { ...DUMMY, UDPCAM_TURBOJPEG_LIB: "/nonexistent/libturbojpeg.so" },
      [/Cannot load the libjpeg-turbo library/, /apt install libturbojpeg0/, /--decoder wasm/],
    ],
    [
      [],
      { SDL_VIDEODRIVER: "x11", DISPLAY: ":189" },
      [/Cannot open the video window/, /--headless/],
    ],
  ];
  for (const [args, env, expected] of cases) {
    const result = await startProgram(
      "receiver.ts",
      ["--listen", `127.0.0.1:${freeUdpPort()}`, ...args],
      { env },
    ).done;
    const label = `${JSON.stringify(env)} ${args.join(" ")}`;
    equal(result.code, 1, `${label}: ${result.stderr}`);
    for (const pattern of expected) match(result.stderr, pattern, label);
    equal(result.stderr.trim().split("\n").length, 1, `${label}: not one line:\n${result.stderr}`);
  }

  // With --decoder auto a missing libjpeg-turbo is not fatal: the WebAssembly decoder takes over.
  const fallback = await startProgram(
    "receiver.ts",
    ["--listen", `127.0.0.1:${freeUdpPort()}`, "--duration", "0.5"],
    { env: { ...DUMMY, UDPCAM_TURBOJPEG_LIB: "/nonexistent/libturbojpeg.so" } },
  ).done;
  equal(fallback.code, 0, fallback.stderr);
  match(fallback.stderr, /decoder wasm .*libjpeg-turbo is missing.*libturbojpeg0/);
});

Deno.test("1920x1080@30 shown in an X window for 5 s: the kernel drops no datagram", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  await requireX11Tools();
  await requireCommand("unshare", ["--help"], "util-linux");
  const x = await startXvfb(1280, 800);
  const port = 23456;
  // A private network namespace: its RcvbufErrors counts this receiver's socket and nothing else.
  const receiver = startInNewNetns("receiver.ts", [
    "--listen",
    `127.0.0.1:${port}`,
    "--stats-json",
    "--duration",
    "40",
  ], { DISPLAY: x.display, SDL_VIDEODRIVER: "x11" });
  const pid = receiver.child.pid;
  let sender: ReturnType<typeof startInNetnsOf> | null = null;
  try {
    await poll(
      () => Promise.resolve(/listening on/.test(receiver.stderrSoFar()) ? true : null),
      "the receiver to listen",
    );
    const before = udpCounters(pid);
    sender = startInNetnsOf(pid, "sender.ts", [
      "--test-pattern",
      "--size",
      "1920x1080",
      "--fps",
      "30",
      "--to",
      `127.0.0.1:${port}`,
      "--duration",
      "5",
      "--stats-json",
    ]);
    const sent = await sender.done;
    equal(sent.code, 0, sent.stderr);
    await sleep(1000);
    const drops = socketDrops(pid, port);
    const after = udpCounters(pid);
    receiver.child.kill("SIGTERM");
    const result = await receiver.done;
    equal(result.code, 0, result.stderr);
    const stats = lastStats(result.stdout);
    const senderStats = lastStats(sent.stdout);
    const datagrams = stats.datagrams as { received: number };
    const frames = stats.frames as { complete: number; dropped: number };
    console.log(
      `RcvbufErrors ${before.RcvbufErrors} -> ${after.RcvbufErrors}, socket drops ${drops}, ` +
        `datagrams sent ${senderStats.datagramsSent} received ${datagrams.received}, frames ` +
        `sent ${senderStats.framesSent} complete ${frames.complete} shown ${stats.framesShown} ` +
        `skipped ${stats.framesSkipped}, presented latency ` +
        JSON.stringify(stats.presentedLatencyMsRun) + `, datagram drops ` +
        JSON.stringify((stats.datagrams as { droppedBy: unknown }).droppedBy) + `, malformed ` +
        JSON.stringify(stats.framesMalformed) + `, sender send errors ${senderStats.sendErrors}, ` +
        `retransmit ${JSON.stringify(senderStats.retransmit)}`,
    );
    equal(after.RcvbufErrors - before.RcvbufErrors, 0, "datagrams dropped by the kernel");
    equal(drops, 0, "the socket's drop counter grew");
    equal(frames.dropped, 0);
    // NACK is on by default: retransmitted copies arrive on top of the paced datagrams.
    const retransmitted = (senderStats.retransmit as { datagramsRetransmitted: number } | null)
      ?.datagramsRetransmitted ?? 0;
    equal(datagrams.received, (senderStats.datagramsSent as number) + retransmitted);
    equal(frames.complete, senderStats.framesSent);
    ok((stats.framesShown as number) > 0);
  } finally {
    if (sender) {
      try {
        sender.child.kill("SIGTERM");
      } catch { /* exited */ }
      await sender.done;
    }
    try {
      receiver.child.kill("SIGTERM");
    } catch { /* exited */ }
    await receiver.done;
    await x.close();
  }
});
