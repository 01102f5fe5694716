/**
 * Delays between capture restarts for `udpcam-send --retry`: 0.5 s doubling to 10 s, back to the
 * start once a capture has run steadily. Pure: the caller passes times in.
 *
 * @module
 */

/** Settings of a {@linkcode Backoff}. */
export interface BackoffOptions {
  /** First delay. */
  initialMs: number;
  /** Largest delay. */
  maxMs: number;
  /** A capture that ran this long before failing starts the delays over. */
  stableMs: number;
}

/** Defaults for `--retry`. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000, stableMs: 30_000 };

/** Exponential backoff with a reset after a steady run. */
export class Backoff {
  readonly #options: BackoffOptions;
  #nextMs: number;
  /** Restarts asked for so far. */
  attempts = 0;

  /**
   * A backoff with no restart yet.
   *
   * @param options Overrides of {@linkcode DEFAULT_BACKOFF}.
   */
  constructor(options: Partial<BackoffOptions> = {}) {
    this.#options = { ...DEFAULT_BACKOFF, ...options };
    this.#nextMs = this.#options.initialMs;
  }

  /** The delay before the next restart, for a capture that ran `ranMs` before it failed. */
  next(ranMs: number): number {
    if (ranMs >= this.#options.stableMs) this.#nextMs = this.#options.initialMs;
    const delayMs = this.#nextMs;
    this.#nextMs = Math.min(this.#options.maxMs, this.#nextMs * 2);
    this.attempts++;
    return delayMs;
  }
}
