/**
 * One lossy end-to-end run: udpcam-send (ffmpeg test pattern, `--save`) → fault-injecting relay
 * (in this process, real UDP on 127.0.0.1) → udpcam-recv (`--record`), then a frame-by-frame
 * comparison of what was recorded with what was sent. The sender runs with `--adapt off`: the
 * comparison needs the frames as ffmpeg made them, and what is measured is loss recovery, not a
 * picture fitted to a link that loses at random (tests/support/link_run.ts runs that). Shared by
 * tests/loss_recovery_test.ts and bench/loss_bench.ts.
 *
 * @module
 */

import { type FaultSettings, NO_FAULTS } from "../../lib/netsim/mod.ts";
import { type RelayReport, UdpRelay } from "../../lib/io/udp_relay.ts";
import { readMjpegFrames, sha256 } from "./mjpeg.ts";
import { freeUdpPort, jsonLines, startProgram, stopProgram } from "./programs.ts";

/** What to run. */
export interface LossRunOptions {
  /** Test pattern size, e.g. "640x480". */
  size: string;
  /** Frames per second. */
  fps: number;
  /** Frames the sender reads before stopping. */
  frames: number;
  /** Extra sender flags: --fec ..., --nack. */
  senderFlags: string[];
  /** Faults of the forward path (sender → receiver); the reply path is clean. */
  faults: Partial<FaultSettings>;
  /** Directory for the saved and recorded MJPEG files (made and removed by the caller). */
  dir: string;
  /**
   * Extra environment for both programs (e.g. UDPCAM_KEY). Never set such variables on the test
   * process itself: tests run in parallel and every child spawned meanwhile would inherit them.
   */
  env?: Record<string, string>;
}

/** What came out. */
export interface LossRunResult {
  /** Frames the sender read from ffmpeg (and saved). */
  framesSent: number;
  /** Frames the receiver recorded. */
  framesReceived: number;
  /** Recorded frames byte-identical to a sent frame. */
  framesIntact: number;
  /** Recorded frames equal to no sent frame (must be 0). */
  framesCorrupted: number;
  /** Recorded frames not in increasing send order (must be 0). */
  framesOutOfOrder: number;
  /** The receiver's last --stats-json line. */
  receiver: Record<string, unknown>;
  /** The sender's last --stats-json line. */
  sender: Record<string, unknown>;
  /** The relay's counts. */
  relay: RelayReport;
}

/** Runs one sender → relay → receiver pass; see the module docs. */
export async function runThroughLossyRelay(options: LossRunOptions): Promise<LossRunResult> {
  const port = freeUdpPort();
  const receiver = startProgram("receiver.ts", [
    ...["--listen", `127.0.0.1:${port}`, "--headless", "--stats-json"],
    ...["--record", `${options.dir}/received.mjpeg`, "--duration", "600"],
  ], { env: options.env });
  let relay: UdpRelay | null = null;
  try {
    await receiver.waitForStderr(/listening on 127\.0\.0\.1:\d+/);
    relay = UdpRelay.start({
      listen: { hostname: "127.0.0.1", port: 0 },
      to: { hostname: "127.0.0.1", port },
      faults: { ...NO_FAULTS, ...options.faults },
      durationMs: 600_000,
    });
    const sender = startProgram("sender.ts", [
      ...["--test-pattern", "--size", options.size, "--fps", String(options.fps)],
      ...["--to", `127.0.0.1:${relay.listenAddress.port}`, "--frames", String(options.frames)],
      ...["--save", `${options.dir}/sent.mjpeg`, "--stats-json", "--adapt", "off"],
      ...options.senderFlags,
    ], { env: options.env });
    const sent = await sender.done;
    if (sent.code !== 0) throw new Error(`udpcam-send failed (${sent.code}):\n${sent.stderr}`);
    // Let the last datagrams and retransmissions land, then stop like a user would.
    await new Promise((resolve) => setTimeout(resolve, 700));
    relay.stop();
    await relay.done;
    const received = await stopProgram(receiver);
    if (received.code !== 0) {
      throw new Error(`udpcam-recv failed (${received.code}):\n${received.stderr}`);
    }

    const sentFrames = readMjpegFrames(`${options.dir}/sent.mjpeg`);
    const receivedFrames = readMjpegFrames(`${options.dir}/received.mjpeg`);
    const sentIndex = new Map<string, number>();
    for (const [index, frame] of sentFrames.entries()) sentIndex.set(await sha256(frame), index);
    let intact = 0;
    let corrupted = 0;
    let outOfOrder = 0;
    let previous = -1;
    for (const frame of receivedFrames) {
      const index = sentIndex.get(await sha256(frame));
      if (index === undefined) {
        corrupted++;
        continue;
      }
      intact++;
      if (index <= previous) outOfOrder++;
      previous = index;
    }
    return {
      framesSent: sentFrames.length,
      framesReceived: receivedFrames.length,
      framesIntact: intact,
      framesCorrupted: corrupted,
      framesOutOfOrder: outOfOrder,
      receiver: jsonLines(received.stdout).at(-1) ?? {},
      sender: jsonLines(sent.stdout).at(-1) ?? {},
      relay: relay.report(),
    };
  } finally {
    relay?.stop();
    await stopProgram(receiver);
  }
}
