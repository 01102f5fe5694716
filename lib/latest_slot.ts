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
   * Resolves when an item is waiting or after `timeoutMs`, whichever comes first; true when an
   * item is waiting. One waiter at a time: a second call releases the first.
   */
  wait(timeoutMs: number): Promise<boolean> {
    if (this.#full) return Promise.resolve(true);
    this.#wakeWaiter();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve(this.#full);
      }, timeoutMs);
      this.#wake = () => {
        clearTimeout(timer);
        resolve(this.#full);
      };
    });
  }

  #wakeWaiter(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
