/**
 * Test helper: a small deterministic simulation of udpcam over one bottleneck, to drive the
 * congestion controller in tests. Not part of udpcam.
 *
 * Sender: a frame every `1000 / fps` ms whose size comes from `source` (by default as large as
 * the target allows, up to `sourceMaxBps`), cut into datagrams of at most `maxDatagramBytes`,
 * paced at `pacingGain` × the target, then the frame's padding as parity datagrams. Link: a
 * bottleneck of `capacityBps(t)` with a drop-tail
 * queue holding `queueMs` of traffic, then random loss, then a fixed one-way delay. Receiver:
 * the real {@linkcode ReportBuilder} on its own clock (offset and drifting: no clock sync);
 * frames complete when all their datagrams arrive and are given up when a newer one completes
 * or after 250 ms. Reports go back, encoded and decoded, after `reverseDelayMs`, to the real
 * {@linkcode CongestionController}, which is ticked every millisecond.
 *
 * @module
 */

import { Prng } from "../../lib/netsim/mod.ts";
import { encodeLinkReport } from "../../lib/wire/v1/mod.ts";
import { ReportBuilder, type ReportBuilderOptions } from "../../lib/adapt/mod.ts";
import {
  CongestionController,
  type CongestionControllerOptions,
  type ControllerState,
} from "../../lib/adapt/mod.ts";

/** What a frame of the simulated source is made of, or null to skip the frame. */
export type SimSource = (context: {
  tMs: number;
  frameSeq: number;
  targetBps: number;
  controller: CongestionController;
}) => { bytes: number; paddingBytes?: number } | null;

/** The simulated path and sender. */
export interface LinkSimOptions {
  /** Simulated time, at most 10 minutes. */
  durationMs: number;
  /** Bottleneck rate at time t. */
  capacityBps: (tMs: number) => number;
  /** The drop-tail queue holds this much traffic at the bottleneck's rate. */
  queueMs: number;
  /** One-way propagation delay, sender to receiver. */
  forwardDelayMs: number;
  /** One-way delay of reports back. */
  reverseDelayMs: number;
  /** Share of datagrams lost at random after the queue (0..1). */
  randomLoss: number;
  /** Seed of the random loss. */
  seed: number;
  /** Frames per second. */
  fps: number;
  /** Largest datagram, header included. */
  maxDatagramBytes: number;
  /** What the default source sends at most (the unconstrained picture). */
  sourceMaxBps: number;
  /** Frames are paced at this × the target. */
  pacingGain: number;
  /** Frame sizes; default: the target's share of each frame, up to `sourceMaxBps`. */
  source: SimSource | null;
  /** Extra report datagrams arriving at the sender at t (forged, absurd), or null. */
  inject: ((tMs: number) => Uint8Array | null) | null;
  /** Controller options. */
  controller: Partial<CongestionControllerOptions>;
  /** Report builder options. */
  builder: Partial<ReportBuilderOptions>;
}

/** One sample of the simulation, every 100 ms. */
export interface LinkSimSample {
  /** Simulated time. */
  tMs: number;
  /** The controller's target. */
  targetBps: number;
  /** Its state. */
  state: ControllerState;
  /** Its reason line. */
  reason: string;
  /** The bottleneck's rate. */
  capacityBps: number;
  /** Frames completed at the receiver in the last second. */
  deliveredFps: number;
  /** Bytes sent in the last second × 8. */
  sentBps: number;
  /** Queue at the bottleneck, ms. */
  queueMs: number;
}

/** Everything a run produced. */
export interface LinkSimResult {
  /** Samples every 100 ms. */
  samples: LinkSimSample[];
  /** The controller, to read its counters. */
  controller: CongestionController;
  /** The receiver's builder, to read its counters. */
  builder: ReportBuilder;
  /** Frames sent, completed and dropped at the queue. */
  totals: { framesSent: number; framesComplete: number; datagramsDropped: number };
}

/** Defaults: 30 fps, 1200-byte datagrams, 20 ms each way, a 60 ms queue, pacing at 2.5×. */
export const DEFAULT_LINK_SIM: LinkSimOptions = {
  durationMs: 30_000,
  capacityBps: () => 4_000_000,
  queueMs: 60,
  forwardDelayMs: 20,
  reverseDelayMs: 20,
  randomLoss: 0,
  seed: 1,
  fps: 30,
  maxDatagramBytes: 1200,
  sourceMaxBps: 25_000_000,
  pacingGain: 2.5,
  source: null,
  inject: null,
  controller: {},
  builder: {},
};

const STREAM_ID = 0x5100_0001;
const SENDER_EPOCH_US = 1_700_000_000_000_000;
const HEADER = 30;
/** Sender speed when the target is unbounded. */
const LINE_RATE_BPS = 1_000_000_000;

interface Arrival {
  atMs: number;
  frameSeq: number;
  index: number;
  count: number;
  bytes: number;
  captureUs: number;
  /** Padding sent as parity: position p of one group of M; null for data. */
  parity: { groupData: number; groupParity: number; parityIndex: number } | null;
}

interface Pending<T> {
  atMs: number;
  item: T;
}

/** A first-in first-out queue of timed items, delivered once their time has come. */
class TimedQueue<T> {
  #items: Pending<T>[] = [];
  #head = 0;
  push(atMs: number, item: T): void {
    this.#items.push({ atMs, item });
  }
  /** Takes the items due at `nowMs` (items are pushed in time order). */
  *due(nowMs: number): Generator<T> {
    while (this.#head < this.#items.length && this.#items[this.#head].atMs <= nowMs) {
      yield this.#items[this.#head++].item;
    }
    if (this.#head > 4096) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** Runs one simulation; deterministic for the same options. */
export function simulateLink(overrides: Partial<LinkSimOptions>): LinkSimResult {
  const o: LinkSimOptions = { ...DEFAULT_LINK_SIM, ...overrides };
  if (!(o.durationMs > 0 && o.durationMs <= 600_000)) {
    throw new RangeError("Cannot simulate: durationMs must be in 1..600000. Shorten the run.");
  }
  const prng = new Prng(o.seed);
  const controller = new CongestionController(STREAM_ID, o.controller);
  const builder = new ReportBuilder(o.builder);
  // The receiver's clock: another origin and 40 ppm fast.
  const rxClock = (tMs: number) => 987_654.321 + tMs * (1 + 40e-6);
  const arrivals = new TimedQueue<Arrival>();
  const reports = new TimedQueue<Uint8Array>();
  const frameIntervalMs = 1000 / o.fps;
  const payloadBytes = o.maxDatagramBytes - HEADER;
  const sentLog = new TimedQueue<number>();
  const deliveredLog: number[] = [];
  let sentLastSecond = 0;
  let linkFreeAtMs = 0;
  let senderFreeAtMs = 0;
  let nextCaptureMs = 0;
  let frameSeq = 0;
  const totals = { framesSent: 0, framesComplete: 0, datagramsDropped: 0 };
  // Receiver-side frames: datagrams still missing, and when the first came.
  const inFlight = new Map<number, { missing: number; firstMs: number }>();
  let lastCompleted: number | null = null;
  const samples: LinkSimSample[] = [];

  const sendFrame = (tMs: number) => {
    const target = controller.decision.targetBps;
    const wanted = o.source === null
      ? { bytes: Math.min(target, o.sourceMaxBps) / o.fps / 8 }
      : o.source({ tMs, frameSeq, targetBps: target, controller });
    if (wanted === null) return;
    const frameBytes = Math.max(1, Math.round(wanted.bytes));
    const count = Math.ceil(frameBytes / payloadBytes);
    const chunk = Math.ceil(frameBytes / count);
    // Padding goes as parity datagrams of one group (K = the frame's fragments), up to 255.
    const paddingCount = Math.min(255, Math.ceil((wanted.paddingBytes ?? 0) / o.maxDatagramBytes));
    const start = Math.max(tMs, senderFreeAtMs);
    if (start - tMs > frameIntervalMs) return; // Still sending an older frame: skip this one.
    const paceBps = Number.isFinite(target) ? o.pacingGain * target : LINE_RATE_BPS;
    const captureUs = SENDER_EPOCH_US + tMs * 1000;
    let at = start;
    let wireBytes = 0;
    for (let i = 0; i < count + paddingCount; i++) {
      const isParity = i >= count;
      const bytes = isParity
        ? o.maxDatagramBytes
        : HEADER + Math.min(chunk, frameBytes - i * chunk);
      wireBytes += bytes;
      const capacity = o.capacityBps(at);
      const backlogMs = Math.max(0, linkFreeAtMs - at);
      if (backlogMs > o.queueMs) {
        totals.datagramsDropped++;
      } else {
        const departMs = Math.max(at, linkFreeAtMs) + (bytes * 8 * 1000) / capacity;
        linkFreeAtMs = departMs;
        if (prng.next() >= o.randomLoss) {
          arrivals.push(departMs + o.forwardDelayMs, {
            atMs: departMs + o.forwardDelayMs,
            frameSeq,
            index: isParity ? 0 : i,
            count,
            bytes,
            captureUs,
            parity: isParity
              ? { groupData: count, groupParity: paddingCount, parityIndex: i - count }
              : null,
          });
        }
      }
      at += (bytes * 8 * 1000) / paceBps;
    }
    senderFreeAtMs = at;
    controller.onFrameSent({ frameSeq, captureUs, bytes: wireBytes }, start);
    sentLog.push(tMs + 1000, wireBytes);
    sentLastSecond += wireBytes;
    totals.framesSent++;
    frameSeq = (frameSeq + 1) >>> 0;
  };

  for (let t = 0; t <= o.durationMs; t++) {
    for (const a of arrivals.due(t)) {
      const rx = rxClock(a.atMs);
      builder.onDatagram(
        {
          type: a.parity === null ? 0 : 1,
          flags: 0,
          fragmentIndex: a.index,
          fragmentCount: a.count,
          streamId: STREAM_ID,
          frameSeq: a.frameSeq,
          captureUs: a.captureUs,
        },
        a.bytes,
        rx,
        a.parity,
      );
      if (a.parity !== null) continue; // Padding: the frame does not wait for it.
      if (lastCompleted !== null && ((a.frameSeq - lastCompleted) >>> 0) >= 0x8000_0000) continue;
      const frame = inFlight.get(a.frameSeq) ?? { missing: a.count, firstMs: a.atMs };
      frame.missing--;
      inFlight.set(a.frameSeq, frame);
      if (frame.missing === 0) {
        inFlight.delete(a.frameSeq);
        builder.onFrameComplete(a.frameSeq, rx);
        totals.framesComplete++;
        deliveredLog.push(a.atMs);
        lastCompleted = a.frameSeq;
        for (const seq of [...inFlight.keys()]) {
          if (((a.frameSeq - seq) >>> 0) < 0x8000_0000) {
            inFlight.delete(seq);
            builder.onFrameDropped(seq, rx);
          }
        }
      }
    }
    for (const [seq, frame] of inFlight) {
      if (t - frame.firstMs > 250) {
        inFlight.delete(seq);
        builder.onFrameDropped(seq, rxClock(t));
      }
    }
    const report = builder.poll(rxClock(t));
    if (report !== null) reports.push(t + o.reverseDelayMs, encodeLinkReport(report));
    for (const datagram of reports.due(t)) controller.onReportDatagram(datagram, t);
    const forged = o.inject?.(t) ?? null;
    if (forged !== null) controller.onReportDatagram(forged, t);
    controller.tick(t);
    for (const bytes of sentLog.due(t)) sentLastSecond -= bytes;
    if (t >= nextCaptureMs) {
      sendFrame(t);
      nextCaptureMs += frameIntervalMs;
    }
    if (t % 100 === 0) {
      while (deliveredLog.length > 0 && deliveredLog[0] <= t - 1000) deliveredLog.shift();
      const decision = controller.decision;
      samples.push({
        tMs: t,
        targetBps: decision.targetBps,
        state: decision.state,
        reason: decision.reason,
        capacityBps: o.capacityBps(t),
        deliveredFps: deliveredLog.length,
        sentBps: sentLastSecond * 8,
        queueMs: Math.max(0, linkFreeAtMs - t),
      });
    }
  }
  return { samples, controller, builder, totals };
}
