/**
 * When a frame read from ffmpeg goes to the paced sender, and whether reading waits for it: the
 * rate plan's half that runs per frame. Pure: the caller passes `nowMs`, then sleeps, offers and
 * waits as told (lib/io/frame_releaser.ts).
 *
 * - `capture` and `fileOwnRate`: ffmpeg sets the pace; a frame goes at once, and reading never
 *   waits (a frame still waiting to be sent is replaced by the newer one).
 * - `released`: each frame is held until its slot on the sender's clock (lib/send/frame_clock.ts),
 *   and reading waits until it is on the wire, so ffmpeg reading ahead skips nothing.
 * - `max`: a frame goes at once, and reading waits until it is on the wire.
 *
 * `--frames N` stops the policy after the Nth frame released; a stopped policy drops every frame.
 *
 * @module
 */

import { FrameClock } from "./frame_clock.ts";
import { type RatePlan, releaseFps } from "./rate_plan.ts";

/** What to do with a frame ffmpeg just delivered. */
export type ArrivalStep =
  /** The sender is stopping: the frame is not sent. */
  | { kind: "drop" }
  /** Release it now; reading the next frame waits until it is on the wire when `awaitSent`. */
  | { kind: "release"; awaitSent: boolean }
  /**
   * Hold it `holdMs` (0: no wait, but still after the caller yields), then release it unless the
   * policy stopped meanwhile; reading the next frame waits until it is on the wire either way.
   */
  | { kind: "hold"; holdMs: number };

/**
 * The per-frame release decisions of one sender run; see the module docs.
 *
 * @example `--fps 100` on a pass-through file, stopping after 2 frames
 * ```ts
 * import { ReleasePolicy } from "./release_policy.ts";
 *
 * const policy = new ReleasePolicy({ kind: "released", fps: 100 }, 2);
 * const first = policy.arrive(1000); // { kind: "hold", holdMs: 0 }
 * const lastOne = policy.released(); // false: one of two
 * const second = policy.arrive(1001); // { kind: "hold", holdMs: 9 }: its slot is at 1010
 * if (first.kind !== "hold" || second.kind !== "hold" || second.holdMs !== 9) {
 *   throw new Error("the second frame was not held for its slot");
 * }
 * if (lastOne || !policy.released() || !policy.stopping) throw new Error("--frames 2 not kept");
 * if (policy.arrive(1010).kind !== "drop") throw new Error("a stopped policy released a frame");
 * ```
 */
export class ReleasePolicy {
  readonly #awaitSent: boolean;
  readonly #clock: FrameClock | null;
  readonly #maxFrames: number;
  #released = 0;
  #stopping = false;

  /**
   * A policy for one run, releasing from its first frame.
   *
   * @param plan The run's rate plan.
   * @param maxFrames `--frames`: stop after this many frames are released; 0: never.
   */
  constructor(plan: RatePlan, maxFrames: number) {
    const clockFps = releaseFps(plan);
    this.#clock = clockFps === null ? null : new FrameClock(clockFps);
    this.#awaitSent = plan.kind === "max";
    this.#maxFrames = maxFrames;
  }

  /** True once {@linkcode stop} was called or the last frame `--frames` allows was released. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Frames released so far. */
  get framesReleased(): number {
    return this.#released;
  }

  /** Stops: every frame from now on is dropped, including one being held. */
  stop(): void {
    this.#stopping = true;
  }

  /** The step for a frame ffmpeg delivered at `nowMs`. */
  arrive(nowMs: number): ArrivalStep {
    if (this.#stopping) return { kind: "drop" };
    if (this.#clock !== null) return { kind: "hold", holdMs: this.#clock.delayMs(nowMs) };
    return { kind: "release", awaitSent: this.#awaitSent };
  }

  /**
   * Counts a frame handed to the sender. Returns true when it was the last one `--frames` allows:
   * the policy has stopped, and the caller ends the run.
   */
  released(): boolean {
    this.#released++;
    if (this.#maxFrames > 0 && this.#released >= this.#maxFrames) {
      this.#stopping = true;
      return true;
    }
    return false;
  }
}
