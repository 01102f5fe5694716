/**
 * The sender's side of link fitting in one place: receiver reports in, and out the rate the
 * stream is held to, whether each frame fits, how its datagrams are paced, the picture the
 * ladder chooses, and the figures for the status line. It keeps a congestion controller per
 * receiver (lib/adapt/congestion_controller.ts), applies the group rule across them
 * (lib/adapt/group_target.ts), spends the target with the rate budget
 * (lib/adapt/rate_budget.ts) and plans the picture with the ladder
 * (lib/adapt/picture_ladder.ts). Pure: datagrams, sizes and `nowMs` in, decisions out; the
 * sender's sockets, pacer and picture stage act on them.
 *
 * Who a receiver is:
 * - a unicast `--to` destination: its reports count only from exactly its address and port
 *   (lib/net/reply_source.ts; anything else is a `stranger`, counted, never parsed);
 * - a member of a multicast `--to` group: a group is no address replies come from, so its
 *   members are told apart by their own addresses, and their reports are taken only under `--key`
 *   (the key is the credential; unsealed, they are `stranger`s). At most
 *   {@linkcode MAX_GROUP_RECEIVERS} members are followed (`tooManyReceivers` past it); one silent
 *   for a minute makes room.
 *
 * The rate: until a receiver's link first pushes back, the ceiling (`--max-rate`, or unbounded:
 * today's stream); once receivers report, the group rule over those heard within 3 s: the slowest one's target,
 * where a group's members below `groupFloorBps` are left out (one hopeless link must not drag
 * every viewer's picture down); a single unicast receiver is followed all the way down. When
 * every receiver has fallen silent, their controllers' decaying targets (`noReceiver`).
 * `adapt: false` holds the stream to the ceiling and nothing else: reports change nothing.
 *
 * Pacing (`pacingRateBps`): unbounded (today's bursts, sized for the receiver's socket buffer)
 * while the link has never pushed back: no decrease for `freeBurstAfterMs`, the picture on its
 * top rung, the slowest receiver's last report without loss or queue. Pacing such a stream
 * would only delay its frames. Otherwise `pacingGain` × the target (WebRTC's 2.5), never above
 * the ceiling: a frame leaves in well under a frame interval and never hits a bottleneck at line
 * rate, and `--max-rate` holds over a few milliseconds.
 *
 * Padding (`paddingBytes`): while the picture is below the ladder's top rung, frames are padded
 * (with extra FEC parity) up to the target, so the link is shown to carry it and the rungs above
 * are earned. Padding never takes the stream past what the top rung (the unadapted stream) would
 * send, only while a receiver reported within 3 s, within the target, and only what the bucket
 * holds: a forged report cannot make the stream more than it is without link fitting, nor more
 * than the target, which a report cannot raise past 1.5 × the rate it claims arrived, nor past
 * what was sent (`impossible`), nor past `--max-rate`.
 *
 * @example
 * ```ts
 * import { LinkFitter } from "./link_fitter.ts";
 *
 * const fitter = new LinkFitter({
 *   streamId: 7,
 *   destinations: [{ address: "10.0.0.2:5000", group: false }],
 *   adapt: true,
 *   ceilingBps: 8_000_000, // --max-rate 8
 *   keyed: false,
 *   sourceFps: 30,
 *   ladder: { qualities: [80, 60, 40] },
 * });
 * const decision = fitter.tick(0);
 * console.log(decision.targetBps, fitter.choose(0, 0).quality); // 8000000 80: no report yet
 * console.log(fitter.admitFrame(30_000, 0)); // true: within the budget
 * const verdict = fitter.onReport(new Uint8Array(68), { destination: -1, group: false }, "x", 1);
 * console.log(verdict); // { accepted: false, reason: "stranger" }
 * ```
 *
 * @module
 */

import {
  CongestionController,
  type CongestionControllerOptions,
  CONTROLLER_REFUSALS,
  type ControllerState,
  formatBps,
  type RateDecision,
  type ReportRefusal,
  type ReportVerdict,
} from "./congestion_controller.ts";
import { groupTarget, MAX_GROUP_RECEIVERS } from "./group_target.ts";
import type { OveruseDetectorOptions } from "./overuse_detector.ts";
import {
  type LadderDecision,
  PictureLadder,
  type PictureLadderOptions,
  type PictureRung,
} from "./picture_ladder.ts";
import {
  probePaddingBytes,
  RateBudget,
  type RateBudgetCounters,
  type RateBudgetOptions,
} from "./rate_budget.ts";
import {
  decodeHeader,
  decodeLinkReport,
  LINK_REPORT_DECODE_FAILURES,
  type LinkReport,
  type LinkReportDecodeFailure,
} from "../wire/v1/mod.ts";
import type { LinkPictureStats, LinkReceiverStats, SenderLinkStats } from "../stats/mod.ts";
import type { ReplySource } from "../net/mod.ts";

// What this module's API speaks in, so its documentation can name it.
export type {
  CongestionControllerOptions,
  ControllerState,
  LadderDecision,
  LinkPictureStats,
  LinkReceiverStats,
  LinkReportDecodeFailure,
  OveruseDetectorOptions,
  PictureLadderOptions,
  PictureRung,
  RateBudgetCounters,
  RateBudgetOptions,
  RateDecision,
  ReportRefusal,
  ReportVerdict,
  SenderLinkStats,
};
export { PictureLadder, RateBudget };

/** One `--to` destination as the fitter knows it. */
export interface FitterDestination {
  /** "host:port", as the status line shows it. */
  address: string;
  /** True for a multicast group. */
  group: boolean;
}

/** Where a report came from: the sender's sockets say (lib/net/reply_source.ts's ReplySource). */
/** Where a report came from: the net's reply source (lib/net/reply_source.ts). */
export type ReportSource = ReplySource;

/** What a {@linkcode LinkFitter} is fitted to. */
export interface LinkFitterOptions {
  /** The sender's stream id: reports on another are refused. */
  streamId: number;
  /** The `--to` destinations, in order. */
  destinations: readonly FitterDestination[];
  /** `--adapt`: reports steer the stream; false: held to the ceiling only. */
  adapt: boolean;
  /** `--max-rate` in bit/s, or Infinity. */
  ceilingBps: number;
  /** `--key`: reports were opened (sealed) before they reach the fitter; groups need it. */
  keyed: boolean;
  /** Frames per second the source delivers. */
  sourceFps: number;
  /** The picture ladder's steps, or null for none (frames then go as they come, or are skipped). */
  ladder: Partial<PictureLadderOptions> | null;
  /** A group's members below this target are left out of the group rule; default 1 Mbit/s. */
  groupFloorBps?: number;
  /** Tuning of every receiver's controller (its ceiling is `ceilingBps`). */
  controller?: Partial<CongestionControllerOptions>;
  /** Tuning of the rate budget. */
  budget?: Partial<RateBudgetOptions>;
  /** Pacing is unbounded only if no receiver's rate was cut for this long; default 30 s. */
  freeBurstAfterMs?: number;
  /** Bytes the socket layer adds to each datagram after the pacer (`--key`'s seal); default 0. */
  datagramOverheadBytes?: number;
}

/** The fitter's decision for the stream. */
export interface FitDecision {
  /** What the stream is held to, all bytes counted; Infinity: unbounded. */
  targetBps: number;
  /** The state behind it: a controller state, "waiting", "noReceiver" or "fixed". */
  state: string;
  /** One line saying why. */
  reason: string;
}

/** What the picture stage needs for one frame (lib/send/picture_stage.ts's PictureChoice). */
export interface FitPictureChoice {
  /** JPEG quality of the rung. */
  quality: number;
  /** Width and height as a share of the source's. */
  scale: number;
  /** False when the rung's frame rate leaves this frame out. */
  admit: boolean;
}

/** Reasons only the fitter refuses a report for (the controller and decoder add theirs). */
export const FITTER_REFUSALS = ["tooManyReceivers", "notAdapting"] as const;

/** Every reason a report may be refused for, as the stats count them. */
export type FitterRefusal = ReportRefusal | typeof FITTER_REFUSALS[number];

/** Result of giving the fitter a report. */
export type FitVerdict = { accepted: true } | { accepted: false; reason: FitterRefusal };

/** A receiver is heard from if it reported within this long (as the group rule counts). */
const HEARD_MS = 3000;
/** A group member silent this long is forgotten, to make room for others. */
const FORGET_MEMBER_MS = 60_000;
/** Default floor of the group rule. */
const DEFAULT_GROUP_FLOOR_BPS = 1_000_000;
/** Default time without a decrease before frames may burst again. */
const DEFAULT_FREE_BURST_AFTER_MS = 30_000;
/** Loss share and queue (ms) in the last report below which the link shows no push-back. */
const QUIET_LOSS = 0.02;
const QUIET_QUEUE_MS = 5;
/** Weight of a new frame in the wire-to-JPEG size ratio. */
const OVERHEAD_SMOOTHING = 0.1;
/** Frames whose time in the sender is remembered (about 4 s at 30 fps). */
const HOLDS_REMEMBERED = 128;
/** The least time in the sender is kept per slot of this long, over HOLD_SLOTS slots (30 s). */
const HOLD_SLOT_MS = 3000;
const HOLD_SLOTS = 10;

interface Receiver {
  key: string;
  destination: number;
  controller: CongestionController;
  /** When it was first heard of, or last reported: a group member silent long is forgotten. */
  seenMs: number;
  lastReportMs: number | null;
  lastReport: LinkReport | null;
  decreases: number;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Fits the stream to the link; see the module docs. */
export class LinkFitter {
  readonly #options: LinkFitterOptions;
  readonly #budget: RateBudget;
  readonly #ladder: PictureLadder | null;
  /** Unicast receivers by destination index, group members by their address. */
  readonly #receivers = new Map<string, Receiver>();
  readonly #refused: Record<string, number>;
  #decision: FitDecision;
  #lastDecreaseMs = Number.NEGATIVE_INFINITY;
  #slowest: Receiver | null = null;
  #ladderDecision: LadderDecision | null = null;
  #wireRatio = 1;
  #paddingBytes = 0;
  /** How long each recent frame spent in the sender (µs), by sequence number. */
  readonly #holds = new Map<number, number>();
  /** The least of those per 3 s slot, over the last 30 s. */
  readonly #holdSlots: ({ index: number; leastUs: number } | null)[] = new Array(10).fill(null);

  /**
   * A fitter at the ceiling, with no receiver heard yet.
   *
   * @throws {RangeError} when the ladder's steps are invalid (see PictureLadder).
   */
  constructor(options: LinkFitterOptions) {
    this.#options = options;
    this.#budget = new RateBudget(options.budget);
    this.#ladder = options.ladder === null
      ? null
      : new PictureLadder({ sourceFps: options.sourceFps, ...options.ladder });
    this.#refused = {};
    for (const reason of [...LINK_REPORT_DECODE_FAILURES, ...CONTROLLER_REFUSALS]) {
      this.#refused[reason] = 0;
    }
    for (const reason of FITTER_REFUSALS) this.#refused[reason] = 0;
    // Unicast receivers are known from the start, so their controllers see every frame sent.
    for (const [index, destination] of options.destinations.entries()) {
      if (!destination.group) this.#addReceiver(destination.address, index, 0);
    }
    this.#decision = this.#ceilingDecision();
    this.#budget.setTarget(this.#decision.targetBps, 0);
  }

  /** The decision the last `tick` made. */
  get decision(): FitDecision {
    return this.#decision;
  }

  /** The rate budget (its counters: frames skipped, repairs refused). */
  get budget(): RateBudget {
    return this.#budget;
  }

  /** The picture ladder, or null without one. */
  get ladder(): PictureLadder | null {
    return this.#ladder;
  }

  /** Counts a report refused before it reached the fitter (a stranger, or unsealed). */
  refuse(reason: FitterRefusal): void {
    this.#refused[reason] = (this.#refused[reason] ?? 0) + 1;
  }

  /**
   * Takes a report datagram (plain: opened already under `--key`) from `source` at `nowMs`;
   * `from` is the address it came from ("host:port"), which names a group's member. A refused
   * report changes nothing and is counted by reason.
   */
  onReport(datagram: Uint8Array, source: ReportSource, from: string, nowMs: number): FitVerdict {
    const refuse = (reason: FitterRefusal): FitVerdict => {
      this.refuse(reason);
      return { accepted: false, reason };
    };
    if (source.destination < 0 || source.destination >= this.#options.destinations.length) {
      return refuse("stranger");
    }
    // A group's members can be anyone on the path: without the key nothing says who they are.
    if (source.group && !this.#options.keyed) return refuse("stranger");
    if (!this.#options.adapt) return refuse("notAdapting");
    const decoded = decodeLinkReport(datagram);
    if (!decoded.ok) return refuse(decoded.reason);
    const receiver = this.#receiverFor(source, from, nowMs);
    if (receiver === null) return refuse("tooManyReceivers");
    const report = this.#withoutOwnDelay(decoded.report);
    const verdict = receiver.controller.onReport(report, nowMs);
    if (!verdict.accepted) {
      this.refuse(verdict.reason);
      return verdict;
    }
    receiver.lastReportMs = nowMs;
    receiver.seenMs = nowMs;
    receiver.lastReport = report;
    return verdict;
  }

  /**
   * `report` with the sender's own delay taken out of its queue delay. The receiver measures
   * arrival − capture time, so the time a frame spent in the sender before its first datagram
   * left (re-encoding it, waiting behind a paced frame, a busy machine) reads as queue; the
   * sender knows that time for each frame it sent, so it subtracts how much more the echoed
   * (newest) frame spent than the least any frame spent over the last 30 s, as the receiver's
   * delay base is the least delay over 30 s.
   */
  #withoutOwnDelay(report: LinkReport): LinkReport {
    const hold = this.#holds.get(report.echoFrameSeq >>> 0);
    if (hold === undefined || report.queueDelayUs === 0) return report;
    let least = Number.POSITIVE_INFINITY;
    for (const slot of this.#holdSlots) if (slot !== null) least = Math.min(least, slot.leastUs);
    const excess = Math.max(0, hold - least);
    if (!(excess > 0)) return report;
    return { ...report, queueDelayUs: Math.max(0, Math.round(report.queueDelayUs - excess)) };
  }

  /** Remembers how long frame `frameSeq` spent in the sender, at `nowMs`. */
  #rememberHold(frameSeq: number, holdUs: number, nowMs: number): void {
    if (!Number.isFinite(holdUs) || holdUs < 0) return;
    this.#holds.delete(frameSeq);
    this.#holds.set(frameSeq, holdUs);
    while (this.#holds.size > HOLDS_REMEMBERED) {
      this.#holds.delete(this.#holds.keys().next().value as number);
    }
    const index = Math.floor(nowMs / HOLD_SLOT_MS);
    const at = index % HOLD_SLOTS;
    const slot = this.#holdSlots[at];
    if (slot === null || slot.index !== index) this.#holdSlots[at] = { index, leastUs: holdUs };
    else slot.leastUs = Math.min(slot.leastUs, holdUs);
    // Slots older than the window no longer count.
    for (let k = 0; k < HOLD_SLOTS; k++) {
      const old = this.#holdSlots[k];
      if (old !== null && index - old.index >= HOLD_SLOTS) this.#holdSlots[k] = null;
    }
  }

  /**
   * Records a frame sent at `nowMs`: its sequence number and capture time (round-trip echoes),
   * its bytes on the wire (all its datagrams, padding too), the JPEG's bytes and the padding.
   * Every receiver got it.
   */
  onFrameSent(
    frame: { frameSeq: number; captureUs: number; bytes: number; jpegBytes: number },
    paddingBytes: number,
    nowMs: number,
  ): void {
    for (const receiver of this.#receivers.values()) receiver.controller.onFrameSent(frame, nowMs);
    this.#paddingBytes += paddingBytes;
    const mediaBytes = frame.bytes - paddingBytes;
    if (frame.jpegBytes > 0 && mediaBytes > 0) {
      this.#wireRatio += OVERHEAD_SMOOTHING * (mediaBytes / frame.jpegBytes - this.#wireRatio);
    }
  }

  /**
   * A frame read at `captureUs` went out as `datagrams` at `nowMs` (the pacer says so): from a
   * JPEG of `jpegBytes`, with `paddingBytes` of padding, `admittedBytes` admitted for it, after
   * `holdUs` in the sender since its capture time (re-encoding, waiting). The budget is settled
   * to what it took; a v1 frame's first datagram names its sequence number for the receivers'
   * round-trip echoes and their queue delay (other wires have no reports).
   */
  frameSent(
    datagrams: readonly Uint8Array[],
    jpegBytes: number,
    admittedBytes: number,
    paddingBytes: number,
    captureUs: number,
    nowMs: number,
    holdUs: number | null = null,
  ): void {
    // What the link carries: each datagram as sealed, if it is.
    let bytes = datagrams.length * (this.#options.datagramOverheadBytes ?? 0);
    for (const datagram of datagrams) bytes += datagram.length;
    if (admittedBytes > 0) this.settleFrame(admittedBytes, bytes);
    const first = datagrams.length > 0 ? decodeHeader(datagrams[0]) : null;
    const frameSeq = first !== null && first.ok ? first.header.frameSeq : -1;
    if (frameSeq < 0) {
      this.#paddingBytes += paddingBytes;
      return;
    }
    if (holdUs !== null) this.#rememberHold(frameSeq >>> 0, holdUs, nowMs);
    this.onFrameSent({ frameSeq, captureUs, bytes, jpegBytes }, paddingBytes, nowMs);
  }

  /** Records `bytes` retransmitted to `destination` at `nowMs` (its receivers' share). */
  onRepairSent(bytes: number, destination: number, nowMs: number): void {
    for (const receiver of this.#receivers.values()) {
      if (receiver.destination === destination) receiver.controller.onBytesSent(bytes, nowMs);
    }
  }

  /** Advances to `nowMs`: the receivers' controllers, the group rule, the budget's target. */
  tick(nowMs: number): FitDecision {
    const o = this.#options;
    this.#forgetSilentMembers(nowMs);
    const all = [...this.#receivers.values()];
    for (const receiver of all) {
      receiver.controller.tick(nowMs);
      const decreases = receiver.controller.counters.decreases;
      if (decreases !== receiver.decreases) {
        receiver.decreases = decreases;
        this.#lastDecreaseMs = nowMs;
      }
    }
    const reported = all.filter((r) => r.lastReportMs !== null);
    const heard = reported.filter((r) => nowMs - r.lastReportMs! <= HEARD_MS);
    let decision: FitDecision;
    if (!o.adapt || reported.length === 0) {
      this.#slowest = null;
      decision = this.#ceilingDecision();
    } else if (heard.length === 0) {
      // Everyone fell silent: the most hopeful of the decaying targets.
      const best = reported.reduce((a, b) =>
        b.controller.decision.targetBps > a.controller.decision.targetBps ? b : a
      );
      this.#slowest = best;
      const { targetBps, reason } = best.controller.decision;
      decision = { targetBps, state: "noReceiver", reason };
    } else {
      const groups = o.destinations.some((d) => d.group);
      const group = groupTarget(
        heard.map((r) => ({
          key: r.key,
          targetBps: r.controller.decision.targetBps,
          lastReportMs: r.lastReportMs!,
        })),
        nowMs,
        { floorBps: groups ? (o.groupFloorBps ?? DEFAULT_GROUP_FLOOR_BPS) : 0, staleMs: HEARD_MS },
      );
      const slowest = heard.find((r) => r.key === group.slowest) ?? null;
      this.#slowest = slowest;
      const own = slowest?.controller.decision ?? null;
      const targetBps = Math.min(group.targetBps ?? o.ceilingBps, o.ceilingBps);
      decision = {
        targetBps,
        state: own?.state ?? "hold",
        reason: heard.length > 1 || own === null
          ? `${group.reason}${own === null ? "" : `; ${own.reason}`}`
          : own.reason,
      };
    }
    this.#decision = decision;
    if (decision.targetBps !== this.#budget.targetBps) {
      this.#budget.setTarget(decision.targetBps, nowMs);
    }
    return decision;
  }

  /**
   * The picture for the frame captured at `captureUs` (µs), asked at `nowMs`: the ladder's rung
   * under the media budget (the target less what repairs used), and whether its frame rate takes
   * this frame. Without a ladder: every frame, as it comes (quality 100 = never re-encoded).
   */
  choose(captureUs: number, nowMs: number): FitPictureChoice {
    const ladder = this.#ladder;
    if (ladder === null) return { quality: 100, scale: 1, admit: true };
    const decision = ladder.choose(this.#budget.mediaBudgetBps(nowMs), nowMs);
    this.#ladderDecision = decision;
    return {
      quality: decision.rung.quality,
      scale: decision.rung.scale,
      admit: ladder.admit(captureUs / 1000),
    };
  }

  /**
   * Hears a frame of `jpegBytes` sent standing for `quality` at `scale` (the picture stage's
   * observer): the ladder models wire bytes, so the wire's overhead (headers, parity) measured
   * on recent frames is added.
   */
  observe(quality: number, scale: number, jpegBytes: number, nowMs: number): void {
    this.#ladder?.observe(quality, scale, jpegBytes * this.#wireRatio, nowMs);
  }

  /** The wire's bytes for a JPEG of `jpegBytes`, as recent frames measured it. */
  estimateWireBytes(jpegBytes: number): number {
    return Math.ceil(jpegBytes * this.#wireRatio);
  }

  /**
   * Whether a frame of `bytes` on the wire (its padding too) is sent at `nowMs`; if so its bytes
   * are spent, else it is skipped (counted by the budget).
   */
  admitFrame(bytes: number, nowMs: number): boolean {
    return this.#budget.admitFrame(bytes, nowMs);
  }

  /** A frame admitted for `admittedBytes` took `sentBytes` on the wire: the budget counts those. */
  settleFrame(admittedBytes: number, sentBytes: number): void {
    this.#budget.adjust(sentBytes - admittedBytes);
  }

  /**
   * Whether a retransmission of `bytes` to `destination` goes at `nowMs`: within the budget's
   * repair share of the target; counted against that destination's receivers when it goes.
   */
  admitRepair(bytes: number, destination: number, nowMs: number): boolean {
    if (!this.#budget.admitRepair(bytes, nowMs)) return false;
    this.onRepairSent(bytes, destination, nowMs);
    return true;
  }

  /**
   * Padding to add to a frame of `frameBytes` on the wire sent at `nowMs`, so frames carry the
   * next rung's rate; 0 unless the ladder waits below its target for it (see the module docs).
   */
  paddingBytes(frameBytes: number, nowMs: number): number {
    const ladder = this.#ladder;
    const slowest = this.#slowest;
    if (ladder === null || !this.#options.adapt || slowest === null) return 0;
    if (slowest.lastReportMs === null || nowMs - slowest.lastReportMs > HEARD_MS) return 0;
    const { targetBps } = this.#decision;
    // Below the top rung, frames carry the whole target: the link shown to carry it, the
    // controller (which trusts 1.5 × what arrived) can probe on, and the rungs above are earned
    // as fast as the ladder's holds allow, not one padded rung at a time. Never past what the
    // top rung would send: padding never makes the stream more than it is unadapted.
    const top = ladder.predictBps(ladder.rungs[0]);
    if (ladder.upGoalBps() === null || top === null) return 0;
    const goalBps = Math.min(targetBps, top);
    const wanted = probePaddingBytes(frameBytes, 1000 / ladder.rung.fps, goalBps, targetBps);
    // Only what the bucket holds beyond the frame.
    const room = Math.max(0, this.#budget.tokens - frameBytes);
    return Math.max(0, Math.floor(Math.min(wanted, room)));
  }

  /**
   * The rate to pace a frame's datagrams at, at `nowMs`: Infinity (today's bursts) while the
   * link never pushed back, else `pacingGain` × the target, at most the ceiling.
   */
  pacingRateBps(nowMs: number): number {
    const o = this.#options;
    const { targetBps } = this.#decision;
    if (!Number.isFinite(targetBps)) return targetBps;
    const paced = Math.min(this.#budget.pacingRateBps, o.ceilingBps);
    if (!o.adapt || Number.isFinite(o.ceilingBps)) return paced;
    const quietFor = nowMs - this.#lastDecreaseMs;
    const report = this.#slowest?.lastReport ?? null;
    const topRung = this.#ladder === null || this.#ladder.rung === this.#ladder.rungs[0];
    const free = quietFor >= (o.freeBurstAfterMs ?? DEFAULT_FREE_BURST_AFTER_MS) && topRung &&
      report !== null && lossShare(report) < QUIET_LOSS &&
      report.queueDelayUs < QUIET_QUEUE_MS * 1000;
    return free ? Number.POSITIVE_INFINITY : paced;
  }

  /**
   * The figures for `--stats-json` and the status line at `nowMs`; `extraRefusals` adds the
   * refusals counted outside (sealed reports that did not open).
   */
  stats(nowMs: number, extraRefusals: Record<string, number> = {}): SenderLinkStats {
    const o = this.#options;
    const receivers = [...this.#receivers.values()].filter((r) => r.lastReportMs !== null);
    const lastHeard = receivers.reduce((m, r) => Math.max(m, r.lastReportMs!), -Infinity);
    const decision = this.#decision;
    const ladder = this.#ladder;
    const picture = ladder === null ? null : {
      quality: ladder.rung.quality,
      fps: round(ladder.rung.fps, 1),
      scale: ladder.rung.scale,
      reason: this.#ladderDecision?.reason ?? `q ${ladder.rung.quality}, ${ladder.rung.fps} fps`,
    };
    const c = this.#budget.counters;
    return {
      adapt: o.adapt,
      maxRateMbps: Number.isFinite(o.ceilingBps) ? round(o.ceilingBps / 1e6, 2) : null,
      targetMbps: Number.isFinite(decision.targetBps) ? round(decision.targetBps / 1e6, 2) : null,
      state: decision.state,
      reason: decision.reason,
      picture,
      receivers: receivers.slice(0, MAX_GROUP_RECEIVERS).map((r) => receiverStats(r, nowMs)),
      silentS: receivers.length === 0 ? null : round((nowMs - lastHeard) / 1000, 1),
      reportsRefused: { ...this.#refused, ...extraRefusals },
      framesSkipped: c.framesSkipped,
      repairBytesRefused: c.repairBytesRefused,
      paddingBytes: this.#paddingBytes,
    };
  }

  #ceilingDecision(): FitDecision {
    const o = this.#options;
    const targetBps = o.ceilingBps;
    const cap = Number.isFinite(targetBps) ? `--max-rate ${formatBps(targetBps)}` : "unbounded";
    if (!o.adapt) return { targetBps, state: "fixed", reason: `adaptation off: ${cap}` };
    return { targetBps, state: "waiting", reason: `no receiver report yet: ${cap}` };
  }

  #receiverFor(source: ReportSource, from: string, nowMs: number): Receiver | null {
    const o = this.#options;
    const key = source.group ? from : o.destinations[source.destination].address;
    const known = this.#receivers.get(key);
    if (known !== undefined) return known;
    if (!source.group) return null; // Unicast receivers were all made at the start.
    if (this.#groupMembers() >= MAX_GROUP_RECEIVERS) {
      this.#forgetSilentMembers(nowMs);
      if (this.#groupMembers() >= MAX_GROUP_RECEIVERS) return null;
    }
    return this.#addReceiver(key, source.destination, nowMs);
  }

  #addReceiver(key: string, destination: number, nowMs: number): Receiver {
    const o = this.#options;
    const receiver: Receiver = {
      key,
      destination,
      controller: new CongestionController(o.streamId, {
        ...o.controller,
        ceilingBps: Math.min(o.ceilingBps, o.controller?.ceilingBps ?? Infinity),
      }),
      seenMs: nowMs,
      lastReportMs: null,
      lastReport: null,
      decreases: 0,
    };
    this.#receivers.set(key, receiver);
    return receiver;
  }

  #groupMembers(): number {
    let count = 0;
    for (const r of this.#receivers.values()) {
      if (this.#options.destinations[r.destination].group) count++;
    }
    return count;
  }

  #forgetSilentMembers(nowMs: number): void {
    const o = this.#options;
    for (const [key, receiver] of this.#receivers) {
      if (
        o.destinations[receiver.destination].group && nowMs - receiver.seenMs > FORGET_MEMBER_MS
      ) {
        this.#receivers.delete(key);
      }
    }
  }
}

function lossShare(report: LinkReport): number {
  const counted = report.datagramsReceived + report.datagramsLost;
  return counted === 0 ? 0 : report.datagramsLost / counted;
}

function receiverStats(receiver: Receiver, nowMs: number): LinkReceiverStats {
  const report = receiver.lastReport;
  const { targetBps, state } = receiver.controller.decision;
  const rtt = receiver.controller.rttMs;
  return {
    address: receiver.key,
    state,
    targetMbps: Number.isFinite(targetBps) ? round(targetBps / 1e6, 2) : null,
    lossPercent: report === null ? null : round(100 * lossShare(report), 1),
    rttMs: rtt === null ? null : round(rtt, 1),
    deliveredFps: report === null
      ? null
      : round((report.framesCompleted * 1000) / report.intervalMs, 1),
    receiveMbps: report === null
      ? null
      : round((report.bytesReceived * 8) / (report.intervalMs * 1000), 2),
    queueDelayMs: report === null || report.delaySamples === 0
      ? null
      : round(report.queueDelayUs / 1000, 1),
    silentS: receiver.lastReportMs === null
      ? null
      : round((nowMs - receiver.lastReportMs) / 1000, 1),
    reportsAccepted: receiver.controller.counters.reportsAccepted,
  };
}

/**
 * What a frame asks the link fitter before it goes ({@linkcode frameLinkOf} wraps a
 * {@linkcode LinkFitter} in one for lib/io/paced_sender.ts). All sizes are bytes on the wire.
 */
export interface FrameLink {
  /** The wire bytes a JPEG of `jpegBytes` takes, as recent frames measured it. */
  estimateWireBytes(jpegBytes: number): number;
  /** Padding to add to a frame of `wireBytes` at `nowMs` (0: none). */
  paddingBytes(wireBytes: number, nowMs: number): number;
  /** Whether a frame of `wireBytes` (padding included) goes at `nowMs`; false: skipped. */
  admit(wireBytes: number, nowMs: number): boolean;
  /** The rate to spread its datagrams at, at `nowMs`; Infinity: the socket-buffer bursts. */
  pacingRateBps(nowMs: number): number;
  /**
   * The frame read at `captureUs` went out as `datagrams` at `nowMs`, from a JPEG of `jpegBytes`,
   * `admittedBytes` having been admitted for it.
   */
  sent(
    datagrams: readonly Uint8Array[],
    jpegBytes: number,
    admittedBytes: number,
    captureUs: number,
    nowMs: number,
  ): void;
}

/** What {@linkcode frameLinkOf} reads besides the fitter. */
export interface FrameLinkSources {
  /** Padding bytes the packetizer has added so far (a counter that only grows). */
  paddingBytesSent(): number;
  /** The time a frame captured at `captureUs` (wall clock) has spent in the sender at `nowMs`. */
  holdUs(captureUs: number, nowMs: number): number;
}

/**
 * The pacer's questions answered by `fitter`: each frame ticks the fitter, is padded, admitted
 * and paced by it, and is told to it once sent, with the padding it carried and its time in the
 * sender.
 *
 * @example
 * ```ts
 * import { frameLinkOf, LinkFitter } from "./link_fitter.ts";
 *
 * const fitter = new LinkFitter({
 *   streamId: 1,
 *   destinations: [{ address: "127.0.0.1:5000", group: false }],
 *   adapt: true,
 *   ceilingBps: 4_000_000,
 *   keyed: false,
 *   sourceFps: 30,
 *   ladder: null,
 * });
 * const link = frameLinkOf(fitter, { paddingBytesSent: () => 0, holdUs: () => 0 });
 * console.log(link.admit(10_000, 0), link.pacingRateBps(0) <= 4_000_000); // true true
 * ```
 */
export function frameLinkOf(fitter: LinkFitter, sources: FrameLinkSources): FrameLink {
  let paddingSeen = 0;
  return {
    estimateWireBytes: (jpegBytes) => fitter.estimateWireBytes(jpegBytes),
    paddingBytes: (wireBytes, nowMs) => {
      fitter.tick(nowMs);
      return fitter.paddingBytes(wireBytes, nowMs);
    },
    admit: (wireBytes, nowMs) => fitter.admitFrame(wireBytes, nowMs),
    pacingRateBps: (nowMs) => fitter.pacingRateBps(nowMs),
    sent: (datagrams, jpegBytes, admittedBytes, captureUs, nowMs) => {
      const paddingSent = sources.paddingBytesSent();
      const padding = paddingSent - paddingSeen;
      paddingSeen = paddingSent;
      const holdUs = sources.holdUs(captureUs, nowMs);
      fitter.frameSent(datagrams, jpegBytes, admittedBytes, padding, captureUs, nowMs, holdUs);
    },
  };
}
