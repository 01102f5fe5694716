/**
 * What the receiver reports each second: the `--stats-json` object and the status line.
 *
 * @module
 */

import { type LatencySummary, round2 } from "./latency_window.ts";
import { RateMeter } from "./rate_meter.ts";
import type { DepacketizerCounters } from "../wire/frames/mod.ts";
import { formatReceiverLink, type ReceiverLinkStats } from "./link_report.ts";

// The types this module's API speaks in, so its documentation can name them.
export type { DepacketizerCounters, LatencySummary, ReceiverLinkStats };

/** Datagram drop reasons that mean "this is not a valid datagram of the protocol". */
const INVALID_REASONS = [
  "short",
  "magic",
  "version",
  "flags",
  "fields",
  "inconsistent",
  "tooLarge",
];

/** One `--stats-json` line of the receiver. */
export interface ReceiverReport {
  /** Seconds since the receiver started. */
  elapsedS: number;
  /** Frames: complete since start, and given up by reason. */
  frames: { complete: number; dropped: number; droppedBy: Record<string, number> };
  /** Datagrams since start. */
  datagrams: {
    received: number;
    /**
     * Taken by the depacketizer and not dropped; received = accepted + dropped by reason (+ any
     * still being opened). Null when the receive path does not count it.
     */
    accepted: number | null;
    invalid: number;
    duplicate: number;
    droppedBy: Record<string, number>;
  };
  /** Complete frames per second over the last interval. */
  fps: number;
  /** Received megabits per second over the last interval (headers included). */
  mbps: number;
  /** One-way latency, read from ffmpeg to frame complete; null without samples or shared clock. */
  latencyMs: LatencySummary | null;
  /** The stream followed, as hex, or null before the first frame. */
  streamId: string | null;
  /** What loss recovery did since start (zeros when the depacketizer has no such counters). */
  recovery: RecoveryReport;
  /**
   * Why no frame came in the last interval although datagrams did (wrong key, missing key, ...),
   * or null. See {@linkcode streamProblem}.
   */
  problem: string | null;
  /**
   * Where the receiver's replies (NACKs, reports) go and what it held back (issue #19, finding
   * 9), or null when the receive path does not reply.
   */
  replies: ReplyCounters | null;
  /** What the receiver reports to the sender (v1: link fitting), or null for the other wires. */
  link: ReceiverLinkStats | null;
}

/** The receiver's reply rules at work (lib/receive/reply_target.ts). */
export interface ReplyCounters {
  /** Times the stream's source was established or changed. */
  sourceChanges: number;
  /** Datagrams of the followed stream from an address other than its source (not replied to). */
  fromOtherSources: number;
  /** Replies held back by the rate limit. */
  repliesLimited: number;
}

/**
 * Shown when sealed datagrams arrive with capture times too far from this clock: a replay, or
 * clocks that disagree.
 */
export const NOT_FRESH_PROBLEM: string =
  "sealed datagrams are arriving with capture times outside --max-clock-skew of this clock: " +
  "sync both clocks (NTP) or raise --max-clock-skew";

/** Shown when sealed datagrams arrive but none opens: the passphrases differ. */
export const AUTH_FAILED_PROBLEM = "datagrams are arriving but fail authentication: check --key";

/**
 * Why datagrams arrive but make no frame, from the drops of one interval, or null: only said when
 * no frame completed in the interval, so the odd forged datagram never hides a working stream.
 */
export function streamProblem(
  framesInInterval: number,
  dropsInInterval: Record<string, number>,
): string | null {
  if (framesInInterval > 0) return null;
  const count = (reason: string) => dropsInInterval[reason] ?? 0;
  if (count("authFailed") > 0) return AUTH_FAILED_PROBLEM;
  if (count("notFresh") > 0) return NOT_FRESH_PROBLEM;
  if (count("sealVersion") > 0) {
    return "datagrams are arriving sealed by another udpcam version: run the same version on both sides";
  }
  if (count("encrypted") > 0) {
    return "datagrams are arriving encrypted: start udpcam-recv with the sender's --key";
  }
  if (count("unauthenticated") > 0) {
    return "datagrams are arriving unencrypted but --key is set: give the sender the same --key";
  }
  if (count("notAllowed") > 0) return "datagrams are arriving from a source --allow-from refuses";
  if (count("otherStream") > 0) return "datagrams are arriving from another stream than --stream";
  return null;
}

/** Loss recovery since start: FEC repairs, retransmissions that filled holes, NACKs sent. */
export interface RecoveryReport {
  /** Fragments rebuilt from parity. */
  fecFragments: number;
  /** Complete frames that needed parity. */
  fecFrames: number;
  /** Fragments that arrived as retransmissions and filled a hole. */
  retransmittedFragments: number;
  /** Complete frames that needed a retransmission. */
  retransmittedFrames: number;
  /** Retransmission requests sent. */
  nacksSent: number;
}

/** Counters the v1 receive path adds to {@linkcode DepacketizerCounters}. */
interface RecoveryCounters {
  recoveredByFec?: { fragments: number; frames: number };
  recoveredByRetransmission?: { fragments: number; frames: number };
  nacksSent?: number;
  replies?: ReplyCounters;
  link?: ReceiverLinkStats | null;
}

function recoveryOf(counters: DepacketizerCounters & RecoveryCounters): RecoveryReport {
  return {
    fecFragments: counters.recoveredByFec?.fragments ?? 0,
    fecFrames: counters.recoveredByFec?.frames ?? 0,
    retransmittedFragments: counters.recoveredByRetransmission?.fragments ?? 0,
    retransmittedFrames: counters.recoveredByRetransmission?.frames ?? 0,
    nacksSent: counters.nacksSent ?? 0,
  };
}

function sum(record: Record<string, number>, keys?: string[]): number {
  return (keys ?? Object.keys(record)).reduce((total, key) => total + (record[key] ?? 0), 0);
}

/** Builds reports from successive counter snapshots. */
export class ReceiverReporter {
  readonly #startMs: number;
  readonly #rates: RateMeter;
  #lastDrops: Record<string, number> = {};
  #lastFrames = 0;

  /**
   * A reporter whose first interval starts at `startMs`.
   *
   * @param startMs When the receiver started (performance.now()).
   */
  constructor(startMs: number) {
    this.#startMs = startMs;
    this.#rates = new RateMeter(startMs);
  }

  /** The report at `nowMs` from the latest counters and the latency window's summary. */
  report(
    nowMs: number,
    counters: DepacketizerCounters | null,
    latencyMs: LatencySummary | null,
    streamId: number | null,
  ): ReceiverReport {
    const c = counters ?? {
      datagramsReceived: 0,
      bytesReceived: 0,
      datagramDrops: {},
      framesComplete: 0,
      frameDrops: {},
    };
    const rates = this.#rates.sample(nowMs, c.framesComplete, c.bytesReceived);
    const dropsInInterval: Record<string, number> = {};
    for (const [reason, value] of Object.entries(c.datagramDrops)) {
      dropsInInterval[reason] = value - (this.#lastDrops[reason] ?? 0);
    }
    const problem = streamProblem(c.framesComplete - this.#lastFrames, dropsInInterval);
    this.#lastDrops = { ...c.datagramDrops };
    this.#lastFrames = c.framesComplete;
    return {
      elapsedS: round2((nowMs - this.#startMs) / 1000),
      frames: {
        complete: c.framesComplete,
        dropped: sum(c.frameDrops),
        droppedBy: { ...c.frameDrops },
      },
      datagrams: {
        received: c.datagramsReceived,
        accepted: (c as { datagramsAccepted?: number }).datagramsAccepted ?? null,
        invalid: sum(c.datagramDrops, INVALID_REASONS),
        duplicate: c.datagramDrops.duplicate ?? 0,
        droppedBy: { ...c.datagramDrops },
      },
      fps: rates.perSecond,
      mbps: rates.mbitPerSecond,
      latencyMs,
      streamId: streamId === null ? null : `0x${(streamId >>> 0).toString(16).padStart(8, "0")}`,
      recovery: recoveryOf(c),
      problem,
      replies: (c as RecoveryCounters).replies ?? null,
      link: (c as RecoveryCounters).link ?? null,
    };
  }
}

/** The one-line human status for `report`. */
export function formatReceiverStatus(listen: string, report: ReceiverReport): string {
  const { frames, datagrams } = report;
  const total = frames.complete + frames.dropped;
  const lostPct = total === 0 ? 0 : (100 * frames.dropped) / total;
  const latency = report.latencyMs
    ? ` | latency p50 ${report.latencyMs.p50.toFixed(1)} ms p95 ${
      report.latencyMs.p95.toFixed(1)
    } ms`
    : "";
  const { fecFrames, retransmittedFrames } = report.recovery;
  const recovered = fecFrames + retransmittedFrames > 0
    ? ` | repaired ${fecFrames} by FEC, ${retransmittedFrames} by NACK`
    : "";
  const waiting = report.problem !== null
    ? ` | ${report.problem}`
    : frames.complete === 0
    ? datagrams.received === 0 ? " | waiting for stream" : " | datagrams arriving, no frame yet"
    : "";
  return `udpcam-recv ${listen} | ${report.fps.toFixed(1)} fps ${
    report.mbps.toFixed(2)
  } Mbit/s | ` +
    `frames ${frames.complete} ok, ${frames.dropped} lost (${lostPct.toFixed(1)}%)${latency} | ` +
    `datagrams ${datagrams.received}, ${datagrams.invalid} invalid${waiting}${recovered}` +
    formatReceiverLink(report.link);
}
