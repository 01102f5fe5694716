/**
 * The sender's congestion controller: receiver reports (lib/wire/v1/report.ts) and what the
 * sender sent in, a target rate in bits per second out, with a state and a one-line reason.
 * Pure: the caller passes `nowMs` and does the sending; see docs/protocol.md,
 * "Fitting the stream to the link".
 *
 * Signals, per accepted report:
 * - **Delay** (seen before loss): the receiver's delay trend through a GCC over-use detector
 *   (lib/adapt/overuse_detector.ts), plus a standing queue (queue delay above
 *   `standingQueueMs` in two reports in a row), which a full drop-tail buffer shows as a flat
 *   trend.
 * - **Loss**, from the cumulative counters (a lost report loses nothing): above
 *   `lossDecreaseShare` (10 %) it cuts by half the loss, between 2 % and 10 % it holds, below
 *   2 % it lets the rate grow — GCC's loss-based controller. Two additions: loss of 2 % or more
 *   with a queue of `congestionQueueMs` is congestion (a full drop-tail queue has a flat trend),
 *   and loss of 2 % or more with over a quarter of the frames failing (after FEC and
 *   retransmission) cuts to what arrived: a frame needs all its datagrams.
 * - **Receive rate**: what actually arrived. On overuse the target becomes
 *   `decreaseFactor` × that (0.85, GCC), and the target never grows past
 *   `receiveRateBound` × it (1.5, GCC), so a sender that cannot fill its target does not run
 *   ahead of what the link has shown.
 *
 * Growth, when nothing says otherwise: multiplicative (8 %/s) while the target is below the last
 * known-good rate (the receive rate at recent decreases, averaged as GCC averages its maximum
 * bitrate), additive (`nearIncreaseShare` of it per second) near it, and probing above it: the
 * growth rate doubles every `probeDoublingMs` from 8 %/s up to `maxProbeIncreasePerS`, the way
 * BBR's startup doubles its rate each round, so a link that widened (4 → 20 Mbit/s) is filled in
 * seconds, not the ~20 s 8 %/s would take. Probing starts past the band around the known-good
 * rate, or as soon as the target has been above it for `widenedAfterMs` with the queue empty.
 *
 * No report for `noReportTimeoutMs` after reports came: "noReceiver". The target holds for that
 * time and then decays by `noReceiverDecayPerS` towards the floor, because silence may mean a
 * dead link (RFC 8083's circuit breaker stops a sender without feedback; decaying is its gentle
 * form) and a receiver that quit loses nothing. Before any report the target is the ceiling:
 * receivers that never report (legacy, RTP, older udpcam) get today's stream.
 *
 * What came from where: GCC (draft-ietf-rmcat-gcc-02) gives the delay-gradient detector with
 * its adaptive threshold, the AIMD rules (×0.85 of the receive rate, 8 %/s, additive near the
 * known-good rate, ≤ 1.5 × receive rate) and the loss thresholds. BBR gives treating the receive
 * rate as the measure of the bottleneck, the windowed minimum delay as the empty-queue base
 * (on the receiver), and exponential probing for a wider link. SRT gives the receiver reporting
 * its receive rate and loss on a fixed clock, and counting retransmissions in the sending
 * budget (lib/adapt/rate_budget.ts). The code is ours.
 *
 * @example
 * ```ts
 * import { CongestionController } from "./congestion_controller.ts";
 * import type { LinkReport } from "../wire/v1/mod.ts";
 *
 * const controller = new CongestionController(0xdeadbeef, { ceilingBps: 20_000_000 });
 * controller.onFrameSent({ frameSeq: 1, captureUs: 1_000_000, bytes: 50_000 }, 0);
 * const report: LinkReport = {
 *   streamId: 0xdeadbeef, reportSeq: 0, intervalMs: 200,
 *   totalDatagramsReceived: 40, totalDatagramsLost: 60, totalFramesCompleted: 0,
 *   totalFramesLost: 1, datagramsReceived: 40, datagramsLost: 60, framesCompleted: 0,
 *   framesLost: 1, bytesReceived: 48_000, echoFrameSeq: 1, echoCaptureUsLow: 1_000_000,
 *   holdUs: 150_000, queueDelayUs: 55_000, delayTrendUsPerS: 200_000, delaySamples: 6,
 * };
 * controller.onReport(report, 200);
 * const decision = controller.tick(200);
 * console.log(decision.state, Math.round(decision.targetBps)); // decrease 1632000
 * ```
 *
 * @module
 */

import type { LinkReport, LinkReportDecodeFailure } from "../wire/v1/mod.ts";
import {
  captureUsLow32,
  decodeLinkReport,
  LINK_REPORT_DECODE_FAILURES,
  linkReportRefusal,
} from "../wire/v1/mod.ts";
import { zeroCounts } from "../stats/mod.ts";
import {
  type DelaySignal,
  OveruseDetector,
  type OveruseDetectorOptions,
} from "./overuse_detector.ts";

// The types this module's API speaks in, so its documentation can name them.
export type { LinkReport, LinkReportDecodeFailure, OveruseDetectorOptions };

/** What the controller is doing. */
export type ControllerState =
  | "waiting"
  | "probe"
  | "increase"
  | "hold"
  | "decrease"
  | "overuse"
  | "noReceiver";

/** The controller's output: a target rate, its state and why, in one line. */
export interface RateDecision {
  /** What the sender may send, all bytes counted (media, parity, retransmissions, headers). */
  targetBps: number;
  /** What the controller is doing. */
  state: ControllerState;
  /** One line for a status display, e.g. "decrease: queue 48 ms, rising; 3.9 Mbit/s arrived". */
  reason: string;
}

/** Why a report changed nothing; each is a counter. */
export type ReportRefusal =
  | LinkReportDecodeFailure
  | "stranger"
  | "otherStream"
  | "stale"
  | "inconsistent"
  | "impossible"
  | "echo";

/** Every {@linkcode ReportRefusal} the controller itself decides (decode failures aside). */
export const CONTROLLER_REFUSALS = [
  "stranger",
  "otherStream",
  "stale",
  "inconsistent",
  "impossible",
  "echo",
] as const;

/** Result of giving the controller a report. */
export type ReportVerdict = { accepted: true } | { accepted: false; reason: ReportRefusal };

/** Constants of a {@linkcode CongestionController}; see the module docs for their roles. */
export interface CongestionControllerOptions {
  /** Lowest target. */
  floorBps: number;
  /** Highest target (`--max-rate`); Infinity: unbounded. */
  ceilingBps: number;
  /** Target before the first report, clamped to the ceiling; Infinity: start at the ceiling. */
  initialBps: number;
  /** On overuse the target becomes this × the receive rate (GCC: 0.85). */
  decreaseFactor: number;
  /** Loss above this share cuts the target by half the loss (GCC: 10 %). */
  lossDecreaseShare: number;
  /** Loss at or above this share stops growth (GCC: 2 %). */
  lossHoldShare: number;
  /**
   * With loss at or above `lossHoldShare`, more than this share of frames failing (after FEC
   * and retransmission did what they could) cuts too: a frame needs all its datagrams, and a
   * rate that loses most frames helps nobody. Enough FEC keeps frames whole and this quiet.
   */
  frameFailureShare: number;
  /** Least cut of a loss-based decrease (the cut is half the loss, at least this). */
  minLossCut: number;
  /** Multiplicative growth per second far from the known-good rate (GCC: 8 %). */
  increasePerS: number;
  /** Additive growth near the known-good rate, as a share of it per second. */
  nearIncreaseShare: number;
  /** While probing above the known-good rate, the growth rate doubles this often. */
  probeDoublingMs: number;
  /** Fastest probing growth per second (1 = ×2 per second). */
  maxProbeIncreasePerS: number;
  /**
   * Above the known-good rate with the queue empty (below `minOveruseQueueMs`) in every report
   * for this long: the link has widened, probe. (Over capacity by x, the queue grows x seconds
   * per second, so 2 % over fills 5 ms within 250 ms.)
   */
  widenedAfterMs: number;
  /** The target never grows past this × the receive rate (GCC: 1.5). */
  receiveRateBound: number;
  /** A queue delay above this, in two reports in a row and not draining, is overuse. */
  standingQueueMs: number;
  /** A delay-trend overuse needs at least this much queue (a trend on an empty queue is noise). */
  minOveruseQueueMs: number;
  /**
   * Loss of `lossHoldShare` or more with at least this much queue is congestion, not noise: a
   * full drop-tail queue shows as a flat trend, and GCC's 2–10 % "hold" would sit on it.
   */
  congestionQueueMs: number;
  /** Least time between two decreases; longer when the round trip is (RTT + 2 report intervals). */
  minCooldownMs: number;
  /** No report for this long: "noReceiver". */
  noReportTimeoutMs: number;
  /** Share of the target lost per second in "noReceiver". */
  noReceiverDecayPerS: number;
  /** Frames remembered for round-trip echoes. */
  maxFramesRemembered: number;
  /** Tuning of the delay detector (GCC's constants by default). */
  detector: Partial<OveruseDetectorOptions>;
}

/** Defaults; docs/protocol.md ("Congestion controller") gives the reason for each. */
export const DEFAULT_CONGESTION_CONTROLLER_OPTIONS: CongestionControllerOptions = {
  floorBps: 150_000,
  ceilingBps: Number.POSITIVE_INFINITY,
  initialBps: Number.POSITIVE_INFINITY,
  decreaseFactor: 0.85,
  lossDecreaseShare: 0.10,
  lossHoldShare: 0.02,
  frameFailureShare: 0.25,
  minLossCut: 0.05,
  increasePerS: 0.08,
  nearIncreaseShare: 0.05,
  probeDoublingMs: 700,
  maxProbeIncreasePerS: 1,
  widenedAfterMs: 700,
  receiveRateBound: 1.5,
  standingQueueMs: 60,
  minOveruseQueueMs: 5,
  congestionQueueMs: 20,
  minCooldownMs: 300,
  noReportTimeoutMs: 3000,
  noReceiverDecayPerS: 0.15,
  maxFramesRemembered: 128,
  detector: {},
};

/** What a {@linkcode CongestionController} has done. */
export interface CongestionControllerCounters {
  /** Reports that changed the controller's view. */
  reportsAccepted: number;
  /** Reports refused, by reason (malformed, stranger, stale, absurd...): they changed nothing. */
  reportsRefused: Record<ReportRefusal, number>;
  /** Decreases of the target. */
  decreases: number;
  /** Round-trip samples taken from echoes. */
  rttSamples: number;
  /** Echoes of frames no longer remembered (the report still counts). */
  echoUnknown: number;
}

interface SentFrame {
  captureLow: number;
  sentMs: number;
}

interface Deltas {
  received: number;
  lost: number;
  completed: number;
  framesLost: number;
}

interface Baseline {
  seq: number;
  received: number;
  lost: number;
  completed: number;
  framesLost: number;
}

/** Slots of 100 ms of the sent-bytes history (3 s). */
const SENT_SLOTS = 30;
const SENT_SLOT_MS = 100;
/** Relative spread of the known-good rate assumed at its first sample. */
const INITIAL_CAPACITY_SPREAD = 0.03;
/** The near region around the known-good rate is at least this share of it either side. */
const MIN_NEAR_SHARE = 0.05;
/** ...and at most this share. */
const MAX_NEAR_SHARE = 0.25;
/** "Above the known-good rate" for the widening test means at least this share above it. */
const WIDENED_MARGIN = 0.02;
/** Weight of a new sample in the known-good average (GCC: 0.05). */
const CAPACITY_SMOOTHING = 0.05;
/** Sends this recent are still in flight when a report comes: not expected in it. */
const BLACKOUT_FLIGHT_MS = 100;
/** A blackout needs at least this much sent that should have arrived (a few datagrams). */
const BLACKOUT_MIN_BYTES = 3000;
/** A report claiming more bytes than sent in its window, times this plus the slack, is absurd. */
const IMPOSSIBLE_RECEIVE_FACTOR = 1.25;
const IMPOSSIBLE_RECEIVE_SLACK_BYTES = 64 * 1024;

function seqIsNewer(a: number, b: number): boolean {
  const distance = (a - b) >>> 0;
  return distance !== 0 && distance < 0x8000_0000;
}

/** Formats a rate for a reason line: "3.8 Mbit/s", "850 kbit/s", "unlimited". */
export function formatBps(bps: number): string {
  if (!Number.isFinite(bps)) return "unlimited";
  if (bps >= 1_000_000) return `${(bps / 1_000_000).toFixed(1)} Mbit/s`;
  return `${Math.round(bps / 1000)} kbit/s`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}

/** Turns receiver reports into a target rate; see the module docs. */
export class CongestionController {
  readonly #streamId: number;
  readonly #options: CongestionControllerOptions;
  readonly #detector: OveruseDetector;
  #targetBps: number;
  #state: ControllerState = "waiting";
  #reason: string;
  #baseline: Baseline | null = null;
  #lastAcceptedMs: number | null = null;
  #lastUpdateMs: number | null = null;
  #lastDecreaseMs = Number.NEGATIVE_INFINITY;
  #probeStartMs: number | null = null;
  #standingReports = 0;
  #lastQueueMs = 0;
  #quietAboveSinceMs: number | null = null;
  #capacity: { meanBps: number; spread: number } | null = null;
  #srttMs: number | null = null;
  #meanReportIntervalMs = 200;
  readonly #sentFrames = new Map<number, SentFrame>();
  readonly #sentSlots = new Float64Array(SENT_SLOTS);
  #sentSlotIndex: number | null = null;
  #sentAnything = false;
  /** Counters since construction. */
  readonly counters: CongestionControllerCounters;

  /**
   * A controller in "waiting" at its initial target (the ceiling by default).
   *
   * @param streamId The sender's stream id: reports on another stream are refused.
   * @param options Overrides of {@linkcode DEFAULT_CONGESTION_CONTROLLER_OPTIONS}.
   */
  constructor(streamId: number, options: Partial<CongestionControllerOptions> = {}) {
    this.#streamId = streamId >>> 0;
    this.#options = { ...DEFAULT_CONGESTION_CONTROLLER_OPTIONS, ...options };
    const o = this.#options;
    this.#detector = new OveruseDetector(o.detector);
    this.#targetBps = Math.max(o.floorBps, Math.min(o.ceilingBps, o.initialBps));
    this.#reason = `no report yet: ${formatBps(this.#targetBps)}`;
    const refused = zeroCounts<ReportRefusal>([
      ...LINK_REPORT_DECODE_FAILURES,
      ...CONTROLLER_REFUSALS,
    ]);
    this.counters = {
      reportsAccepted: 0,
      reportsRefused: refused,
      decreases: 0,
      rttSamples: 0,
      echoUnknown: 0,
    };
  }

  /** The current decision (as the last `tick` or report left it). */
  get decision(): RateDecision {
    return { targetBps: this.#targetBps, state: this.#state, reason: this.#reason };
  }

  /** Smoothed round trip from report echoes, or null before the first. */
  get rttMs(): number | null {
    return this.#srttMs;
  }

  /** The known-good rate (receive rate at recent decreases), or null when none holds. */
  get knownGoodBps(): number | null {
    return this.#capacity?.meanBps ?? null;
  }

  /**
   * Records a frame sent at `nowMs`: its sequence number and capture time (for round-trip
   * echoes) and its bytes on the wire (data and parity datagrams).
   */
  onFrameSent(frame: { frameSeq: number; captureUs: number; bytes: number }, nowMs: number): void {
    const seq = frame.frameSeq >>> 0;
    this.#sentFrames.delete(seq);
    this.#sentFrames.set(seq, { captureLow: captureUsLow32(frame.captureUs), sentMs: nowMs });
    while (this.#sentFrames.size > this.#options.maxFramesRemembered) {
      this.#sentFrames.delete(this.#sentFrames.keys().next().value as number);
    }
    this.onBytesSent(frame.bytes, nowMs);
  }

  /** Records bytes sent at `nowMs` outside a frame (retransmissions, padding). */
  onBytesSent(bytes: number, nowMs: number): void {
    if (!Number.isFinite(bytes) || bytes <= 0) return;
    this.#rotateSent(nowMs);
    this.#sentSlots[this.#sentSlotIndex! % SENT_SLOTS] += bytes;
    this.#sentAnything = true;
  }

  /** Counts a report refused before decoding: from an address that is not a destination. */
  refuseReport(reason: "stranger"): void {
    this.counters.reportsRefused[reason]++;
  }

  /** Decodes a report datagram received at `nowMs` and takes it (see {@linkcode onReport}). */
  onReportDatagram(datagram: Uint8Array, nowMs: number): ReportVerdict {
    const decoded = decodeLinkReport(datagram);
    if (!decoded.ok) return this.#refuse(decoded.reason);
    return this.onReport(decoded.report, nowMs);
  }

  /**
   * Takes a decoded report received at `nowMs`. A report with impossible figures (as the decoder
   * checks them), of another stream, older than one
   * already taken, inconsistent with the previous one, claiming more than was sent, or echoing
   * a frame with the wrong capture time changes nothing and is counted.
   */
  onReport(report: LinkReport, nowMs: number): ReportVerdict {
    const o = this.#options;
    const invalid = linkReportRefusal(report);
    if (invalid !== null) return this.#refuse(invalid);
    if ((report.streamId >>> 0) !== this.#streamId) return this.#refuse("otherStream");
    // A receiver silent for the no-report timeout may have restarted: start a new baseline.
    const fresh = this.#lastAcceptedMs === null ||
      nowMs - this.#lastAcceptedMs > o.noReportTimeoutMs;
    const base = fresh ? null : this.#baseline;
    if (base !== null && !seqIsNewer(report.reportSeq, base.seq)) return this.#refuse("stale");
    const deltas = base === null ? this.#intervalFigures(report) : this.#deltas(report, base);
    if (deltas === null) return this.#refuse("inconsistent");
    if (this.#receivedImpossible(report, nowMs)) return this.#refuse("impossible");
    const sent = this.#sentFrames.get(report.echoFrameSeq >>> 0);
    if (sent !== undefined && sent.captureLow !== report.echoCaptureUsLow) {
      return this.#refuse("echo");
    }
    this.counters.reportsAccepted++;
    this.#baseline = {
      seq: report.reportSeq,
      received: report.totalDatagramsReceived,
      lost: report.totalDatagramsLost,
      completed: report.totalFramesCompleted,
      framesLost: report.totalFramesLost,
    };
    if (sent === undefined) this.counters.echoUnknown++;
    else this.#rttSample(nowMs - sent.sentMs - report.holdUs / 1000);
    if (fresh && this.#lastAcceptedMs !== null) {
      this.#capacity = null; // After a silence the old known-good rate may be stale.
      this.#probeStartMs = null;
    }
    this.#lastAcceptedMs = nowMs;
    this.#meanReportIntervalMs += 0.125 * (report.intervalMs - this.#meanReportIntervalMs);
    this.#update(report, deltas, nowMs);
    return { accepted: true };
  }

  /** Advances time to `nowMs` (no-report timeout, decay) and returns the decision. */
  tick(nowMs: number): RateDecision {
    const o = this.#options;
    this.#rotateSent(nowMs);
    const last = this.#lastAcceptedMs;
    if (last !== null && nowMs - last > o.noReportTimeoutMs) {
      const since = Math.max(this.#lastUpdateMs ?? nowMs, last + o.noReportTimeoutMs);
      const dtS = Math.max(0, nowMs - since) / 1000;
      this.#targetBps = Math.max(o.floorBps, this.#targetBps * (1 - o.noReceiverDecayPerS) ** dtS);
      this.#lastUpdateMs = nowMs;
      this.#state = "noReceiver";
      this.#reason = `noReceiver: no report for ${((nowMs - last) / 1000).toFixed(1)} s: ` +
        `decaying, ${formatBps(this.#targetBps)}`;
    }
    return this.decision;
  }

  #refuse(reason: ReportRefusal): ReportVerdict {
    this.counters.reportsRefused[reason]++;
    return { accepted: false, reason };
  }

  #intervalFigures(report: LinkReport): Deltas {
    return {
      received: report.datagramsReceived,
      lost: report.datagramsLost,
      completed: report.framesCompleted,
      framesLost: report.framesLost,
    };
  }

  /** What happened since the baseline, from the cumulative counters, or null if inconsistent. */
  #deltas(report: LinkReport, base: Baseline): Deltas | null {
    const d = (now: number, before: number) => (now - before) >>> 0;
    const received = d(report.totalDatagramsReceived, base.received);
    const lost = d(report.totalDatagramsLost, base.lost);
    const completed = d(report.totalFramesCompleted, base.completed);
    const framesLost = d(report.totalFramesLost, base.framesLost);
    const backwards = [received, lost, completed, framesLost].some((x) => x >= 0x8000_0000);
    // Since the baseline at least the report's own interval happened.
    if (
      backwards || received < report.datagramsReceived || lost < report.datagramsLost ||
      completed < report.framesCompleted || framesLost < report.framesLost
    ) return null;
    return { received, lost, completed, framesLost };
  }

  #receivedImpossible(report: LinkReport, nowMs: number): boolean {
    if (!this.#sentAnything) return false;
    const windowMs = report.intervalMs + 1000 + (this.#srttMs ?? 0);
    const sent = this.#sentOver(windowMs, nowMs);
    return report.bytesReceived > sent * IMPOSSIBLE_RECEIVE_FACTOR + IMPOSSIBLE_RECEIVE_SLACK_BYTES;
  }

  #rttSample(rttMs: number): void {
    if (!(rttMs >= 0) || rttMs > 10_000) return;
    this.counters.rttSamples++;
    this.#srttMs = this.#srttMs === null ? rttMs : this.#srttMs + 0.125 * (rttMs - this.#srttMs);
  }

  #cooldownMs(): number {
    return Math.max(
      this.#options.minCooldownMs,
      (this.#srttMs ?? 0) + 2 * this.#meanReportIntervalMs,
    );
  }

  #update(
    report: LinkReport,
    deltas: Deltas,
    nowMs: number,
  ): void {
    const o = this.#options;
    const dtMs = this.#lastUpdateMs === null
      ? 0
      : Math.min(1000, Math.max(0, nowMs - this.#lastUpdateMs));
    this.#lastUpdateMs = nowMs;
    const counted = deltas.received + deltas.lost;
    const loss = counted === 0 ? 0 : deltas.lost / counted;
    const frames = deltas.completed + deltas.framesLost;
    const frameFailure = frames === 0 ? 0 : deltas.framesLost / frames;
    const receivedBps = (report.bytesReceived * 8000) / report.intervalMs;
    const queueMs = report.queueDelayUs / 1000;
    this.#lastQueueMs = queueMs;
    const signal: DelaySignal = this.#detector.update(
      report.delayTrendUsPerS,
      report.delaySamples,
      nowMs,
    );
    this.#standingReports = queueMs > o.standingQueueMs && signal !== "underuse"
      ? this.#standingReports + 1
      : 0;
    // Nothing arrived of what was sent early enough in the interval to arrive by now: a sender
    // that paused (ffmpeg stalling) sent nothing to lose, and is no blackout.
    const flightMs = (this.#srttMs ?? 0) + BLACKOUT_FLIGHT_MS;
    const sentToArrive = this.#sentBetween(
      nowMs - report.intervalMs - flightMs,
      nowMs - flightMs,
      nowMs,
    );
    const blackout = report.bytesReceived === 0 && sentToArrive >= BLACKOUT_MIN_BYTES;
    const delayOveruse = signal === "overuse" && queueMs >= o.minOveruseQueueMs;
    const standing = this.#standingReports >= 2;
    const congestionLoss = loss >= o.lossHoldShare && queueMs >= o.congestionQueueMs;
    const cooled = nowMs - this.#lastDecreaseMs >= this.#cooldownMs();
    const arrived = `${formatBps(receivedBps)} arrived`;
    const queue = `queue ${Math.round(queueMs)} ms`;

    if (delayOveruse || standing || congestionLoss || blackout) {
      this.#probeStartMs = null;
      const why = blackout
        ? "nothing arrived"
        : delayOveruse
        ? `${queue}, rising`
        : standing
        ? `${queue}, standing`
        : `loss ${percent(loss)}, ${queue}`;
      if (!cooled) {
        this.#set("overuse", this.#targetBps, `${why}; waiting for the last decrease to show`);
        return;
      }
      // A blackout halves the target; one still unbounded has no figure to halve, so it takes
      // half of what was sent in the interval that should have arrived.
      const sentBps = (sentToArrive * 8000) / report.intervalMs;
      const target = blackout
        ? (Number.isFinite(this.#targetBps) ? this.#targetBps : sentBps) / 2
        : Math.min(this.#targetBps, o.decreaseFactor * receivedBps);
      if (!blackout) this.#capacitySample(receivedBps);
      this.#decrease(target, nowMs, `${why}; ${arrived}`);
      return;
    }
    const failing = loss >= o.lossHoldShare && frameFailure > o.frameFailureShare;
    if (loss > o.lossDecreaseShare || failing) {
      this.#probeStartMs = null;
      const why = `loss ${percent(loss)}` +
        (failing ? `, ${percent(frameFailure)} of frames failing` : "");
      if (!cooled) {
        this.#set("hold", this.#targetBps, `${why}; after a decrease`);
        return;
      }
      const cut = Math.max(o.minLossCut, loss / 2);
      // Failing frames mean this rate delivers little: fall to what arrived, as on overuse.
      const ceiling = failing ? o.decreaseFactor * receivedBps : o.receiveRateBound * receivedBps;
      const target = Math.min(this.#targetBps * (1 - cut), ceiling);
      if (failing) this.#capacitySample(receivedBps);
      this.#decrease(target, nowMs, `${why}; ${arrived}`);
      return;
    }
    if (!Number.isFinite(this.#targetBps)) {
      // Unbounded until the link first pushes back (a queue, loss past the decrease share, a
      // blackout: the branches above). One report's receive rate is no figure to hold a stream
      // to: at 10 fps a 200 ms report holds one to three frames, and 1.5× an undercount would
      // re-encode a stream the link carries whole.
      this.#set("hold", this.#targetBps, `${arrived}, no push-back: unbounded`);
      return;
    }
    if (loss >= o.lossHoldShare) {
      this.#probeStartMs = null;
      this.#set("hold", this.#targetBps, `loss ${percent(loss)}`);
      return;
    }
    if (signal === "underuse") {
      this.#set("hold", this.#targetBps, `${queue}, draining`);
      return;
    }
    if (!cooled) {
      this.#set("hold", this.#targetBps, "after a decrease");
      return;
    }
    this.#increase(dtMs, receivedBps, nowMs);
  }

  #increase(dtMs: number, receivedBps: number, nowMs: number): void {
    const o = this.#options;
    const before = this.#targetBps;
    const bound = o.receiveRateBound * Math.max(receivedBps, o.floorBps / o.receiveRateBound);
    if (before >= bound) {
      this.#probeStartMs = null;
      this.#set("hold", before, `${formatBps(receivedBps)} arrived: 1.5× that reached`);
      return;
    }
    const capacity = this.#capacity;
    const near = capacity === null ? 0 : capacity.meanBps *
      Math.min(MAX_NEAR_SHARE, Math.max(MIN_NEAR_SHARE, 3 * capacity.spread));
    const dtS = dtMs / 1000;
    if (capacity !== null && this.#widened(before, capacity.meanBps, nowMs)) {
      this.#capacity = null;
      this.#increase(dtMs, receivedBps, nowMs);
      return;
    }
    let target: number;
    let state: ControllerState;
    let why: string;
    if (capacity !== null && before < capacity.meanBps - near) {
      this.#probeStartMs = null;
      target = before * (1 + o.increasePerS) ** dtS;
      state = "increase";
      why = `below the last good ${formatBps(capacity.meanBps)}: +${percent(o.increasePerS)}/s`;
    } else if (capacity !== null && before <= capacity.meanBps + near) {
      this.#probeStartMs = null;
      target = before + o.nearIncreaseShare * capacity.meanBps * dtS;
      state = "increase";
      why = `near the last good ${formatBps(capacity.meanBps)}: +${
        formatBps(o.nearIncreaseShare * capacity.meanBps)
      }/s`;
    } else {
      // Above the known-good rate, or none known: the link may have widened. Forget the old
      // figure (GCC resets its average there) and grow faster the longer nothing pushes back.
      this.#capacity = null;
      this.#probeStartMs ??= nowMs;
      const rate = Math.min(
        o.maxProbeIncreasePerS,
        o.increasePerS * 2 ** ((nowMs - this.#probeStartMs) / o.probeDoublingMs),
      );
      target = before * (1 + rate) ** dtS;
      state = "probe";
      why = `no congestion for ${((nowMs - this.#probeStartMs) / 1000).toFixed(1)} s: +${
        percent(rate)
      }/s`;
    }
    this.#set(state, Math.min(target, bound), why);
  }

  /** True once the target has stayed above the known-good rate with an empty queue long enough. */
  #widened(targetBps: number, knownGoodBps: number, nowMs: number): boolean {
    if (
      targetBps < knownGoodBps * (1 + WIDENED_MARGIN) ||
      this.#lastQueueMs >= this.#options.minOveruseQueueMs
    ) {
      this.#quietAboveSinceMs = null;
      return false;
    }
    this.#quietAboveSinceMs ??= nowMs;
    return nowMs - this.#quietAboveSinceMs >= this.#options.widenedAfterMs;
  }

  #decrease(targetBps: number, nowMs: number, why: string): void {
    this.#quietAboveSinceMs = null;
    this.#lastDecreaseMs = nowMs;
    this.counters.decreases++;
    this.#set("decrease", targetBps, why);
  }

  #set(state: ControllerState, targetBps: number, why: string): void {
    const o = this.#options;
    this.#targetBps = Math.max(o.floorBps, Math.min(o.ceilingBps, targetBps));
    this.#state = state;
    this.#reason = `${state}: ${why} → ${formatBps(this.#targetBps)}`;
  }

  /** Folds a receive rate measured at overuse into the known-good rate (GCC's average). */
  #capacitySample(receivedBps: number): void {
    const c = this.#capacity;
    if (c === null || Math.abs(receivedBps - c.meanBps) > 3 * c.spread * c.meanBps) {
      this.#capacity = { meanBps: receivedBps, spread: INITIAL_CAPACITY_SPREAD };
      return;
    }
    const mean = c.meanBps + CAPACITY_SMOOTHING * (receivedBps - c.meanBps);
    const deviation = (receivedBps - mean) / mean;
    const variance = (1 - CAPACITY_SMOOTHING) * c.spread ** 2 +
      CAPACITY_SMOOTHING * deviation ** 2;
    this.#capacity = { meanBps: mean, spread: Math.max(0.01, Math.sqrt(variance)) };
  }

  #rotateSent(nowMs: number): void {
    const index = Math.floor(nowMs / SENT_SLOT_MS);
    if (this.#sentSlotIndex === null) {
      this.#sentSlotIndex = index;
      return;
    }
    if (index <= this.#sentSlotIndex) return;
    const steps = Math.min(SENT_SLOTS, index - this.#sentSlotIndex);
    for (let k = 1; k <= steps; k++) this.#sentSlots[(this.#sentSlotIndex + k) % SENT_SLOTS] = 0;
    this.#sentSlotIndex = index;
  }

  /** Bytes sent from `fromMs` to `toMs` (whole 100 ms slots, the last 3 s at most) at `nowMs`. */
  #sentBetween(fromMs: number, toMs: number, nowMs: number): number {
    this.#rotateSent(nowMs);
    const newest = this.#sentSlotIndex!;
    const first = Math.max(Math.floor(fromMs / SENT_SLOT_MS), newest - SENT_SLOTS + 1);
    const last = Math.min(Math.floor(toMs / SENT_SLOT_MS), newest);
    let sum = 0;
    for (let index = first; index <= last; index++) {
      sum += this.#sentSlots[((index % SENT_SLOTS) + SENT_SLOTS) % SENT_SLOTS];
    }
    return sum;
  }

  /** Bytes sent in the last `windowMs` (whole 100 ms slots, at most 3 s). */
  #sentOver(windowMs: number, nowMs: number): number {
    this.#rotateSent(nowMs);
    const slots = Math.min(SENT_SLOTS, Math.ceil(windowMs / SENT_SLOT_MS) + 1);
    let sum = 0;
    for (let k = 0; k < slots; k++) {
      sum += this.#sentSlots[(this.#sentSlotIndex! - k + SENT_SLOTS * 2) % SENT_SLOTS];
    }
    return sum;
  }
}
