/**
 * A seeded model of a bad network link, deciding per datagram what happens to it: random or bursty
 * loss, duplication, reordering, delay with jitter, and a bandwidth cap, constant or on a
 * schedule. Pure: sizes and `nowMs` in, decisions out; the same seed and inputs give the same
 * decisions.
 *
 * A datagram meets the rate cap first, then the rest of the path: the cap is either a policer
 * ({@linkcode TokenBucket}: the excess is dropped at once, `queueMs` 0) or a router's drop-tail
 * queue ({@linkcode BottleneckQueue}: the excess waits up to `queueMs`, then is dropped), and
 * random loss, duplication, the fixed delay, jitter and reordering apply to what leaves it.
 * Offsets of a `rateSchedule` are on the caller's `nowMs` clock, so start that clock at 0 when
 * the link starts.
 *
 * {@linkcode FaultModel} decides; {@linkcode FaultyLink} applies the decisions to a bounded queue
 * of items, so the UDP relay and the pure simulations share one implementation.
 *
 * @example A 4 Mbit/s link with 60 ms of queue: a burst waits, then the tail is dropped
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import {
 *   type Delivery,
 *   type FaultCounts,
 *   FaultModel,
 *   type FaultSettings,
 *   faultSettingsProblem,
 *   FaultyLink,
 *   type FaultyLinkOptions,
 *   NO_FAULTS,
 * } from "./fault_model.ts";
 *
 * const settings: FaultSettings = { ...NO_FAULTS, rateKbps: 4000, queueMs: 60 };
 * assertEquals(faultSettingsProblem(settings), null);
 * const model = new FaultModel(settings);
 * // 100 datagrams of 1000 bytes at once: 2 ms each on the link, so 31 fit in 60 ms of queue.
 * const delivered: Delivery[] = [];
 * for (let i = 0; i < 100; i++) delivered.push(...model.decide(1000, 0));
 * const counts: FaultCounts = model.counts;
 * assertEquals([delivered.length, counts.queueDrops, counts.queueDelayMaxMs], [31, 69, 60]);
 * assertEquals(delivered.at(-1)?.releaseMs, 62); // waited 60 ms, then 2 ms on the link
 *
 * // A FaultyLink holds items until the model releases them.
 * const options: FaultyLinkOptions = { maxQueued: 1000, maxHoldMs: 200 };
 * const link = new FaultyLink<string>(new FaultModel(settings), options);
 * link.send("a", 1000, 0);
 * link.send("b", 1000, 0);
 * assertEquals([link.due(2), link.due(3), link.due(4)], [["a"], [], ["b"]]);
 * ```
 *
 * @module
 */

import { BottleneckQueue } from "./bottleneck_queue.ts";
import { Prng } from "./prng.ts";
import {
  MAX_RATE_KBPS,
  RateSchedule,
  rateScheduleProblem,
  type RateStep,
} from "./rate_schedule.ts";
import { TokenBucket } from "./token_bucket.ts";

/** What the link does to traffic. Percentages are 0..100; 0 everywhere is a perfect link. */
export interface FaultSettings {
  /** Share of datagrams lost, in percent (long-run average, bursty or not). */
  lossPercent: number;
  /**
   * Mean length of a loss burst, in datagrams. At most 1: losses are independent (Bernoulli).
   * Above 1: a Gilbert-Elliott two-state chain whose bad state loses everything, with
   * P(bad → good) = 1 / burstLength and P(good → bad) chosen so the loss rate is `lossPercent`.
   */
  burstLength: number;
  /** Share of datagrams delivered twice, in percent. */
  duplicatePercent: number;
  /** Share of datagrams held back behind later ones, in percent. */
  reorderPercent: number;
  /** How many later datagrams overtake a held-back one. */
  reorderDistance: number;
  /** Fixed one-way delay added to every datagram, in milliseconds. */
  delayMs: number;
  /** Each datagram's delay varies uniformly by up to this much either way (clamped at 0). */
  jitterMs: number;
  /** Bandwidth cap in kilobits per second (1000 bits); 0 = no cap (or see `rateSchedule`). */
  rateKbps: number;
  /**
   * A cap that changes over time, instead of `rateKbps`: steps of the rate from a time on (the
   * caller's `nowMs`); empty = the constant `rateKbps`. See {@linkcode RateSchedule}.
   */
  rateSchedule: readonly RateStep[];
  /**
   * The cap's queue, in ms: a datagram over the rate waits (drop-tail, as a router's buffer)
   * while it would wait at most this long behind the datagrams ahead, and is dropped past it.
   * 0 = no queue: a token bucket polices the rate and drops the excess at once.
   */
  queueMs: number;
  /** Most datagrams in the cap's queue at once, a hard cap on its memory; more are dropped. */
  queueMaxDatagrams: number;
  /**
   * Token bucket depth in bytes when policing (`queueMs` 0): how large a burst passes at once.
   * 0 = 50 ms of the rate in force, at least 3000.
   */
  bucketBytes: number;
  /** Seed of the pseudo-random generator. */
  seed: number;
}

/** A perfect link. */
export const NO_FAULTS: Readonly<FaultSettings> = {
  lossPercent: 0,
  burstLength: 1,
  duplicatePercent: 0,
  reorderPercent: 0,
  reorderDistance: 3,
  delayMs: 0,
  jitterMs: 0,
  rateKbps: 0,
  rateSchedule: [],
  queueMs: 0,
  queueMaxDatagrams: 10_000,
  bucketBytes: 0,
  seed: 1,
};

/** Returns why `settings` cannot be modelled, phrased for an error message, or null if fine. */
export function faultSettingsProblem(settings: FaultSettings): string | null {
  const percents = ["lossPercent", "duplicatePercent", "reorderPercent"] as const;
  for (const key of percents) {
    const value = settings[key];
    if (!(value >= 0 && value <= 100)) return `${key} must be within 0..100, got ${value}`;
  }
  const nonNegative = ["delayMs", "jitterMs", "rateKbps", "queueMs", "bucketBytes"] as const;
  for (const key of nonNegative) {
    const value = settings[key];
    if (!(value >= 0 && Number.isFinite(value))) return `${key} must be ≥ 0, got ${value}`;
  }
  if (settings.rateKbps > MAX_RATE_KBPS) {
    return `rateKbps must be at most ${MAX_RATE_KBPS}, got ${settings.rateKbps}`;
  }
  const scheduled = settings.rateSchedule.length > 0;
  if (scheduled) {
    const problem = rateScheduleProblem(settings.rateSchedule);
    if (problem !== null) return `rateSchedule: ${problem}`;
    if (settings.rateKbps > 0) return `give rateKbps or rateSchedule, not both`;
  }
  if (settings.queueMs > 0 && !scheduled && settings.rateKbps === 0) {
    return `queueMs ${settings.queueMs} needs a rate cap to queue for; give rateKbps or rateSchedule`;
  }
  if (settings.queueMs > 0 && settings.bucketBytes > 0) {
    return `bucketBytes sizes the policer, which a queue (queueMs ${settings.queueMs}) replaces; ` +
      `give one of them`;
  }
  const maxQueued = settings.queueMaxDatagrams;
  if (!Number.isInteger(maxQueued) || maxQueued < 1 || maxQueued > 1_000_000) {
    return `queueMaxDatagrams must be a whole number from 1 to 1000000, got ${maxQueued}`;
  }
  if (!(settings.burstLength >= 1 && Number.isFinite(settings.burstLength))) {
    return `burstLength must be ≥ 1, got ${settings.burstLength}`;
  }
  if (!Number.isInteger(settings.reorderDistance) || settings.reorderDistance < 1) {
    return `reorderDistance must be a whole number ≥ 1, got ${settings.reorderDistance}`;
  }
  const loss = settings.lossPercent / 100;
  if (settings.burstLength > 1 && loss > 0) {
    // P(good → bad) = loss / (1 - loss) / burstLength must be a probability.
    if (loss >= 1 || loss / (1 - loss) / settings.burstLength > 1) {
      return `a loss of ${settings.lossPercent} % cannot have bursts as short as ` +
        `${settings.burstLength}; raise burstLength`;
    }
  }
  return null;
}

/** One copy of a datagram to deliver. */
export interface Delivery {
  /** When to deliver it, in the caller's `nowMs` clock. */
  releaseMs: number;
  /** Deliver it only after this many later datagrams went through (reordering); usually 0. */
  holdDatagrams: number;
}

/** What the model did, datagram by datagram. */
export interface FaultCounts {
  /** Datagrams decided on. */
  datagrams: number;
  /** Copies handed out for delivery (datagrams - overRate - queueDrops - lost + duplicated). */
  deliveries: number;
  /** Datagrams lost to random or bursty loss. */
  lost: number;
  /** Runs of consecutive losses. */
  lossBursts: number;
  /** Datagrams dropped by the policer (the rate cap without a queue). */
  overRate: number;
  /** Datagrams dropped at the tail of the cap's queue (it was full: `queueMs`, or by count). */
  queueDrops: number;
  /** Datagrams that went through the cap's queue (with `queueMs` > 0). */
  enqueued: number;
  /**
   * Longest queueing delay, in ms: the wait behind earlier datagrams in the cap's queue, not
   * counting a datagram's own time on the link. Never more than `queueMs`.
   */
  queueDelayMaxMs: number;
  /** Sum of the queueing delays, in ms (mean = queueDelayTotalMs / enqueued). */
  queueDelayTotalMs: number;
  /** Datagrams delivered twice. */
  duplicated: number;
  /** Datagrams held back behind later ones. */
  reordered: number;
  /** Copies released later than they arrived. */
  delayed: number;
}

/** Decides the fate of each datagram; see the module docs. */
export class FaultModel {
  readonly #settings: FaultSettings;
  readonly #prng: Prng;
  /** The policer, when there is a cap without a queue. */
  readonly #bucket: TokenBucket | null = null;
  /** The queue, when there is a cap with one. */
  readonly #queue: BottleneckQueue | null = null;
  #badState = false;
  #lastLost = false;
  /** Counts since construction; read them, do not write them. */
  readonly counts: FaultCounts = {
    datagrams: 0,
    deliveries: 0,
    lost: 0,
    lossBursts: 0,
    overRate: 0,
    queueDrops: 0,
    enqueued: 0,
    queueDelayMaxMs: 0,
    queueDelayTotalMs: 0,
    duplicated: 0,
    reordered: 0,
    delayed: 0,
  };

  /**
   * A model of the link `settings` describe, in its initial state (a full bucket, an empty queue).
   *
   * @param settings Overrides of {@linkcode NO_FAULTS}.
   * @throws {RangeError} when {@linkcode faultSettingsProblem} finds a problem.
   */
  constructor(settings: Partial<FaultSettings> = {}) {
    this.#settings = { ...NO_FAULTS, ...settings };
    const problem = faultSettingsProblem(this.#settings);
    if (problem !== null) throw new RangeError(`Cannot model the link: ${problem}`);
    this.#prng = new Prng(this.#settings.seed);
    const s = this.#settings;
    const schedule = s.rateSchedule.length > 0
      ? new RateSchedule(s.rateSchedule)
      : s.rateKbps > 0
      ? RateSchedule.constant(s.rateKbps)
      : null;
    if (schedule !== null && s.queueMs > 0) {
      this.#queue = new BottleneckQueue({
        schedule,
        queueMs: s.queueMs,
        maxDatagrams: s.queueMaxDatagrams,
      });
    } else if (schedule !== null) {
      this.#bucket = new TokenBucket(schedule, s.bucketBytes);
    }
  }

  /** The settings in force, defaults filled in. */
  get settings(): Readonly<FaultSettings> {
    return this.#settings;
  }

  /**
   * Decides what happens to a datagram of `datagramBytes` arriving at `nowMs` (non-decreasing).
   * Returns no delivery when it is dropped, two when it is duplicated.
   */
  decide(datagramBytes: number, nowMs: number): Delivery[] {
    const s = this.#settings;
    this.counts.datagrams++;
    if (this.#bucket !== null && !this.#bucket.take(datagramBytes, nowMs)) {
      this.counts.overRate++;
      return [];
    }
    // The rest of the path starts when the datagram leaves the cap's queue.
    let leftMs = nowMs;
    if (this.#queue !== null) {
      const departureMs = this.#queue.offer(datagramBytes, nowMs);
      const { waitMaxMs, waitTotalMs } = this.#queue.counts;
      this.counts.queueDelayMaxMs = waitMaxMs;
      this.counts.queueDelayTotalMs = waitTotalMs;
      if (departureMs === null) {
        this.counts.queueDrops++;
        return [];
      }
      this.counts.enqueued++;
      leftMs = departureMs;
    }
    const lost = this.#lose();
    if (lost) {
      this.counts.lost++;
      if (!this.#lastLost) this.counts.lossBursts++;
    }
    this.#lastLost = lost;
    if (lost) return [];

    const copies = this.#chance(s.duplicatePercent) ? 2 : 1;
    if (copies === 2) this.counts.duplicated++;
    const deliveries: Delivery[] = [];
    for (let copy = 0; copy < copies; copy++) {
      let releaseMs = leftMs + s.delayMs;
      if (s.jitterMs > 0) releaseMs += (this.#prng.next() * 2 - 1) * s.jitterMs;
      releaseMs = Math.max(leftMs, releaseMs);
      if (releaseMs > nowMs) this.counts.delayed++;
      let holdDatagrams = 0;
      if (copy === 0 && this.#chance(s.reorderPercent)) {
        holdDatagrams = s.reorderDistance;
        this.counts.reordered++;
      }
      deliveries.push({ releaseMs, holdDatagrams });
    }
    this.counts.deliveries += copies;
    return deliveries;
  }

  #chance(percent: number): boolean {
    return percent > 0 && this.#prng.next() * 100 < percent;
  }

  #lose(): boolean {
    const s = this.#settings;
    const loss = s.lossPercent / 100;
    if (loss <= 0) return false;
    if (s.burstLength <= 1) return this.#prng.next() < loss;
    const toGood = 1 / s.burstLength;
    const toBad = loss / (1 - loss) * toGood;
    this.#badState = this.#prng.next() < (this.#badState ? 1 - toGood : toBad);
    return this.#badState;
  }

  /** Datagrams in the cap's queue at `nowMs` (0 without a queue); see {@linkcode BottleneckQueue}. */
  queuedAt(nowMs: number): number {
    return this.#queue?.queuedAt(nowMs) ?? 0;
  }

  /** How long a datagram arriving at `nowMs` would wait in the cap's queue, in ms. */
  queueWaitMsAt(nowMs: number): number {
    return this.#queue?.waitMsAt(nowMs) ?? 0;
  }
}

/** Limits of a {@linkcode FaultyLink}. */
export interface FaultyLinkOptions {
  /** Most items held at once (delayed, queued or held back); more are counted in `overflowDrops`. */
  maxQueued: number;
  /** A held-back item goes out after this long even if fewer datagrams overtook it. */
  maxHoldMs: number;
}

interface Queued<T> {
  item: T;
  releaseMs: number;
  holdDatagrams: number;
  order: number;
}

/**
 * A bounded queue applying a {@linkcode FaultModel} to items (datagrams, or anything standing for
 * them): `send` them in, take what is `due` out in delivery order.
 */
export class FaultyLink<T> {
  readonly #model: FaultModel;
  readonly #options: FaultyLinkOptions;
  #queue: Queued<T>[] = [];
  #sent = 0;
  /**
   * Copies refused because the link already held `maxQueued` items: the memory cap of this
   * simulation, not a modelled fault (the cap's own queue drops are `counts.queueDrops`).
   */
  overflowDrops = 0;
  /** Copies taken out by {@linkcode due} and {@linkcode flush}. */
  delivered = 0;

  /**
   * An empty link.
   *
   * @param model Decides each item's fate.
   * @param options Defaults: 10 000 items queued, held items out after 200 ms.
   */
  constructor(model: FaultModel, options: Partial<FaultyLinkOptions> = {}) {
    this.#model = model;
    this.#options = { maxQueued: 10_000, maxHoldMs: 200, ...options };
  }

  /** The model's counts. */
  get counts(): Readonly<FaultCounts> {
    return this.#model.counts;
  }

  /** Items waiting in the queue. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Offers `item` of `sizeBytes` to the link at `nowMs`. */
  send(item: T, sizeBytes: number, nowMs: number): void {
    const deliveries = this.#model.decide(sizeBytes, nowMs);
    if (deliveries.length === 0) return;
    // Order numbers are even for items in arrival order; a held item released by this arrival
    // gets the odd number just after it, so it comes out right behind the item that overtook it.
    const order = 2 * ++this.#sent;
    for (const queued of this.#queue) {
      if (queued.holdDatagrams > 0 && --queued.holdDatagrams === 0) {
        queued.order = order + 1;
        queued.releaseMs = Math.max(queued.releaseMs, deliveries[0].releaseMs);
      }
    }
    for (const { releaseMs, holdDatagrams } of deliveries) {
      if (this.#queue.length >= this.#options.maxQueued) {
        this.overflowDrops++;
        continue;
      }
      this.#queue.push({ item, releaseMs, holdDatagrams, order });
    }
  }

  /** Takes out the items due at `nowMs`, in delivery order. */
  due(nowMs: number): T[] {
    const ready: Queued<T>[] = [];
    const waiting: Queued<T>[] = [];
    for (const queued of this.#queue) {
      const holdOver = queued.holdDatagrams > 0 &&
        nowMs - queued.releaseMs >= this.#options.maxHoldMs;
      if (holdOver) queued.holdDatagrams = 0;
      if (queued.holdDatagrams === 0 && queued.releaseMs <= nowMs) ready.push(queued);
      else waiting.push(queued);
    }
    this.#queue = waiting;
    ready.sort((a, b) => a.releaseMs - b.releaseMs || a.order - b.order);
    this.delivered += ready.length;
    return ready.map((queued) => queued.item);
  }

  /** When the next item may come due, or null when the queue is empty. */
  nextDueMs(): number | null {
    let next: number | null = null;
    for (const queued of this.#queue) {
      const at = queued.holdDatagrams > 0
        ? queued.releaseMs + this.#options.maxHoldMs
        : queued.releaseMs;
      if (next === null || at < next) next = at;
    }
    return next;
  }

  /** Takes out everything queued, in delivery order, holds ignored (for shutdown). */
  flush(): T[] {
    const all = this.#queue;
    this.#queue = [];
    all.sort((a, b) => a.releaseMs - b.releaseMs || a.order - b.order);
    this.delivered += all.length;
    return all.map((queued) => queued.item);
  }
}
