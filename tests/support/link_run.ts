/**
 * One run through a bottleneck: udpcam-send (ffmpeg test pattern, `--save`) → tools/relay.ts
 * (its own process, a rate cap with a drop-tail queue, or a rate schedule) → udpcam-recv
 * (`--record`), then what came out: per-second figures of both programs, the run's latency, and
 * every recorded frame checked (byte-identical to a frame the sender read, or a JPEG that
 * libjpeg-turbo decodes without a warning: re-encoded frames are not in `--save`). Shared by
 * tests/link_fit_test.ts and bench/link_bench.ts.
 *
 * @module
 */

import { readMjpegFrames, sha256 } from "./mjpeg.ts";
import { freeUdpPort, jsonLines, repoPath, startProgram, stopProgram } from "./programs.ts";
import { TurboDecoder } from "../../lib/decode/turbo_decoder.ts";

/** What to run. */
export interface LinkRunOptions {
  /** Test pattern size, e.g. "1280x720". */
  size: string;
  /** Frames per second. */
  fps: number;
  /** Seconds the sender streams. */
  durationS: number;
  /** The relay's shaping flags, e.g. ["--rate-kbps", "4000", "--queue-ms", "60"]. */
  relayFlags: string[];
  /** Extra sender flags (--adapt off, --max-rate 4, --wire legacy...). */
  senderFlags: string[];
  /** Extra receiver flags (--wire legacy...). */
  receiverFlags?: string[];
  /** Directory for the saved and recorded MJPEG files (made and removed by the caller). */
  dir: string;
  /** Check every recorded frame (hashes and decodes); default true. */
  checkFrames?: boolean;
}

/** What came out. */
export interface LinkRunResult {
  /** The sender's --stats-json lines, one a second. */
  sender: Record<string, unknown>[];
  /** The receiver's --stats-json lines, one a second (the last one has the run's summary). */
  receiver: Record<string, unknown>[];
  /** The relay's last line ("stopped after ..."). */
  relay: string;
  /** Frames the receiver recorded. */
  framesRecorded: number;
  /** Recorded frames byte-identical to a frame the sender read (passed through). */
  framesIdentical: number;
  /** Recorded frames re-encoded by the sender that decode cleanly. */
  framesDecoded: number;
  /** Recorded frames that are neither (must be 0). */
  framesCorrupted: number;
  /**
   * When each program's clock started, in seconds after the receiver's (its `elapsedS` 0):
   * the relay's (its rate schedule's 0) and the sender's; to put their lines on one time axis.
   */
  offsetsS: { relay: number; sender: number };
}

/** Runs one sender → relay → receiver pass; see the module docs. */
export async function runThroughBottleneck(options: LinkRunOptions): Promise<LinkRunResult> {
  const port = freeUdpPort();
  const relayPort = freeUdpPort();
  const receiver = startProgram("receiver.ts", [
    ...["--listen", `127.0.0.1:${port}`, "--headless", "--stats-json"],
    ...["--record", `${options.dir}/received.mjpeg`, "--duration", "600"],
    ...(options.receiverFlags ?? []),
  ]);
  let relay: Deno.ChildProcess | null = null;
  try {
    await receiver.waitForStderr(/listening on 127\.0\.0\.1:\d+/);
    const receiverT0 = performance.now();
    relay = new Deno.Command(Deno.execPath(), {
      args: [
        ...["run", "--allow-net", repoPath("tools/relay.ts")],
        ...["--listen", `127.0.0.1:${relayPort}`, "--to", `127.0.0.1:${port}`],
        ...["--duration-s", String(options.durationS + 30), "--report-s", "0"],
        ...options.relayFlags,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const relayErr = new Response(relay.stderr).text();
    // The relay's first line says it listens; its clock (and rate schedule) starts just before.
    const relayReader = relay.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let relayText = "";
    let relayT0 = performance.now();
    const relayOut = (async () => {
      for (;;) {
        const { value, done } = await relayReader.read();
        if (done) return;
        if (relayText === "") relayT0 = performance.now();
        relayText += value;
      }
    })();
    const listening = Date.now() + 10_000;
    while (relayText === "" && Date.now() < listening) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (relayText === "") throw new Error(`tools/relay.ts did not start:\n${await relayErr}`);
    const sender = startProgram("sender.ts", [
      ...["--test-pattern", "--size", options.size, "--fps", String(options.fps)],
      ...["--to", `127.0.0.1:${relayPort}`, "--duration", String(options.durationS)],
      ...["--save", `${options.dir}/sent.mjpeg`, "--stats-json", ...options.senderFlags],
    ]);
    // Its per-second lines count from the banner (printed once capture runs).
    await sender.waitForStderr(/udpcam-send: streaming/);
    const senderT0 = performance.now();
    const sent = await sender.done;
    if (sent.code !== 0) throw new Error(`udpcam-send failed (${sent.code}):\n${sent.stderr}`);
    // The queue drains and the last frames complete.
    await new Promise((resolve) => setTimeout(resolve, 700));
    relay.kill("SIGTERM");
    await relay.status;
    await relayOut;
    await relayErr;
    relay = null;
    const received = await stopProgram(receiver);
    if (received.code !== 0) {
      throw new Error(`udpcam-recv failed (${received.code}):\n${received.stderr}`);
    }
    const check = options.checkFrames ?? true;
    const recorded = readMjpegFrames(`${options.dir}/received.mjpeg`);
    let identical = 0;
    let decoded = 0;
    let corrupted = 0;
    if (check) {
      const sentHashes = new Set<string>();
      for (const frame of readMjpegFrames(`${options.dir}/sent.mjpeg`)) {
        sentHashes.add(await sha256(frame));
      }
      const decoder = TurboDecoder.open();
      try {
        for (const frame of recorded) {
          if (sentHashes.has(await sha256(frame))) identical++;
          else if (await decodes(decoder, frame)) decoded++;
          else corrupted++;
        }
      } finally {
        decoder.close();
      }
    }
    return {
      sender: jsonLines(sent.stdout),
      receiver: jsonLines(received.stdout),
      relay: relayText.trim().split("\n").at(-1) ?? "",
      framesRecorded: recorded.length,
      framesIdentical: identical,
      framesDecoded: decoded,
      framesCorrupted: corrupted,
      offsetsS: {
        relay: (relayT0 - receiverT0) / 1000,
        sender: (senderT0 - receiverT0) / 1000,
      },
    };
  } finally {
    if (relay !== null) {
      try {
        relay.kill("SIGKILL");
      } catch { /* exited */ }
      await relay.status;
    }
    await stopProgram(receiver);
  }
}

async function decodes(decoder: TurboDecoder, frame: Uint8Array): Promise<boolean> {
  try {
    await decoder.decode(frame);
    return true;
  } catch {
    return false;
  }
}
