/**
 * The picture stage (lib/send/picture_stage.ts) as a frame sink: it goes between the frame
 * releaser (lib/io/frame_releaser.ts) and the paced sender, asks for the ladder's choice per
 * frame, runs the stage's transcodes on a transcoder (lib/decode/turbo_transcoder.ts) and offers
 * what comes out to the sender, with the capture time the frame was read at.
 *
 * It lives beside the transcoder because lib/io may not import lib/decode; it needs nothing from
 * lib/io either: the sender is any {@linkcode FrameTarget}. The transcode runs off the event loop
 * (non-blocking FFI), so sending goes on meanwhile; `idle()` waits for it, so a releaser that
 * waits for the sender waits for the transcode too.
 *
 * @example Wiring (the integrator's part: controller → budget → ladder → stage → sender)
 * ```ts ignore
 * const ladder = new PictureLadder({ sourceFps: 30, scales: [...REENCODE_SCALES] });
 * const stage = new PictureStage({ sourceQuality: options.quality, observer: ladder });
 * const sink = new PictureStageSink({
 *   stage,
 *   transcoder: TurboTranscoder.open(),
 *   target: sender, // the PacedSender
 *   choose: (captureUs, nowMs) => {
 *     const decision = ladder.choose(budget.mediaBudgetBps(nowMs), nowMs);
 *     return { ...decision.rung, admit: ladder.admit(captureUs / 1000) };
 *   },
 * });
 * const onFrame = frameReleaser({ policy, sender: sink, save, onLastFrame });
 * ```
 *
 * @module
 */

import type {
  OutgoingFrame,
  PictureChoice,
  PictureObserver,
  PictureStage,
  PictureStageCounters,
  PictureStageOptions,
  PictureStageStats,
  PictureStep,
  TranscodeJob,
} from "../send/mod.ts";
import { type TranscodeOptions, TurboTranscoder } from "./turbo_transcoder.ts";
import { describeError } from "../errors.ts";

// The stage's types, for the documentation of what the options name.
export type {
  OutgoingFrame,
  PictureChoice,
  PictureObserver,
  PictureStage,
  PictureStageCounters,
  PictureStageOptions,
  PictureStageStats,
  PictureStep,
  TranscodeJob,
  TranscodeOptions,
};

/** Where frames go: the paced sender fits (lib/io/frame_releaser.ts's FrameSink). */
export interface FrameTarget {
  /** Takes a frame read at `captureUs` (µs since the Unix epoch). */
  offer(frame: Uint8Array, captureUs: number): void;
  /** Resolves when nothing is waiting or being sent. */
  idle(): Promise<void>;
}

/** Re-encodes a frame: {@linkcode TurboTranscoder} fits. */
export interface FrameTranscoder {
  /** Resolves to the re-encoded frame; rejects when it cannot be made. */
  transcode(jpeg: Uint8Array, options: TranscodeOptions): Promise<Uint8Array>;
}

/**
 * Stands in for the transcoder when libjpeg-turbo is missing: the ladder then has one quality
 * and one size, so the stage never asks for a transcode.
 */
export const NO_TRANSCODER: FrameTranscoder = {
  transcode: () => Promise.reject(new Error("no libjpeg-turbo")),
};

/**
 * The picture ladder's re-encoder, or null when libjpeg-turbo cannot be loaded: then `log` is
 * told once that `--adapt` changes only the frame rate, and what to install.
 */
export function openLadderTranscoder(log: (line: string) => void): TurboTranscoder | null {
  try {
    return TurboTranscoder.open();
  } catch (error) {
    log(
      `udpcam-send: --adapt changes only the frame rate: ${describeError(error)} ` +
        "(install libjpeg-turbo for quality and size steps)",
    );
    return null;
  }
}

/** What a {@linkcode PictureStageSink} connects. */
export interface PictureStageSinkOptions {
  /** The policy: what becomes of each frame. */
  stage: PictureStage;
  /** Runs the stage's transcodes, one at a time. */
  transcoder: FrameTranscoder;
  /** Where frames go on to. */
  target: FrameTarget;
  /** The ladder's choice for the frame captured at `captureUs`, asked at `nowMs`. */
  choose: (captureUs: number, nowMs: number) => PictureChoice;
  /** The clock the stage's times are read from; default `performance.now`. */
  nowMs?: () => number;
  /** Told why each transcode failed (the stage counts it and sends the frame as it came). */
  onFailure?: (error: unknown) => void;
}

/** The picture stage run on a transcoder, as a frame sink; see the module docs. */
export class PictureStageSink implements FrameTarget {
  readonly #stage: PictureStage;
  readonly #transcoder: FrameTranscoder;
  readonly #target: FrameTarget;
  readonly #choose: (captureUs: number, nowMs: number) => PictureChoice;
  readonly #nowMs: () => number;
  readonly #onFailure: (error: unknown) => void;
  #running: Promise<void> | null = null;

  /** Connects the stage, the transcoder and the target; nothing runs until a frame is offered. */
  constructor(options: PictureStageSinkOptions) {
    this.#stage = options.stage;
    this.#transcoder = options.transcoder;
    this.#target = options.target;
    this.#choose = options.choose;
    this.#nowMs = options.nowMs ?? (() => performance.now());
    this.#onFailure = options.onFailure ?? (() => {});
  }

  /** Takes a frame read at `captureUs`: passed on, dropped, or re-encoded as the stage says. */
  offer(frame: Uint8Array, captureUs: number): void {
    const nowMs = this.#nowMs();
    this.#run(this.#stage.offer(frame, captureUs, this.#choose(captureUs, nowMs), nowMs));
  }

  /** Resolves when no transcode runs and the target is idle. */
  async idle(): Promise<void> {
    while (this.#running !== null) await this.#running;
    await this.#target.idle();
  }

  #run(steps: PictureStep[]): void {
    for (const step of steps) {
      if (step.kind === "send") this.#target.offer(step.frame.bytes, step.frame.captureUs);
      else this.#start(step.job);
    }
  }

  #start(job: TranscodeJob): void {
    const options = { quality: job.encodeQuality, scaleEighths: job.scaleEighths };
    this.#running = this.#transcoder.transcode(job.frame, options).then(
      (output) => this.#stage.transcoded(job, output, this.#nowMs()),
      (error) => {
        this.#onFailure(error);
        return this.#stage.failed(job, this.#nowMs());
      },
    ).then((steps) => {
      this.#running = null;
      this.#run(steps);
    });
  }
}
