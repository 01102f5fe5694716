/**
 * A sliding window of datagram counters already accepted (the anti-replay window of RFC 4303,
 * section 3.4.3): a counter is accepted once, and counters too far behind the newest are refused.
 *
 * @module
 */

/** Counters below `newest - size + 1` are refused as too old. */
const DEFAULT_REPLAY_WINDOW = 1024;

/** Remembers which of the last `size` counters were seen. Memory: `size` bits. */
export class ReplayWindow {
  readonly #size: number;
  readonly #seen: Uint8Array;
  #newest = -1;

  /**
   * Makes an empty window (1024 counters by default).
   *
   * @param size How far behind the newest counter a datagram may arrive, e.g. reordered.
   */
  constructor(size = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 8 || size % 8 !== 0) {
      throw new RangeError(`Cannot create ReplayWindow: size ${size} must be a multiple of 8`);
    }
    this.#size = size;
    this.#seen = new Uint8Array(size / 8);
  }

  /** The highest counter accepted, or -1. */
  get newest(): number {
    return this.#newest;
  }

  /** True when `counter` may be accepted: new, and not too old. Does not record it. */
  check(counter: number): boolean {
    if (counter > this.#newest) return true;
    if (counter <= this.#newest - this.#size) return false;
    return !this.#bit(counter);
  }

  /** Records `counter` as seen; call only after the datagram was authenticated. */
  accept(counter: number): void {
    if (counter > this.#newest) {
      const advance = counter - this.#newest;
      if (advance >= this.#size) this.#seen.fill(0);
      else for (let c = this.#newest + 1; c < counter; c++) this.#setBit(c, false);
      this.#newest = counter;
    }
    this.#setBit(counter, true);
  }

  #bit(counter: number): boolean {
    const slot = counter % this.#size;
    return (this.#seen[slot >> 3] & (1 << (slot & 7))) !== 0;
  }

  #setBit(counter: number, on: boolean): void {
    const slot = counter % this.#size;
    if (on) this.#seen[slot >> 3] |= 1 << (slot & 7);
    else this.#seen[slot >> 3] &= ~(1 << (slot & 7));
  }
}
