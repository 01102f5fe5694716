/**
 * Receiver side of link fitting: watches the followed stream's datagrams and frames and decides
 * when to send a receiver report (lib/wire/v1/report.ts) and what it says. Pure: headers, sizes
 * and `nowMs` in, reports out; the caller encodes, seals and sends them to the stream's source.
 *
 * Loss is counted per frame, on the send-order positions the sender uses (data fragment i at i,
 * parity (p, g) at N + pG + g, as in lib/nack_tracker.ts): a frame closes `reorderWaitMs` after
 * a datagram of a newer frame arrived (the sender sends a frame's datagrams before the next
 * frame's), or `frameTimeoutMs` after its own last datagram; then every position not received
 * is lost. A frame's parity positions come from its own parity headers (each carries K and M);
 * a frame none of whose parity came is expected to have the stream's fixed parity only when each
 * of the last 8 frames showed parity with the same K, and then the smallest M among them, so the
 * extra parity a probing sender pads some frames with is never expected of others. Frames of
 * which nothing arrived (sequence gaps) are lost too, and their datagrams estimated from the
 * recent frames' sizes. Retransmissions and duplicates are not counted as
 * received, so received + lost = the original datagrams of the frames seen.
 *
 * When: every `intervalMs`, and early (not before `minGapMs`, nor `1000 / maxReportsPerSecond`
 * after the previous report) when a closing frame lost datagrams; never more than
 * `maxReportsPerSecond` in any second, and not at all once the stream has been silent for
 * `streamSilenceMs`. While the stream is only briefly
 * silent, reports keep coming with nothing received: that is news for the sender.
 *
 * @example
 * ```ts
 * import { ReportBuilder } from "./report_builder.ts";
 *
 * const builder = new ReportBuilder();
 * const header = {
 *   type: 0, flags: 0, fragmentIndex: 0, fragmentCount: 1,
 *   streamId: 0xdeadbeef, frameSeq: 1, captureUs: 1_700_000_000_000_000,
 * };
 * builder.onDatagram(header, 1200, 10);
 * builder.onFrameComplete(1, 10);
 * const report = builder.poll(210); // due: 200 ms since the stream's first datagram
 * console.log(report?.framesCompleted, report?.bytesReceived); // 1 1200
 * ```
 *
 * @module
 */

import { DelayTrend, type DelayTrendOptions } from "./delay_trend.ts";

// The delay filter's tuning, which the options name.
export type { DelayTrendOptions };
import {
  captureUsLow32,
  type LinkReport,
  linkReportProblem,
  MAX_DELAY_TREND_US_PER_S,
  MAX_REPORT_DELAY_US,
  MAX_REPORT_INTERVAL_MS,
  MAX_REPORT_RATE_BPS,
  MIN_COUNTED_DATAGRAM_BYTES,
} from "../wire/v1/mod.ts";

/** When a {@linkcode ReportBuilder} reports, and its limits. */
export interface ReportBuilderOptions {
  /** Regular report interval. */
  intervalMs: number;
  /**
   * Earliest an early report (on loss) may follow the previous report; early reports are also
   * spaced at least `1000 / maxReportsPerSecond` apart, so they never bunch up.
   */
  minGapMs: number;
  /** Most reports in any 1000 ms (a hard cap over any window). */
  maxReportsPerSecond: number;
  /** A frame closes this long after a datagram of a newer frame arrived (reordering allowed). */
  reorderWaitMs: number;
  /** A frame closes this long after its own last datagram whatever else arrives. */
  frameTimeoutMs: number;
  /** Most frames tracked at once; the oldest is closed early past it. */
  maxFrames: number;
  /** No reports once the stream has sent nothing for this long. */
  streamSilenceMs: number;
  /** A sequence jump larger than this is a restart, not lost frames. */
  maxGapFrames: number;
  /** Tuning of the delay filter. */
  delay: Partial<DelayTrendOptions>;
  /**
   * Leave the stream's first frame out even when its first datagram came: under `--key` the
   * receiver drops what arrives while a new session's key is derived, so that frame is partial
   * for the receiver's own reasons.
   */
  skipFirstFrame: boolean;
}

/** Defaults: a report every 200 ms, early ones on loss ≥ 100 ms apart, at most 10 a second. */
export const DEFAULT_REPORT_BUILDER_OPTIONS: ReportBuilderOptions = {
  intervalMs: 200,
  minGapMs: 50,
  maxReportsPerSecond: 10,
  reorderWaitMs: 10,
  frameTimeoutMs: 250,
  maxFrames: 32,
  streamSilenceMs: 2000,
  maxGapFrames: 1000,
  delay: {},
  skipFirstFrame: false,
};

/** The header fields the builder reads; a decoded v1 `WireHeader` has them all. */
export interface ReportDatagramHeader {
  /** Datagram type: 0 fragment, 1 parity (others are ignored). */
  type: number;
  /** Flag bits; bit 0x01 marks a retransmission. */
  flags: number;
  /** Fragment index, or the FEC group index of a parity datagram. */
  fragmentIndex: number;
  /** The frame's number of data fragments. */
  fragmentCount: number;
  /** Stream id. */
  streamId: number;
  /** Frame sequence number. */
  frameSeq: number;
  /** Capture time, µs, sender clock. */
  captureUs: number;
}

/** The parity fields of a parity datagram the builder reads (`readParityFields` has them). */
export interface ReportParityFields {
  /** K: data fragments per group. */
  groupData: number;
  /** M: parities per group. */
  groupParity: number;
  /** Which of the group's parities this is. */
  parityIndex: number;
}

/** What a {@linkcode ReportBuilder} has done. */
export interface ReportBuilderCounters {
  /** Reports returned by `poll`. */
  reportsBuilt: number;
  /** Of those, sent early because of loss. */
  earlyReports: number;
  /** Times a due report waited because of `maxReportsPerSecond`. */
  rateLimited: number;
  /** Datagrams given to `onDatagram`. */
  datagramsSeen: number;
  /** Ignored: unknown type, impossible fields or fewer than 31 bytes. */
  ignored: number;
  /** Retransmitted datagrams (bytes counted, not received: the original was lost). */
  retransmissions: number;
  /** Positions received twice (bytes counted, not received again). */
  duplicates: number;
  /** Datagrams of frames already closed or forgotten (bytes counted, not received). */
  late: number;
  /**
   * Datagrams before the first counted frame's fragment 0 (bytes counted, not received): the
   * first frame met may be partial for the receiver's own reasons (see `onDatagram`).
   */
  beforeFirstFrame: number;
  /** Times a new stream id started the figures again. */
  streamSwitches: number;
  /** Sequence jumps beyond `maxGapFrames` (not counted as loss). */
  sequenceJumps: number;
  /** Frames closed early because `maxFrames` were tracked. */
  framesEvicted: number;
}

interface TrackedFrame {
  seq: number;
  /** Data fragments N; 0 while nothing of the frame has arrived (a gap placeholder). */
  fragmentCount: number;
  /** FEC data per group K, groups G and parities per group M counted as expected, or 0s. */
  groupData: number;
  groups: number;
  perGroup: number;
  received: Uint8Array;
  receivedCount: number;
  /** Parity positions received. */
  parityReceived: number;
  lastMs: number;
  /** When a newer frame made this one due to close, or null. */
  closeAtMs: number | null;
}

/** Most parity positions (groups × M) tracked for one frame. */
const MAX_PARITY_POSITIONS = 65_536;
/** Closed frames whose parity shapes decide what a frame without parity yet expects. */
const PARITY_HISTORY = 8;
/** Smoothing of the mean datagrams per frame, used to estimate wholly lost frames. */
const MEAN_FRAME_SMOOTHING = 0.1;
const U16 = 0xffff;
const TWO_POW_32 = 0x1_0000_0000;

function seqIsNewer(a: number, b: number): boolean {
  const distance = (a - b) >>> 0;
  return distance !== 0 && distance < 0x8000_0000;
}

/** Builds a receiver's reports; see the module docs. */
export class ReportBuilder {
  readonly #options: ReportBuilderOptions;
  readonly #delay: DelayTrend;
  readonly #frames = new Map<number, TrackedFrame>();
  #streamId: number | null = null;
  /** The frame of the stream's first datagram, not counted (see `onDatagram`). */
  #firstSeq: number | null = null;
  #highestSeq: number | null = null;
  #echo: { seq: number; captureUs: number; arrivalMs: number } | null = null;
  #lastDatagramMs = 0;
  #intervalStartMs = 0;
  #reportSeq = 0;
  readonly #recentReportsMs: number[] = [];
  #lossPending = false;
  /** The parity shape (K, M) each of the last closed frames showed, or null: none seen. */
  readonly #recentParity: ({ groupData: number; groupParity: number } | null)[] = [];
  #meanFrameDatagrams = 0;
  #silent = false;
  readonly #total = { received: 0, lost: 0, completed: 0, framesLost: 0 };
  readonly #interval = { received: 0, lost: 0, completed: 0, framesLost: 0, bytes: 0 };
  /** Counters since construction. */
  readonly counters: ReportBuilderCounters = {
    reportsBuilt: 0,
    earlyReports: 0,
    rateLimited: 0,
    datagramsSeen: 0,
    ignored: 0,
    retransmissions: 0,
    duplicates: 0,
    late: 0,
    beforeFirstFrame: 0,
    streamSwitches: 0,
    sequenceJumps: 0,
    framesEvicted: 0,
  };

  /**
   * A builder following no stream yet (the first datagram picks it).
   *
   * @param options Overrides of {@linkcode DEFAULT_REPORT_BUILDER_OPTIONS}.
   */
  constructor(options: Partial<ReportBuilderOptions> = {}) {
    this.#options = { ...DEFAULT_REPORT_BUILDER_OPTIONS, ...options };
    this.#delay = new DelayTrend(this.#options.delay);
  }

  /** The stream reported on, or null before the first datagram. */
  get streamId(): number | null {
    return this.#streamId;
  }

  /**
   * Feeds one datagram of the followed stream that arrived at `nowMs`: its decoded header, its
   * size on the wire, and for parity its parity fields. A datagram of another stream id means
   * the receiver switched streams: the figures start again.
   */
  onDatagram(
    header: ReportDatagramHeader,
    datagramBytes: number,
    nowMs: number,
    parity: ReportParityFields | null = null,
  ): void {
    this.counters.datagramsSeen++;
    if (!this.#plausible(header, datagramBytes, parity)) {
      this.counters.ignored++;
      return;
    }
    if (this.#streamId !== header.streamId) this.#startStream(header.streamId, nowMs);
    if (this.#silent) {
      this.#silent = false;
      this.#intervalStartMs = nowMs;
    }
    this.#lastDatagramMs = nowMs;
    this.#interval.bytes += datagramBytes;
    this.#closeDue(nowMs);
    const seq = header.frameSeq >>> 0;
    if (this.#highestSeq === null) {
      // The first frame met may be partial for the receiver's own reasons: it started after the
      // sender, in the frame's middle, or (`skipFirstFrame`) it dropped what came while a --key
      // session's key was derived. Counting that as loss would make every start look like
      // congestion and cut a stream the link carries whole, so the figures start at a frame's
      // first datagram (with `skipFirstFrame`, the next frame's).
      this.#firstSeq ??= seq;
      const skipped = this.#options.skipFirstFrame && seq === this.#firstSeq;
      if (header.type !== 0 || header.fragmentIndex !== 0 || skipped) {
        this.counters.beforeFirstFrame++;
        return;
      }
    }
    this.#noteSequence(seq, nowMs);
    if ((header.flags & 0x01) !== 0) {
      this.counters.retransmissions++;
      return;
    }
    const frame = this.#frames.get(seq);
    if (frame === undefined) {
      this.counters.late++;
      return;
    }
    const isFirst = frame.fragmentCount === 0;
    if (isFirst) this.#shape(frame, header.fragmentCount);
    if (frame.fragmentCount !== header.fragmentCount) {
      this.counters.ignored++;
      return;
    }
    const position = this.#position(frame, header, parity);
    if (position === null) {
      this.counters.ignored++;
      return;
    }
    frame.lastMs = nowMs;
    if (frame.received[position] === 1) {
      this.counters.duplicates++;
      return;
    }
    frame.received[position] = 1;
    frame.receivedCount++;
    if (header.type === 1) frame.parityReceived++;
    this.#total.received++;
    this.#interval.received++;
    if (isFirst && seq === this.#highestSeq) {
      this.#echo = { seq, captureUs: header.captureUs, arrivalMs: nowMs };
    }
    // One delay sample per frame, from fragment 0: the first datagram the sender sends, so the
    // pacing of the rest of the frame does not enter the delay.
    if (header.type === 0 && header.fragmentIndex === 0 && seq === this.#highestSeq) {
      this.#delay.addSample(nowMs, header.captureUs);
    }
  }

  /** Counts a frame the receiver completed at `nowMs` (the delivered frame rate). */
  onFrameComplete(_frameSeq: number, _nowMs: number): void {
    if (this.#streamId === null) return;
    this.#total.completed++;
    this.#interval.completed++;
  }

  /** Counts a frame the receiver gave up incomplete (expired, superseded, evicted). */
  onFrameDropped(_frameSeq: number, _nowMs: number): void {
    if (this.#streamId === null) return;
    this.#total.framesLost++;
    this.#interval.framesLost++;
  }

  /**
   * Closes the frames that are due and returns a report when one is due at `nowMs`, else null.
   * Call it at {@linkcode nextPollMs} (or more often).
   */
  poll(nowMs: number): LinkReport | null {
    if (this.#streamId === null) return null;
    this.#closeDue(nowMs);
    if (nowMs - this.#lastDatagramMs > this.#options.streamSilenceMs) {
      if (!this.#silent) {
        this.#silent = true;
        for (const frame of [...this.#frames.values()]) this.#close(frame);
      }
      return null;
    }
    const sinceMs = nowMs - this.#intervalStartMs;
    const regular = sinceMs >= this.#options.intervalMs;
    const early = this.#lossPending && sinceMs >= this.#earlyGapMs();
    if (!regular && !early) return null;
    const recent = this.#recentReportsMs;
    while (recent.length > 0 && nowMs - recent[0] >= 1000) recent.shift();
    if (recent.length >= this.#options.maxReportsPerSecond) {
      this.counters.rateLimited++;
      return null;
    }
    const report = this.#build(nowMs);
    if (report === null) return null;
    recent.push(nowMs);
    this.counters.reportsBuilt++;
    if (!regular) this.counters.earlyReports++;
    return report;
  }

  /** When `poll` next has something to do, or null while there is no stream or it is silent. */
  nextPollMs(): number | null {
    if (this.#streamId === null || this.#silent) return null;
    const o = this.#options;
    let next = this.#intervalStartMs + (this.#lossPending ? this.#earlyGapMs() : o.intervalMs);
    if (this.#recentReportsMs.length >= o.maxReportsPerSecond) {
      next = Math.max(next, this.#recentReportsMs[0] + 1000);
    }
    next = Math.min(next, this.#lastDatagramMs + o.streamSilenceMs + 1);
    for (const frame of this.#frames.values()) next = Math.min(next, this.#closeTime(frame));
    return next;
  }

  #earlyGapMs(): number {
    const { minGapMs, maxReportsPerSecond, intervalMs } = this.#options;
    return Math.min(intervalMs, Math.max(minGapMs, 1000 / Math.max(1, maxReportsPerSecond)));
  }

  #plausible(
    header: ReportDatagramHeader,
    datagramBytes: number,
    parity: ReportParityFields | null,
  ): boolean {
    if (!Number.isFinite(datagramBytes) || datagramBytes < MIN_COUNTED_DATAGRAM_BYTES) return false;
    if (!Number.isFinite(header.captureUs)) return false;
    if (!Number.isInteger(header.fragmentCount) || header.fragmentCount < 1) return false;
    if (header.fragmentCount > U16) return false;
    if (header.type === 0) return header.fragmentIndex < header.fragmentCount;
    if (header.type !== 1 || parity === null) return false;
    const { groupData, groupParity, parityIndex } = parity;
    return groupData >= 1 && groupParity >= 1 && parityIndex < groupParity &&
      header.fragmentIndex < Math.ceil(header.fragmentCount / groupData);
  }

  #startStream(streamId: number, nowMs: number): void {
    if (this.#streamId !== null) this.counters.streamSwitches++;
    this.#streamId = streamId;
    this.#frames.clear();
    this.#highestSeq = null;
    this.#firstSeq = null;
    this.#echo = null;
    this.#delay.reset();
    this.#intervalStartMs = nowMs;
    this.#reportSeq = 0;
    this.#lossPending = false;
    this.#recentParity.length = 0;
    this.#meanFrameDatagrams = 0;
    this.#silent = false;
    Object.assign(this.#total, { received: 0, lost: 0, completed: 0, framesLost: 0 });
    Object.assign(this.#interval, { received: 0, lost: 0, completed: 0, framesLost: 0, bytes: 0 });
  }

  /** Tracks `seq` if it is new: frames in a gap become placeholders, older ones are late. */
  #noteSequence(seq: number, nowMs: number): void {
    const highest = this.#highestSeq;
    if (highest === null) {
      this.#highestSeq = seq;
      this.#track(seq, nowMs);
      return;
    }
    if (!seqIsNewer(seq, highest)) return;
    const gap = ((seq - highest) >>> 0) - 1;
    this.#highestSeq = seq;
    for (const frame of this.#frames.values()) {
      frame.closeAtMs ??= nowMs + this.#options.reorderWaitMs;
    }
    if (gap > this.#options.maxGapFrames) {
      this.counters.sequenceJumps++;
    } else {
      // Placeholders for the frames in the gap: a late datagram of one still counts as received.
      const placeholders = Math.min(gap, this.#options.maxFrames);
      const untracked = gap - placeholders;
      if (untracked > 0) this.#countWhollyLost(untracked);
      for (let k = placeholders; k >= 1; k--) {
        const frame = this.#track((seq - k) >>> 0, nowMs);
        frame.closeAtMs = nowMs + this.#options.reorderWaitMs;
      }
    }
    this.#track(seq, nowMs);
  }

  #track(seq: number, nowMs: number): TrackedFrame {
    const frame: TrackedFrame = {
      seq,
      fragmentCount: 0,
      groupData: 0,
      groups: 0,
      perGroup: 0,
      received: new Uint8Array(0),
      receivedCount: 0,
      parityReceived: 0,
      lastMs: nowMs,
      closeAtMs: null,
    };
    this.#frames.set(seq, frame);
    while (this.#frames.size > this.#options.maxFrames) {
      const oldest = this.#frames.values().next().value as TrackedFrame;
      this.counters.framesEvicted++;
      this.#close(oldest);
    }
    return frame;
  }

  /** Sizes a frame's data positions when its first datagram arrives; parity adds its own. */
  #shape(frame: TrackedFrame, fragmentCount: number): void {
    frame.fragmentCount = fragmentCount;
    frame.received = new Uint8Array(fragmentCount);
  }

  #position(
    frame: TrackedFrame,
    header: ReportDatagramHeader,
    parity: ReportParityFields | null,
  ): number | null {
    if (header.type === 0) return header.fragmentIndex;
    if (parity === null) return null;
    const groups = Math.ceil(frame.fragmentCount / parity.groupData);
    if (groups * parity.groupParity > MAX_PARITY_POSITIONS) return null;
    if (frame.parityReceived === 0) {
      // The frame's first parity: its own header says the shape, whatever was expected.
      const grown = new Uint8Array(frame.fragmentCount + groups * parity.groupParity);
      grown.set(frame.received.subarray(0, frame.fragmentCount));
      frame.received = grown;
      frame.groupData = parity.groupData;
      frame.groups = groups;
      frame.perGroup = parity.groupParity;
    } else if (frame.groupData !== parity.groupData || frame.perGroup !== parity.groupParity) {
      return null; // Disagrees with the frame's parity shape: not a datagram of this frame.
    }
    return frame.fragmentCount + parity.parityIndex * groups + header.fragmentIndex;
  }

  /**
   * The parity a frame whose parity has not come yet is expected to have: only when each of the
   * last frames showed parity with the same K, and then the smallest M among them — the stream's
   * fixed FEC, never the extra parity a probing sender pads some frames with.
   */
  #inferredParity(): { groupData: number; groupParity: number } | null {
    const recent = this.#recentParity;
    if (recent.length < PARITY_HISTORY || recent.some((p) => p === null)) return null;
    const k = recent[0]!.groupData;
    if (recent.some((p) => p!.groupData !== k)) return null;
    return { groupData: k, groupParity: Math.min(...recent.map((p) => p!.groupParity)) };
  }

  #closeTime(frame: TrackedFrame): number {
    const timeout = frame.lastMs + this.#options.frameTimeoutMs;
    return frame.closeAtMs === null ? timeout : Math.min(frame.closeAtMs, timeout);
  }

  #closeDue(nowMs: number): void {
    for (const frame of [...this.#frames.values()]) {
      if (nowMs >= this.#closeTime(frame)) this.#close(frame);
    }
  }

  #close(frame: TrackedFrame): void {
    this.#frames.delete(frame.seq);
    if (frame.fragmentCount === 0) {
      this.#countWhollyLost(1);
      return;
    }
    // A frame none of whose parity came: expected to have the stream's fixed parity, if any.
    const inferred = frame.parityReceived === 0 ? this.#inferredParity() : null;
    const inferredPositions = inferred === null
      ? 0
      : Math.ceil(frame.fragmentCount / inferred.groupData) * inferred.groupParity;
    this.#recentParity.push(
      frame.parityReceived === 0
        ? null
        : { groupData: frame.groupData, groupParity: frame.perGroup },
    );
    if (this.#recentParity.length > PARITY_HISTORY) this.#recentParity.shift();
    const expected = frame.received.length +
      (inferredPositions <= MAX_PARITY_POSITIONS ? inferredPositions : 0);
    const lost = expected - frame.receivedCount;
    this.#meanFrameDatagrams = this.#meanFrameDatagrams === 0
      ? expected
      : this.#meanFrameDatagrams + MEAN_FRAME_SMOOTHING * (expected - this.#meanFrameDatagrams);
    if (lost > 0) {
      this.#total.lost += lost;
      this.#interval.lost += lost;
      this.#lossPending = true;
    }
  }

  /** Frames of which nothing arrived: lost frames, and their datagrams estimated. */
  #countWhollyLost(frames: number): void {
    const datagrams = Math.round(frames * this.#meanFrameDatagrams);
    this.#total.framesLost += frames;
    this.#interval.framesLost += frames;
    this.#total.lost += datagrams;
    this.#interval.lost += datagrams;
    this.#lossPending = true;
  }

  #build(nowMs: number): LinkReport | null {
    const intervalMs = Math.min(
      MAX_REPORT_INTERVAL_MS,
      Math.max(1, Math.round(nowMs - this.#intervalStartMs)),
    );
    const wrap = (n: number) => n % TWO_POW_32;
    const total = {
      received: wrap(this.#total.received),
      lost: wrap(this.#total.lost),
      completed: wrap(this.#total.completed),
      framesLost: wrap(this.#total.framesLost),
    };
    const i = this.#interval;
    // Right after a cumulative counter wraps (days of streaming) the interval figure is clipped
    // to it, so the report stays valid.
    const maxBytes = Math.floor((MAX_REPORT_RATE_BPS * intervalMs) / 8000);
    const echo = this.#echo;
    const samples = this.#delay.samples;
    const report: LinkReport = {
      streamId: this.#streamId! >>> 0,
      reportSeq: this.#reportSeq,
      intervalMs,
      totalDatagramsReceived: total.received,
      totalDatagramsLost: total.lost,
      totalFramesCompleted: total.completed,
      totalFramesLost: total.framesLost,
      datagramsReceived: Math.min(i.received, total.received),
      datagramsLost: Math.min(i.lost, total.lost),
      framesCompleted: Math.min(i.completed, total.completed, U16),
      framesLost: Math.min(i.framesLost, total.framesLost, U16),
      bytesReceived: Math.min(i.bytes, maxBytes, TWO_POW_32 - 1),
      echoFrameSeq: echo?.seq ?? 0,
      echoCaptureUsLow: echo === null ? 0 : captureUsLow32(echo.captureUs),
      holdUs: echo === null
        ? 0
        : Math.min(MAX_REPORT_DELAY_US, Math.max(0, Math.round((nowMs - echo.arrivalMs) * 1000))),
      queueDelayUs: samples === 0 ? 0 : Math.min(MAX_REPORT_DELAY_US, this.#delay.queueDelayUs),
      delayTrendUsPerS: samples === 0 ? 0 : Math.max(
        -MAX_DELAY_TREND_US_PER_S,
        Math.min(MAX_DELAY_TREND_US_PER_S, this.#delay.trendUsPerS),
      ),
      delaySamples: samples,
    };
    if (linkReportProblem(report) !== null) {
      // Only reachable with a caller feeding impossible sizes; the figures stay for the next one.
      this.counters.ignored++;
      return null;
    }
    this.#reportSeq = (this.#reportSeq + 1) >>> 0;
    this.#intervalStartMs = nowMs;
    this.#lossPending = false;
    Object.assign(this.#interval, { received: 0, lost: 0, completed: 0, framesLost: 0, bytes: 0 });
    return report;
  }
}
