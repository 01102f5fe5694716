/**
 * Latency percentiles over a bounded window of samples, for the live status and `--stats-json`.
 *
 * @module
 */

/** The p-th percentile (0..100) of `samples` by nearest rank; null when there are none. */

export function percentile(samples: ArrayLike<number>, p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  /** Median. */
  p50: number;
  /** 95th percentile. */
  p95: number;
  /** 99th percentile. */
  p99: number;
  /** Number of samples. */
  samples: number;
}

/**
 * Frames left out of a run's latency summary: the first ones pay once for JIT compilation, the
 * decoder's and the texture's allocation, and would otherwise be the run's p99 (at 30 fps, 30
 * frames are the first second).
 */
export const RUN_LATENCY_WARMUP_FRAMES = 30;

/**
 * Collects latency samples between two reports. Keeps at most `maxSamples`: past that it keeps
 * every other sample, so memory stays bounded at any frame rate.
 *
 * @example Percentiles of what was added since the last take
 * ```ts
 * import { LatencyWindow } from "./latency_window.ts";
 *
 * const window = new LatencyWindow();
 * for (let ms = 1; ms <= 100; ms++) window.add(ms);
 * const summary = window.take();
 * if (summary === null || summary.samples !== 100 || summary.p50 < 49 || summary.p50 > 51) {
 *   throw new Error(JSON.stringify(summary));
 * }
 * if (window.take() !== null) throw new Error("a take empties the window");
 * ```
 */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #count = 0;
  #stride = 1;
  #seen = 0;
  #anyNegative = false;
  #warmupLeft: number;

  /**
   * Makes an empty window.
   *
   * @param maxSamples Most samples held between two reports.
   * @param warmupSamples The first samples ever added that are left out (e.g.
   * {@linkcode RUN_LATENCY_WARMUP_FRAMES} for a whole run's summary).
   */
  constructor(maxSamples = 4096, warmupSamples = 0) {
    this.#samples = new Float64Array(maxSamples);
    this.#warmupLeft = warmupSamples;
  }

  /** Adds one latency in milliseconds. */
  add(latencyMs: number): void {
    if (this.#warmupLeft > 0) {
      this.#warmupLeft--;
      return;
    }
    if (latencyMs < 0) this.#anyNegative = true;
    if (this.#seen++ % this.#stride !== 0) return;
    if (this.#count === this.#samples.length) {
      for (let i = 0; i < this.#count / 2; i++) this.#samples[i] = this.#samples[i * 2];
      this.#count = Math.floor(this.#count / 2);
      this.#stride *= 2;
    }
    this.#samples[this.#count++] = latencyMs;
  }

  /**
   * Summarises the samples since the last call and starts a new window. Returns null without
   * samples, or when a sample was negative: then sender and receiver clocks differ and one-way
   * latency cannot be measured.
   */
  take(): LatencySummary | null {
    const samples = this.#samples.subarray(0, this.#count);
    const summary = this.#count === 0 || this.#anyNegative ? null : {
      p50: round2(percentile(samples, 50)!),
      p95: round2(percentile(samples, 95)!),
      p99: round2(percentile(samples, 99)!),
      samples: this.#seen,
    };
    this.#count = 0;
    this.#seen = 0;
    this.#stride = 1;
    this.#anyNegative = false;
    return summary;
  }
}

/** Rounds to two decimals for display and JSON. */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
