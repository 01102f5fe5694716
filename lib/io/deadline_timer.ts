/**
 * One timer armed at a computed time, replaced only when something falls due sooner.
 *
 * Why: Deno wakes the thread at a timer's first deadline even after `clearTimeout`
 * (docs/benchmarks.md, "Figures behind design choices"), so a timer armed per event and cleared
 * later costs a wake-up per event. A timer armed at the next time anything may be due, left to
 * fire when nothing sooner comes up, costs one wake-up per deadline.
 *
 * @example
 * ```ts
 * import { DeadlineTimer } from "./deadline_timer.ts";
 *
 * const timer = new DeadlineTimer();
 * const fired: string[] = [];
 * const now = performance.now();
 * timer.arm(now + 50, now, () => fired.push("late"));
 * timer.arm(now + 5, now, () => fired.push("soon")); // sooner: replaces the first
 * timer.arm(now + 20, now, () => fired.push("later")); // not sooner: the armed one stays
 * await new Promise((resolve) => setTimeout(resolve, 80));
 * console.log(fired); // [ "soon" ]
 * timer.cancel();
 * ```
 *
 * @module
 */

/** A timer that fires once at the soonest time it was armed for; see the module docs. */
export class DeadlineTimer {
  #timer: ReturnType<typeof setTimeout> | null = null;
  #atMs = Infinity;

  /** When the armed timer fires (ms on the clock `arm` was given), or Infinity: none armed. */
  get atMs(): number {
    return this.#atMs;
  }

  /**
   * Arms `fire` at `atMs`, unless a timer is already armed at or before it (then that one stays
   * and `fire` is dropped: the caller re-arms from its callback).
   *
   * @param atMs When to fire, on the clock `nowMs` is read from.
   * @param nowMs Now, on that clock.
   * @param fire Called once when the timer fires.
   */
  arm(atMs: number, nowMs: number, fire: () => void): void {
    if (this.#timer !== null) {
      if (this.#atMs <= atMs) return;
      clearTimeout(this.#timer);
    }
    this.#atMs = atMs;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#atMs = Infinity;
      fire();
    }, Math.max(0, Math.ceil(atMs - nowMs)));
  }

  /** Clears the armed timer, if any. */
  cancel(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#atMs = Infinity;
  }
}

/**
 * Keeps something polled when it next may have work: `nextPollMs()` says when (or null: nothing
 * due, no timer), never sooner than `minGapMs` after the call, on one {@linkcode DeadlineTimer}.
 * After a poll it schedules itself again; `close()` stops it for good.
 */
export class DeadlinePoller {
  readonly #timer = new DeadlineTimer();
  readonly #nextPollMs: () => number | null;
  readonly #minGapMs: number;
  readonly #poll: () => void;
  #closed = false;

  /**
   * A poller of `poll`; nothing is armed until the first `schedule`.
   *
   * @param nextPollMs When the next poll may have work (performance clock), or null.
   * @param minGapMs Least time between a schedule and the poll it arms.
   * @param poll The work.
   */
  constructor(nextPollMs: () => number | null, minGapMs: number, poll: () => void) {
    this.#nextPollMs = nextPollMs;
    this.#minGapMs = minGapMs;
    this.#poll = poll;
  }

  /** Arms the poll for when it next may have work, unless one is armed sooner. */
  schedule(nowMs: number): void {
    if (this.#closed) return;
    const nextMs = this.#nextPollMs();
    if (nextMs === null) return;
    this.#timer.arm(Math.max(nextMs, nowMs + this.#minGapMs), nowMs, () => {
      if (this.#closed) return;
      this.#poll();
      this.schedule(performance.now());
    });
  }

  /** Clears the armed poll; later calls to `schedule` do nothing. */
  close(): void {
    this.#closed = true;
    this.#timer.cancel();
  }
}
