/**
 * How often an opener may try a session id it does not know: a token bucket over `nowMs`. A try
 * costs a key derivation and one decryption (about as much as opening a few datagrams), and
 * anyone can send datagrams with new ids, so tries are rationed: at most `perSecond` over time,
 * `burst` at once. Pure: the caller passes the clock.
 *
 * @module
 */

/**
 * A token bucket of tries.
 *
 * @example At most `burst` at once, then `perSecond`
 * ```ts
 * import { TrialBudget } from "./trial_budget.ts";
 *
 * const budget = new TrialBudget(100, 2);
 * const now = [budget.take(0), budget.take(0), budget.take(0)];
 * if (now.join() !== "true,true,false") throw new Error("the burst was not 2");
 * if (!budget.take(10)) throw new Error("10 ms at 100/s should give one try");
 * ```
 */
export class TrialBudget {
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  /** When the bucket was last filled; null until the first take (it starts full). */
  #atMs: number | null = null;

  /**
   * A full bucket.
   *
   * @param perSecond Tries earned per second.
   * @param burst Most tries banked (and the bucket's start).
   */
  constructor(perSecond: number, burst: number) {
    if (!(perSecond > 0) || !(burst >= 1)) {
      throw new RangeError(
        `Cannot create TrialBudget: perSecond ${perSecond} and burst ${burst} must be positive`,
      );
    }
    this.#perMs = perSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
  }

  /** Takes one try if one is left at `nowMs`; false when the budget is spent. */
  take(nowMs: number): boolean {
    if (this.#atMs === null) this.#atMs = nowMs;
    // A clock that goes back earns nothing (and loses nothing).
    if (nowMs > this.#atMs) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (nowMs - this.#atMs) * this.#perMs);
      this.#atMs = nowMs;
    }
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}
