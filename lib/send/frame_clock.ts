/**
 * Releases frames at a steady rate by the sender's own clock, for a pass-through file played at
 * `--fps N` (ffmpeg copies the file's frames as fast as they are taken; its `-re` would follow the
 * file's own timing instead). Pure: the caller passes the time and sleeps.
 *
 * @module
 */

/**
 * Frame deadlines `1000 / fps` ms apart. Deadlines are kept on a fixed grid, so timer lateness on
 * one frame is made up on the next and the average rate is exact; a sender that falls more than a
 * frame behind restarts the grid instead of sending a burst to catch up.
 */
export class FrameClock {
  readonly #intervalMs: number;
  #nextDueMs: number | null = null;

  /**
   * A clock whose first frame goes at once.
   *
   * @param fps Frames per second, > 0.
   */
  constructor(fps: number) {
    if (!(fps > 0)) throw new RangeError(`Cannot pace frames: fps must be above 0, got ${fps}`);
    this.#intervalMs = 1000 / fps;
  }

  /** For the frame ready at `nowMs`: how long to wait before sending it, in ms (0: now). */
  delayMs(nowMs: number): number {
    if (this.#nextDueMs === null || nowMs - this.#nextDueMs > this.#intervalMs) {
      this.#nextDueMs = nowMs;
    }
    const delay = Math.max(0, this.#nextDueMs - nowMs);
    this.#nextDueMs += this.#intervalMs;
    return delay;
  }
}
