/**
 * The sender's overuse detector: compares the delay trend a receiver reports with an adaptive
 * threshold, as the over-use detector of GCC (draft-ietf-rmcat-gcc-02, section 5.4) does. Pure:
 * report figures and `nowMs` in, a signal out.
 *
 * The modified trend is `m = slope × min(samples, 60) × 4` (GCC's gain, and its discount of a
 * trend made of few samples), where `slope` is the one-way delay's growth in ms per ms. The
 * threshold γ follows |m| (up with k_up = 0.0087 per ms, down with k_down = 0.039 per ms, as in
 * GCC), except that it ignores a jump of |m| more than 15 above it — that is a signal, not noise
 * — and stays within 6..600. A trend above γ is overuse, below −γ underuse (a queue draining).
 *
 * GCC updates γ per packet group, every few ms; reports come every 100–250 ms, so one update
 * covers at most 100 ms of adaptation (GCC's own cap) and never moves γ past |m|.
 *
 * @example
 * ```ts
 * import { OveruseDetector } from "./overuse_detector.ts";
 *
 * const detector = new OveruseDetector();
 * console.log(detector.update(0, 60, 0)); // "normal"
 * // The queue grows 100 ms per second: sending ~10 % above the link.
 * console.log(detector.update(100_000, 60, 200)); // "overuse"
 * ```
 *
 * @module
 */

/** What the delay says about the link. */
export type DelaySignal = "overuse" | "normal" | "underuse";

/** Constants of an {@linkcode OveruseDetector}; the defaults are GCC's. */
export interface OveruseDetectorOptions {
  /** γ before any report, in the unit of the modified trend (GCC: 12.5). */
  initialThreshold: number;
  /** Lowest and highest γ (GCC: 6 and 600). */
  minThreshold: number;
  /** Highest γ. */
  maxThreshold: number;
  /** Rate at which γ rises towards |m|, per ms (GCC: 0.0087). */
  kUp: number;
  /** Rate at which γ falls towards |m|, per ms (GCC: 0.039). */
  kDown: number;
  /** |m| more than this above γ leaves γ alone (GCC: 15). */
  maxJump: number;
  /** Most ms of adaptation one update applies (GCC: 100). */
  maxUpdateMs: number;
  /** Gain on the slope (GCC: 4). */
  gain: number;
  /** Samples beyond this do not strengthen the trend (GCC: 60). */
  maxSamplesWeight: number;
}

/** GCC's constants. */
export const DEFAULT_OVERUSE_DETECTOR_OPTIONS: OveruseDetectorOptions = {
  initialThreshold: 12.5,
  minThreshold: 6,
  maxThreshold: 600,
  kUp: 0.0087,
  kDown: 0.039,
  maxJump: 15,
  maxUpdateMs: 100,
  gain: 4,
  maxSamplesWeight: 60,
};

/** Compares reported delay trends with an adaptive threshold; see the module docs. */
export class OveruseDetector {
  readonly #options: OveruseDetectorOptions;
  #threshold: number;
  #lastUpdateMs: number | null = null;
  #modifiedTrend = 0;

  /**
   * A detector at the initial threshold.
   *
   * @param options Overrides of {@linkcode DEFAULT_OVERUSE_DETECTOR_OPTIONS}.
   */
  constructor(options: Partial<OveruseDetectorOptions> = {}) {
    this.#options = { ...DEFAULT_OVERUSE_DETECTOR_OPTIONS, ...options };
    this.#threshold = this.#options.initialThreshold;
  }

  /** The current threshold γ. */
  get threshold(): number {
    return this.#threshold;
  }

  /** The last modified trend m. */
  get modifiedTrend(): number {
    return this.#modifiedTrend;
  }

  /**
   * Judges one report's delay trend (µs per second) made of `samples` frames, received at
   * `nowMs`, then adapts the threshold.
   */
  update(trendUsPerS: number, samples: number, nowMs: number): DelaySignal {
    const o = this.#options;
    if (samples < 2) return "normal"; // One frame has no trend.
    const slope = trendUsPerS / 1_000_000;
    const m = slope * Math.min(samples, o.maxSamplesWeight) * o.gain;
    this.#modifiedTrend = m;
    const signal: DelaySignal = m > this.#threshold
      ? "overuse"
      : m < -this.#threshold
      ? "underuse"
      : "normal";
    const elapsedMs = this.#lastUpdateMs === null
      ? o.maxUpdateMs
      : Math.min(o.maxUpdateMs, Math.max(0, nowMs - this.#lastUpdateMs));
    this.#lastUpdateMs = nowMs;
    const magnitude = Math.abs(m);
    if (magnitude - this.#threshold <= o.maxJump) {
      const k = magnitude < this.#threshold ? o.kDown : o.kUp;
      const step = Math.min(1, k * elapsedMs);
      this.#threshold += step * (magnitude - this.#threshold);
      this.#threshold = Math.min(o.maxThreshold, Math.max(o.minThreshold, this.#threshold));
    }
    return signal;
  }
}
