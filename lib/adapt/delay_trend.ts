/**
 * The receiver's arrival-time filter: from one sample per frame (when its first fragment arrived,
 * receiver clock, and when it was captured, sender clock) it estimates how far the path's queue
 * is above its emptiest lately (queue delay) and how fast it is growing (delay trend). Pure:
 * samples and their arrival `nowMs` in, figures out; memory is fixed.
 *
 * No clock sync is needed: a frame's one-way delay `arrival − capture` carries the unknown offset
 * between the two clocks, and both figures are differences of such delays, so the offset
 * cancels. Clock drift (tens of ppm) adds a slope far below anything the sender acts on.
 *
 * - Queue delay: newest delay minus the smallest in a sliding window (`baseWindowMs`), kept as the
 *   minimum of each of `baseBuckets` equal slices of the window (bounded memory). A link that
 *   never drains for a whole window makes the base creep up; the sender's decreases drain the
 *   queue far more often than that.
 * - Trend: the least-squares slope of the smoothed delay over the last `windowSamples` frames
 *   against their arrival times, as in the trendline estimator of GCC
 *   (draft-ietf-rmcat-gcc-02 and its successors in WebRTC): positive while the queue grows.
 * - A jump of the one-way delay by more than `clockStepMs` between two frames is a clock step
 *   (NTP stepping the sender's wall clock), not a queue: the filter starts again.
 *
 * @example
 * ```ts
 * import { DelayTrend } from "./delay_trend.ts";
 *
 * const trend = new DelayTrend();
 * // Frames every 33 ms whose one-way delay grows by 2 ms per frame: a queue filling.
 * for (let i = 0; i < 20; i++) trend.addSample(1000 + 33 * i, 5e15 + 33_000 * i - 2000 * i);
 * console.log(trend.queueDelayUs > 30_000, trend.trendUsPerS > 50_000); // true true
 * ```
 *
 * @module
 */

/** Tuning of a {@linkcode DelayTrend}. */
export interface DelayTrendOptions {
  /** Frames in the trendline (GCC's window is 20 packet groups). */
  windowSamples: number;
  /**
   * Time constant of the exponential smoothing of the accumulated delay before the slope. GCC
   * smooths with 0.9 per packet group, groups being ~5 ms apart: about 50 ms. Expressed in time,
   * not samples, so a frame every 33 ms or every 200 ms is smoothed alike.
   */
  smoothingMs: number;
  /** The base (emptiest queue) is the smallest delay over this long. */
  baseWindowMs: number;
  /** Slices of the base window, each remembering its smallest delay. */
  baseBuckets: number;
  /** A frame-to-frame delay jump larger than this is a clock step: start again. */
  clockStepMs: number;
}

/** Defaults: GCC's trendline window and smoothing, a 30 s base in 10 slices, 5 s clock steps. */
export const DEFAULT_DELAY_TREND_OPTIONS: DelayTrendOptions = {
  windowSamples: 20,
  smoothingMs: 50,
  baseWindowMs: 30_000,
  baseBuckets: 10,
  clockStepMs: 5_000,
};

/** Most samples the trend counts (the report's field is one byte). */
export const MAX_TREND_SAMPLES = 255;

/** Keeps the delay figures of one stream; see the module docs. */
export class DelayTrend {
  readonly #options: DelayTrendOptions;
  readonly #times: Float64Array;
  readonly #delays: Float64Array;
  #count = 0;
  #next = 0;
  #samplesSinceStart = 0;
  #smoothedMs = 0;
  #firstDelayMs = 0;
  #lastDelayMs: number | null = null;
  #lastArrivalMs = 0;
  readonly #bucketStartMs: Float64Array;
  readonly #bucketMinMs: Float64Array;
  #queueDelayMs = 0;
  /** Clock steps seen (the filter started again). */
  clockSteps = 0;

  /**
   * An empty filter.
   *
   * @param options Overrides of {@linkcode DEFAULT_DELAY_TREND_OPTIONS}.
   */
  constructor(options: Partial<DelayTrendOptions> = {}) {
    this.#options = { ...DEFAULT_DELAY_TREND_OPTIONS, ...options };
    const window = Math.max(2, Math.floor(this.#options.windowSamples));
    this.#times = new Float64Array(window);
    this.#delays = new Float64Array(window);
    const buckets = Math.max(1, Math.floor(this.#options.baseBuckets));
    this.#bucketStartMs = new Float64Array(buckets).fill(Number.NEGATIVE_INFINITY);
    this.#bucketMinMs = new Float64Array(buckets).fill(Number.POSITIVE_INFINITY);
  }

  /** Frames behind the figures since the filter (re)started, at most 255. */
  get samples(): number {
    return Math.min(MAX_TREND_SAMPLES, this.#samplesSinceStart);
  }

  /** Newest frame's one-way delay above the base, µs (0 before any sample). */
  get queueDelayUs(): number {
    return Math.round(this.#queueDelayMs * 1000);
  }

  /** Slope of the smoothed delay, µs per second of arrival time (0 with fewer than 2 samples). */
  get trendUsPerS(): number {
    return Math.round(this.#slope() * 1_000_000);
  }

  /** Forgets everything (a new stream). */
  reset(): void {
    this.#restart();
    this.#bucketStartMs.fill(Number.NEGATIVE_INFINITY);
    this.#bucketMinMs.fill(Number.POSITIVE_INFINITY);
    this.#queueDelayMs = 0;
  }

  /**
   * Adds one frame: its first fragment arrived at `arrivalMs` (receiver clock) and it was
   * captured at `captureUs` (sender clock). Samples must come in arrival order.
   */
  addSample(arrivalMs: number, captureUs: number): void {
    if (!Number.isFinite(arrivalMs) || !Number.isFinite(captureUs)) return;
    const delayMs = arrivalMs - captureUs / 1000;
    const last = this.#lastDelayMs;
    if (last !== null && Math.abs(delayMs - last) > this.#options.clockStepMs) {
      this.clockSteps++;
      this.reset();
    }
    this.#lastDelayMs = delayMs;
    const base = this.#updateBase(arrivalMs, delayMs);
    this.#queueDelayMs = Math.max(0, delayMs - base);
    if (this.#samplesSinceStart === 0) {
      this.#firstDelayMs = delayMs;
      this.#smoothedMs = 0;
    }
    // Accumulated delay relative to the first sample keeps the numbers small; the smoothing is
    // GCC's, so one late frame bends the line less than a sustained rise.
    const accumulated = delayMs - this.#firstDelayMs;
    if (this.#samplesSinceStart === 0) {
      this.#smoothedMs = accumulated;
    } else {
      const sincePreviousMs = Math.max(0, arrivalMs - this.#lastArrivalMs);
      const alpha = Math.exp(-sincePreviousMs / Math.max(1e-3, this.#options.smoothingMs));
      this.#smoothedMs = alpha * this.#smoothedMs + (1 - alpha) * accumulated;
    }
    this.#lastArrivalMs = arrivalMs;
    this.#times[this.#next] = arrivalMs;
    this.#delays[this.#next] = this.#smoothedMs;
    this.#next = (this.#next + 1) % this.#times.length;
    this.#count = Math.min(this.#count + 1, this.#times.length);
    this.#samplesSinceStart++;
  }

  #restart(): void {
    this.#count = 0;
    this.#next = 0;
    this.#samplesSinceStart = 0;
    this.#smoothedMs = 0;
    this.#lastDelayMs = null;
  }

  #updateBase(nowMs: number, delayMs: number): number {
    const buckets = this.#bucketStartMs.length;
    const sliceMs = this.#options.baseWindowMs / buckets;
    const index = Math.floor(nowMs / sliceMs);
    const slot = ((index % buckets) + buckets) % buckets;
    const sliceStart = index * sliceMs;
    if (this.#bucketStartMs[slot] !== sliceStart) {
      this.#bucketStartMs[slot] = sliceStart;
      this.#bucketMinMs[slot] = delayMs;
    } else {
      this.#bucketMinMs[slot] = Math.min(this.#bucketMinMs[slot], delayMs);
    }
    let base = Number.POSITIVE_INFINITY;
    const oldest = nowMs - this.#options.baseWindowMs;
    for (let i = 0; i < buckets; i++) {
      if (this.#bucketStartMs[i] + sliceMs > oldest) base = Math.min(base, this.#bucketMinMs[i]);
    }
    return base;
  }

  #slope(): number {
    const n = this.#count;
    if (n < 2) return 0;
    let meanT = 0;
    let meanD = 0;
    for (let i = 0; i < n; i++) {
      meanT += this.#times[i];
      meanD += this.#delays[i];
    }
    meanT /= n;
    meanD /= n;
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      const dt = this.#times[i] - meanT;
      num += dt * (this.#delays[i] - meanD);
      den += dt * dt;
    }
    return den > 0 ? num / den : 0;
  }
}
