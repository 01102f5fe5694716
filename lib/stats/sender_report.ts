/**
 * What the sender reports each second: the `--stats-json` object and the status line.
 *
 * @module
 */

import { RateMeter } from "./rate_meter.ts";
import { round2 } from "./latency_window.ts";

/** The sender's running totals. */
export interface SenderCounters {
  /** Frames read from ffmpeg. */
  framesRead: number;
  /** Frames whose datagrams all went out. */
  framesSent: number;
  /** Frames skipped because sending fell behind capture (the newest frame always wins). */
  framesSkipped: number;
  /** Frames too large for the wire format. */
  framesTooLarge: number;
  /** Datagrams handed to the OS. */
  datagramsSent: number;
  /** Bytes of those datagrams, headers included. */
  bytesSent: number;
  /** Sends the OS refused. */
  sendErrors: number;
}

/** One `--stats-json` line of the sender. */
export interface SenderReport extends SenderCounters {
  /** Seconds since the sender started. */
  elapsedS: number;
  /** Frames sent per second over the last interval. */
  fps: number;
  /** Megabits per second sent over the last interval, per destination. */
  mbps: number;
}

/** Builds reports from the running counters. */
export class SenderReporter {
  readonly #startMs: number;
  readonly #rates: RateMeter;

  /**
   * A reporter whose first interval starts at `startMs`.
   *
   * @param startMs When the sender started (performance.now()).
   */
  constructor(startMs: number) {
    this.#startMs = startMs;
    this.#rates = new RateMeter(startMs);
  }

  /** The report at `nowMs`. */
  report(nowMs: number, counters: SenderCounters): SenderReport {
    const rates = this.#rates.sample(nowMs, counters.framesSent, counters.bytesSent);
    return {
      elapsedS: round2((nowMs - this.#startMs) / 1000),
      ...counters,
      fps: rates.perSecond,
      mbps: rates.mbitPerSecond,
    };
  }
}

/** The one-line human status. */
export function formatSenderStatus(destinations: string, report: SenderReport): string {
  const perFrame = report.framesSent === 0 ? 0 : report.datagramsSent / report.framesSent;
  const errors = report.sendErrors > 0 ? `, ${report.sendErrors} send errors` : "";
  return `udpcam-send -> ${destinations} | ${report.fps.toFixed(1)} fps ${
    report.mbps.toFixed(2)
  } Mbit/s | frames ${report.framesSent} sent, ${report.framesSkipped} skipped | ` +
    `${perFrame.toFixed(1)} datagrams/frame${errors}`;
}
