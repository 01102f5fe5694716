/**
 * A seeded model of a bad network link, deciding per datagram what happens to it: random or bursty
 * loss, duplication, reordering, delay with jitter, and a bandwidth cap. Pure: sizes and `nowMs`
 * in, decisions out; the same seed and inputs give the same decisions.
 *
 * {@linkcode FaultModel} decides; {@linkcode FaultyLink} applies the decisions to a bounded queue
 * of items, so the UDP relay and the pure simulations share one implementation.
 *
 * @module
 */

import { Prng } from "./prng.ts";

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
  /** Bandwidth cap in kilobits per second (1000 bits), policed by a token bucket; 0 = no cap. */
  rateKbps: number;
  /** Token bucket depth in bytes: how large a burst passes at once. 0 = 50 ms of rate, ≥ 3000. */
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
  const nonNegative = ["delayMs", "jitterMs", "rateKbps", "bucketBytes"] as const;
  for (const key of nonNegative) {
    const value = settings[key];
    if (!(value >= 0 && Number.isFinite(value))) return `${key} must be ≥ 0, got ${value}`;
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
  /** Copies handed out for delivery (datagrams - lost - overRate + duplicated). */
  deliveries: number;
  /** Datagrams lost to random or bursty loss. */
  lost: number;
  /** Runs of consecutive losses. */
  lossBursts: number;
  /** Datagrams dropped by the bandwidth cap. */
  overRate: number;
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
  readonly #bucketBytes: number;
  readonly #bytesPerMs: number;
  #tokens: number;
  #tokensAtMs: number | null = null;
  #badState = false;
  #lastLost = false;
  /** Counts since construction; read them, do not write them. */
  readonly counts: FaultCounts = {
    datagrams: 0,
    deliveries: 0,
    lost: 0,
    lossBursts: 0,
    overRate: 0,
    duplicated: 0,
    reordered: 0,
    delayed: 0,
  };

  /**
   * Makes a fault model from `settings`.
   *
   * @param settings Overrides of {@linkcode NO_FAULTS}.
   * @throws {RangeError} when {@linkcode faultSettingsProblem} finds a problem.
   */
  constructor(settings: Partial<FaultSettings> = {}) {
    this.#settings = { ...NO_FAULTS, ...settings };
    const problem = faultSettingsProblem(this.#settings);
    if (problem !== null) throw new RangeError(`Cannot model the link: ${problem}`);
    this.#prng = new Prng(this.#settings.seed);
    this.#bytesPerMs = this.#settings.rateKbps / 8;
    this.#bucketBytes = this.#settings.bucketBytes > 0
      ? this.#settings.bucketBytes
      : Math.max(3000, this.#bytesPerMs * 50);
    this.#tokens = this.#bucketBytes;
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
    if (s.rateKbps > 0 && !this.#takeTokens(datagramBytes, nowMs)) {
      this.counts.overRate++;
      return [];
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
      let releaseMs = nowMs + s.delayMs;
      if (s.jitterMs > 0) releaseMs += (this.#prng.next() * 2 - 1) * s.jitterMs;
      releaseMs = Math.max(nowMs, releaseMs);
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

  #takeTokens(bytes: number, nowMs: number): boolean {
    if (this.#tokensAtMs !== null) {
      const elapsedMs = Math.max(0, nowMs - this.#tokensAtMs);
      this.#tokens = Math.min(this.#bucketBytes, this.#tokens + elapsedMs * this.#bytesPerMs);
    }
    this.#tokensAtMs = nowMs;
    if (this.#tokens < bytes) return false;
    this.#tokens -= bytes;
    return true;
  }
}

/** Limits of a {@linkcode FaultyLink}. */
export interface FaultyLinkOptions {
  /** Most items queued at once; more are dropped and counted in `queueDrops`. */
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
  /** Items refused because the queue was full. */
  queueDrops = 0;

  /**
   * Makes a link that holds, drops or copies items as `model` decides.
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
        this.queueDrops++;
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
    return all.map((queued) => queued.item);
  }
}
