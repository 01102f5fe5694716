/**
 * A link rate that changes on a schedule (20 → 4 → 20 Mbit/s), for the bottleneck of a
 * {@linkcode FaultModel}: the rate in force at a time, the bits the link carries between two
 * times, and when a given number of bits is through. Pure: times are the caller's `nowMs`.
 *
 * Rates are in kbit/s (1000 bits), which is conveniently also bits per millisecond.
 *
 * The text form (`--rate-schedule`) is `KBPS@SECONDS` steps joined by commas, offsets counted from
 * the start of the link: `20000@0,4000@10,20000@20` is 20 Mbit/s for 10 s, 4 Mbit/s for 10 s, then
 * 20 Mbit/s for good.
 *
 * @example Parse a schedule and ask it when bits are through
 * ```ts
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
 * import {
 *   formatRateSchedule,
 *   MAX_RATE_KBPS,
 *   MAX_RATE_STEPS,
 *   parseRateSchedule,
 *   RateSchedule,
 *   rateScheduleProblem,
 *   type RateStep,
 * } from "./rate_schedule.ts";
 *
 * const steps = parseRateSchedule("8000@0,800@1");
 * if (typeof steps === "string") throw new Error(steps);
 * const second: RateStep = steps[1];
 * assertEquals(second, { atMs: 1000, rateKbps: 800 });
 * assertEquals(formatRateSchedule(steps), "8000@0,800@1");
 * assert(steps.length <= MAX_RATE_STEPS);
 * assert(rateScheduleProblem([{ atMs: 0, rateKbps: MAX_RATE_KBPS * 2 }]) !== null);
 * const schedule = new RateSchedule(steps);
 * assertEquals(schedule.rateKbpsAt(999), 8000);
 * // 8000 bits at 8000 kbit/s take 1 ms; after the switch at 1000 ms they take 10 ms.
 * assertEquals(schedule.finishMs(0, 8000), 1);
 * assertEquals(schedule.finishMs(1000, 8000), 1010);
 * ```
 *
 * @module
 */

/** One step of a schedule: from `atMs` on, the link runs at `rateKbps`. */
export interface RateStep {
  /** When the step starts, in ms from the start of the link (the caller's `nowMs` 0). */
  atMs: number;
  /** The rate from then on, in kbit/s (1000 bits per second); more than 0. */
  rateKbps: number;
}

/** Most steps a schedule may have, so a schedule is a bounded thing to hold and to search. */
export const MAX_RATE_STEPS = 1000;

/** Highest rate a step may have, in kbit/s (100 Gbit/s; above it the numbers mean nothing here). */
export const MAX_RATE_KBPS = 100_000_000;

/** Example quoted by the errors, so every message shows the syntax. */
const EXAMPLE = "e.g. 20000@0,4000@10,20000@20";

/**
 * Returns why `steps` is not a schedule, phrased for an error message, or null if fine: at least
 * one step and at most {@linkcode MAX_RATE_STEPS}, the first at 0, times strictly increasing,
 * rates from just above 0 up to {@linkcode MAX_RATE_KBPS}.
 */
export function rateScheduleProblem(steps: readonly RateStep[]): string | null {
  if (steps.length === 0) return `a rate schedule needs at least one step (${EXAMPLE})`;
  if (steps.length > MAX_RATE_STEPS) {
    return `a rate schedule has at most ${MAX_RATE_STEPS} steps, got ${steps.length}`;
  }
  for (let i = 0; i < steps.length; i++) {
    const { atMs, rateKbps } = steps[i];
    if (!(rateKbps > 0 && rateKbps <= MAX_RATE_KBPS)) {
      return `step ${i + 1} has a rate of ${rateKbps} kbit/s; rates must be more than 0 and at ` +
        `most ${MAX_RATE_KBPS}`;
    }
    if (!Number.isFinite(atMs)) return `step ${i + 1} starts at ${atMs} ms, which is not a time`;
    if (i === 0 && atMs !== 0) {
      return `the first step must start at 0, not ${
        atMs / 1000
      } s, so the rate is known from the ` +
        `start (${EXAMPLE})`;
    }
    if (i > 0 && !(atMs > steps[i - 1].atMs)) {
      return `step ${i + 1} starts at ${atMs / 1000} s, not after step ${i} ` +
        `(${steps[i - 1].atMs / 1000} s); list the steps in time order`;
    }
  }
  return null;
}

/**
 * Parses the text form, `KBPS@SECONDS[,KBPS@SECONDS...]` (see the module docs). Returns the steps,
 * or why the text is not a schedule (an error message's reason, naming the bad step).
 */
export function parseRateSchedule(text: string): RateStep[] | string {
  const parts = text.split(",");
  if (parts.length > MAX_RATE_STEPS) {
    return `a rate schedule has at most ${MAX_RATE_STEPS} steps, got ${parts.length}`;
  }
  const steps: RateStep[] = [];
  const number = /^\d+(\.\d+)?$/;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i].trim();
    const at = part.indexOf("@");
    const rateText = part.slice(0, at);
    const secondsText = part.slice(at + 1);
    if (at < 0 || !number.test(rateText) || !number.test(secondsText)) {
      return `step ${i + 1} "${part}" is not KBPS@SECONDS (${EXAMPLE})`;
    }
    steps.push({ atMs: Number(secondsText) * 1000, rateKbps: Number(rateText) });
  }
  return rateScheduleProblem(steps) ?? steps;
}

/** The text form of `steps` (what {@linkcode parseRateSchedule} reads back), for messages. */
export function formatRateSchedule(steps: readonly RateStep[]): string {
  return steps.map(({ atMs, rateKbps }) => `${rateKbps}@${atMs / 1000}`).join(",");
}

/**
 * A validated schedule, answering rate questions over time. Before the first step (negative
 * times) the first rate holds; after the last step, the last rate holds for good.
 */
export class RateSchedule {
  readonly #steps: readonly RateStep[];

  /**
   * A schedule of `steps` (copied).
   *
   * @param steps The schedule; see {@linkcode rateScheduleProblem}.
   * @throws {RangeError} when {@linkcode rateScheduleProblem} finds a problem.
   */
  constructor(steps: readonly RateStep[]) {
    const problem = rateScheduleProblem(steps);
    if (problem !== null) throw new RangeError(`Cannot follow the rate schedule: ${problem}`);
    this.#steps = steps.map((step) => ({ ...step }));
  }

  /** A schedule of one rate for ever. */
  static constant(rateKbps: number): RateSchedule {
    return new RateSchedule([{ atMs: 0, rateKbps }]);
  }

  /** The steps, as given. */
  get steps(): readonly RateStep[] {
    return this.#steps;
  }

  /** The rate in force at `nowMs`, in kbit/s (bits per ms). */
  rateKbpsAt(nowMs: number): number {
    return this.#steps[this.#indexAt(nowMs)].rateKbps;
  }

  /** The bits the link carries from `fromMs` to `toMs` (0 when `toMs` is not later). */
  bitsBetween(fromMs: number, toMs: number): number {
    let bits = 0;
    let index = this.#indexAt(fromMs);
    let atMs = fromMs;
    // Each round ends a step or reaches toMs: bounded by the number of steps.
    while (atMs < toMs) {
      const stepEndMs = index + 1 < this.#steps.length ? this.#steps[index + 1].atMs : Infinity;
      const untilMs = Math.min(toMs, stepEndMs);
      bits += (untilMs - atMs) * this.#steps[index].rateKbps;
      atMs = untilMs;
      index++;
    }
    return bits;
  }

  /** When `bits` sent from `fromMs` on (at the rates in force as time goes) are all through. */
  finishMs(fromMs: number, bits: number): number {
    let index = this.#indexAt(fromMs);
    let atMs = fromMs;
    let left = bits;
    // Each round uses up a step or finishes: bounded by the number of steps (the last never ends).
    for (;;) {
      const rate = this.#steps[index].rateKbps;
      const stepEndMs = index + 1 < this.#steps.length ? this.#steps[index + 1].atMs : Infinity;
      const doneMs = atMs + left / rate;
      if (doneMs <= stepEndMs) return doneMs;
      left -= (stepEndMs - atMs) * rate;
      atMs = stepEndMs;
      index++;
    }
  }

  /** The index of the step in force at `nowMs` (binary search: schedules may be long). */
  #indexAt(nowMs: number): number {
    let low = 0;
    let high = this.#steps.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.#steps[middle].atMs <= nowMs) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
