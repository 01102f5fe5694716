/**
 * Rates over an interval (frames per second, Mbit/s) for the live status and `--stats-json`.
 *
 * @module
 */

import { round2 } from "./latency_window.ts";

/** Turns counters sampled at two instants into per-second rates. */
export class RateMeter {
  #lastMs: number;
  #lastCount = 0;
  #lastBytes = 0;

  /**
   * Makes a meter that starts counting at `nowMs`.
   *
   * @param nowMs When counting starts.
   */
  constructor(nowMs: number) {
    this.#lastMs = nowMs;
  }

  /** Rates since the previous call, given the running totals now. */
  sample(
    nowMs: number,
    count: number,
    bytes: number,
  ): { perSecond: number; mbitPerSecond: number } {
    const seconds = Math.max(1e-3, (nowMs - this.#lastMs) / 1000);
    const perSecond = (count - this.#lastCount) / seconds;
    const mbitPerSecond = ((bytes - this.#lastBytes) * 8) / seconds / 1e6;
    this.#lastMs = nowMs;
    this.#lastCount = count;
    this.#lastBytes = bytes;
    return { perSecond: round2(perSecond), mbitPerSecond: round2(mbitPerSecond) };
  }
}
