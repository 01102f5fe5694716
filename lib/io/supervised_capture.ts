/**
 * An ffmpeg capture that is watched: when ffmpeg exits on its own, the capture either ends (a file
 * played to its end, or a failure explained in one sentence) or, with `--retry`, starts again
 * after a backoff, so a crashed ffmpeg or an unplugged camera does not end the stream.
 *
 * @module
 */

import { Backoff } from "../capture/mod.ts";
import { type FfmpegCapture, startFfmpegCapture } from "./ffmpeg_capture.ts";

/** What a {@linkcode SupervisedCapture} runs and whom it tells. */
export interface SupervisedCaptureOptions {
  /** The ffmpeg program. */
  ffmpegPath: string;
  /** ffmpeg's arguments (MJPEG on stdout). */
  args: string[];
  /** Gets every complete JPEG, as `startFfmpegCapture` delivers it. */
  onFrame: (frame: Uint8Array) => void | Promise<void>;
  /** Restart after a failure instead of ending. */
  retry: boolean;
  /** One sentence on why ffmpeg stopped, from its last stderr lines and exit code. */
  explain: (stderrTail: string[], exitCode: number, framesThisRun: number) => string;
  /** Prints one line for the user (why capture stopped, when it restarts). */
  log: (message: string) => void;
  /**
   * Called once when capture ends for good: null after a clean end (a file played through), the
   * explanation after a failure without `retry`. Not called after {@linkcode SupervisedCapture.stop}.
   */
  onEnd: (failure: string | null) => void;
}

/** A running, watched capture; see the module docs. */
export class SupervisedCapture {
  readonly #options: SupervisedCaptureOptions;
  readonly #backoff = new Backoff();
  #capture: FfmpegCapture;
  #startMs = performance.now();
  #framesThisRun = 0;
  #stopped = false;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Starts ffmpeg at once.
   *
   * @throws {UserError} when ffmpeg cannot be started at all (not installed, not executable).
   */
  constructor(options: SupervisedCaptureOptions) {
    this.#options = options;
    this.#capture = this.#start();
  }

  /** How many times capture was started again. */
  get restarts(): number {
    return this.#backoff.attempts;
  }

  /** Stops ffmpeg and any pending restart. Safe to call twice. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    await this.#capture.stop();
  }

  #start(): FfmpegCapture {
    const { ffmpegPath, args, onFrame } = this.#options;
    this.#framesThisRun = 0;
    this.#startMs = performance.now();
    const capture = startFfmpegCapture(ffmpegPath, args, (frame) => {
      this.#framesThisRun++;
      return onFrame(frame);
    });
    capture.exited.then((code) => this.#exited(capture, code));
    return capture;
  }

  #exited(capture: FfmpegCapture, code: number): void {
    if (this.#stopped) return;
    const { explain, retry, log, onEnd } = this.#options;
    if (code === 0 && this.#framesThisRun > 0) return onEnd(null);
    const why = explain(capture.stderrTail, code, this.#framesThisRun);
    if (!retry) return onEnd(why);
    // Same socket, stream id and frame numbering for the caller; only ffmpeg starts again.
    const delayMs = this.#backoff.next(performance.now() - this.#startMs);
    log(why);
    log(
      `restarting capture in ${(delayMs / 1000).toFixed(1)} s ` +
        `(--retry, attempt ${this.#backoff.attempts})`,
    );
    this.#restartTimer = setTimeout(() => {
      if (!this.#stopped) this.#capture = this.#start();
    }, delayMs);
  }
}
