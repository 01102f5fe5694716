/**
 * A one-item mailbox where the newest item wins: the display keeps only the latest complete frame
 * waiting for decode, so a slow decode or present makes it skip frames instead of falling behind.
 *
 * @module
 */

/** Holds at most one item; putting over an unread item replaces it and counts it as skipped. */
export class LatestSlot<T> {
  #item: T | undefined = undefined;
  #full = false;
  #skipped = 0;
  #wake: (() => void) | null = null;
  /** When the current wait times out (performance clock, ms). */
  #waitUntilMs = Infinity;
  /** The one timer behind every wait, and when it fires; re-armed lazily, see `wait`. */
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerAtMs = Infinity;

  /** Items replaced before anyone took them. */
  get skipped(): number {
    return this.#skipped;
  }

  /** Whether an item is waiting. */
  get full(): boolean {
    return this.#full;
  }

  /** Stores `item`, replacing (and counting as skipped) any item not yet taken. */
  put(item: T): void {
    if (this.#full) this.#skipped++;
    this.#item = item;
    this.#full = true;
    this.#wakeWaiter();
  }

  /** Removes and returns the waiting item, or undefined when the slot is empty. */
  take(): T | undefined {
    if (!this.#full) return undefined;
    const item = this.#item;
    this.#item = undefined;
    this.#full = false;
    return item;
  }

  /**
   * Resolves when an item is put (true), or after `timeoutMs` with none (false); at once if one is
   * waiting. A new wait replaces a pending one, which resolves with the slot's state.
   *
   * One timer serves all waits and is never cleared when a put ends a wait early: Deno wakes the
   * thread at a timer's deadline even after `clearTimeout` (a wake-up's cost: docs/benchmarks.md,
   * "Figures behind design choices"), so a timer
   * per wait cost a wake-up per frame. When the timer fires before the current wait's end it is
   * armed again for that end; with nobody waiting it stops. Call {@linkcode LatestSlot.close} when
   * done, so no timer outlives the slot.
   */
  wait(timeoutMs: number): Promise<boolean> {
    if (this.#full) return Promise.resolve(true);
    this.#wakeWaiter();
    const nowMs = performance.now();
    return new Promise((resolve) => {
      this.#wake = () => resolve(this.#full);
      this.#waitUntilMs = nowMs + timeoutMs;
      this.#armTimer(this.#waitUntilMs, nowMs);
    });
  }

  /** Ends a pending wait (it resolves with the slot's state) and stops the timer. */
  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAtMs = Infinity;
    this.#wakeWaiter();
  }

  #armTimer(atMs: number, nowMs: number): void {
    if (this.#timer !== null) {
      if (this.#timerAtMs <= atMs) return;
      clearTimeout(this.#timer);
    }
    this.#timerAtMs = atMs;
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(0, Math.ceil(atMs - nowMs)));
  }

  #onTimer(): void {
    this.#timer = null;
    this.#timerAtMs = Infinity;
    if (this.#wake === null) return;
    const nowMs = performance.now();
    if (nowMs >= this.#waitUntilMs) this.#wakeWaiter();
    else this.#armTimer(this.#waitUntilMs, nowMs);
  }

  #wakeWaiter(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
