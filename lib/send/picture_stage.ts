/**
 * The sender's picture stage: per frame, what the picture ladder chose (lib/adapt/picture_ladder.ts)
 * made real. A frame is passed on untouched, dropped (the rung's frame rate leaves it out), or
 * re-encoded at the rung's quality and size. Pure: frames, the ladder's choice and `nowMs` in,
 * steps out; the caller runs the transcodes (lib/decode/picture_stage_sink.ts drives
 * libjpeg-turbo) and reports back.
 *
 * - **Pass**: at full size and at or above the quality the frames already have
 *   (`sourceQuality`: `--quality` when ffmpeg encodes, the ladder's top quality for a camera's
 *   own MJPEG), the frame goes on as it came, the same bytes: the top rung costs nothing and
 *   the unconstrained stream is exactly today's.
 * - **Drop**: a frame the ladder does not admit (frame-rate rungs) is counted and forgotten.
 * - **Transcode**: otherwise, at the libjpeg quality that quantizes like ffmpeg at the rung's
 *   quality (lib/send/quality_match.ts), so a rung means the same whichever encoder made the
 *   frame. At most one transcode runs at a time; a frame that arrives
 *   meanwhile waits in a single slot, and a newer frame takes the slot from it (the older one is
 *   counted as skipped): when transcoding falls behind capture, the newest frame wins. Frames
 *   leave in capture order, a pass-through frame too waits behind a running transcode, so
 *   capture times never go backwards on the wire.
 * - A re-encode never sends more than it was given: when the output is no smaller than the
 *   frame, the frame goes instead. A transcode that fails sends the frame as it came (counted);
 *   the rate budget downstream still skips what does not fit.
 *
 * The observer (the ladder's `observe`) hears the size of every frame the stage sends, with the
 * quality and size it stands for, so the ladder's model follows what is really sent. The sizes
 * are JPEG bytes: wrap the ladder to add the wire's overhead (headers, parity) if it should plan
 * on wire bytes.
 *
 * @example A ladder asks for less than ffmpeg's quality 80: the stage re-encodes
 * ```ts
 * import { PictureLadder } from "../adapt/mod.ts";
 * import { PictureStage } from "./picture_stage.ts";
 *
 * const ladder = new PictureLadder({ sourceFps: 30 });
 * const stage = new PictureStage({ sourceQuality: 80, observer: ladder });
 * const frame = new Uint8Array(46_000); // a 720p frame from ffmpeg at --quality 80
 *
 * // First frame: nothing measured yet, the top rung: passed on, same bytes.
 * const [first] = stage.offer(frame, 0, { quality: 80, scale: 1, admit: true }, 0);
 * if (first.kind !== "send" || first.frame.bytes !== frame) throw new Error("not passed");
 *
 * // The link narrows to 3.8 Mbit/s: the ladder steps down and the stage re-encodes.
 * const decision = ladder.choose(3_800_000, 33);
 * const choice = { ...decision.rung, admit: ladder.admit(33) };
 * const [step] = stage.offer(frame, 33_000, choice, 33);
 * if (step.kind !== "transcode") throw new Error("expected a transcode");
 * // ...the caller transcodes step.job (encodeQuality, scaleEighths) and reports the output:
 * const output = new Uint8Array(20_000);
 * const [sent] = stage.transcoded(step.job, output, 38);
 * if (sent.kind !== "send" || sent.frame.bytes !== output) throw new Error("not sent");
 * if (stage.counters.framesTranscoded !== 1) throw new Error("not counted");
 * ```
 *
 * @module
 */

import { percentile, round2 } from "../stats/mod.ts";
import { libjpegQualityFor } from "./quality_match.ts";

/** What the picture ladder chose for one frame. */
export interface PictureChoice {
  /** JPEG quality of the rung, 1..100 (rounded and clamped). */
  quality: number;
  /** Width and height as a share of the source's, (0, 1]; re-encoded at the nearest n/8. */
  scale: number;
  /** False when the rung's frame rate leaves this frame out (`PictureLadder.admit`). */
  admit: boolean;
}

/** Hears the size of every frame sent: `PictureLadder` fits. */
export interface PictureObserver {
  /** A frame of `bytes` standing for `quality` at `scale` was sent at `nowMs`. */
  observe(quality: number, scale: number, bytes: number, nowMs: number): void;
}

/** How a {@linkcode PictureStage} works. */
export interface PictureStageOptions {
  /**
   * The quality frames already have as they arrive: `--quality` when ffmpeg encodes them, the
   * ladder's top quality for a camera's own MJPEG. A choice at or above it at full size passes
   * frames untouched.
   */
  sourceQuality: number;
  /** Told the size of every frame sent (the ladder), or null. */
  observer: PictureObserver | null;
  /** Transcode times kept for the percentiles; default {@linkcode DEFAULT_TIMING_SAMPLES}. */
  timingSamples?: number;
  /**
   * The libjpeg quality to re-encode a rung's quality at; default
   * {@linkcode libjpegQualityFor} (ffmpeg's scale, as `--quality` and the ladder use).
   */
  encodeQuality?: (quality: number) => number;
}

/** Transcode times the stage keeps by default: the last four seconds at 30 fps, about. */
export const DEFAULT_TIMING_SAMPLES = 128;

/** A frame to re-encode: the caller transcodes it and reports the outcome. */
export interface TranscodeJob {
  /** The frame as it came. */
  readonly frame: Uint8Array;
  /** Its capture time, µs since the Unix epoch, kept for the frame that goes out. */
  readonly captureUs: number;
  /** The rung's quality, 1..100 (what the observer hears). */
  readonly quality: number;
  /** The libjpeg quality to encode at, 1..100. */
  readonly encodeQuality: number;
  /** The scale the ladder chose (what the observer hears). */
  readonly scale: number;
  /** The scale as libjpeg-turbo decodes it: n/8, n = 1..8. */
  readonly scaleEighths: number;
}

/** A frame the stage hands on to be sent. */
export interface OutgoingFrame {
  /** The JPEG: the very buffer offered when passed through, or the re-encoded one. */
  readonly bytes: Uint8Array;
  /** The capture time it was offered with. */
  readonly captureUs: number;
  /** The quality it stands for. */
  readonly quality: number;
  /** The size it stands for. */
  readonly scale: number;
  /** True when these bytes came out of a re-encode. */
  readonly transcoded: boolean;
}

/** What the caller does next. */
export type PictureStep =
  /** Send this frame now (before any later step). */
  | { readonly kind: "send"; readonly frame: OutgoingFrame }
  /** Start this transcode; report it with `transcoded` or `failed`. */
  | { readonly kind: "transcode"; readonly job: TranscodeJob };

/**
 * What the stage did with the frames it was offered. Every frame is counted once:
 * `framesOffered` = passed + transcoded + sourceKept + transcodeFailures + droppedForRate +
 * skippedBehind + {@linkcode PictureStage.framesHeld}.
 */
export interface PictureStageCounters {
  /** Frames offered. */
  framesOffered: number;
  /** Sent untouched: the top rung. */
  framesPassed: number;
  /** Sent re-encoded. */
  framesTranscoded: number;
  /** Re-encoded, but the output was no smaller, so the frame went as it came. */
  framesSourceKept: number;
  /** Re-encodes that failed; the frame went as it came. */
  transcodeFailures: number;
  /** Left out by the rung's frame rate. */
  framesDroppedForRate: number;
  /** Waited behind a running transcode and were replaced by a newer frame. */
  framesSkippedBehind: number;
}

/** The counters and the transcode times, for the status line and `--stats-json`. */
export interface PictureStageStats extends PictureStageCounters {
  /** Median transcode time of the recent transcodes (ms, from start to report), or null. */
  transcodeMsP50: number | null;
  /** Their 95th percentile, or null. */
  transcodeMsP95: number | null;
}

/** What waits in the slot behind a running transcode. */
type Waiting =
  | { kind: "pass"; frame: OutgoingFrame }
  | { kind: "transcode"; job: TranscodeJob };

/** Turns the ladder's per-frame choices into pass, drop and transcode steps; see the module docs. */
export class PictureStage {
  readonly #sourceQuality: number;
  readonly #observer: PictureObserver | null;
  readonly #encodeQuality: (quality: number) => number;
  readonly #counters: PictureStageCounters = {
    framesOffered: 0,
    framesPassed: 0,
    framesTranscoded: 0,
    framesSourceKept: 0,
    transcodeFailures: 0,
    framesDroppedForRate: 0,
    framesSkippedBehind: 0,
  };
  #running: TranscodeJob | null = null;
  #startedMs = 0;
  #waiting: Waiting | null = null;
  readonly #timingsMs: Float64Array;
  #timingCount = 0;
  #timingNext = 0;

  /**
   * A stage with nothing running.
   *
   * @throws {RangeError} when `sourceQuality` is not in 1..100 or `timingSamples` is not a
   * positive whole number.
   */
  constructor(options: PictureStageOptions) {
    const { sourceQuality, timingSamples = DEFAULT_TIMING_SAMPLES } = options;
    if (!(sourceQuality >= 1 && sourceQuality <= 100)) {
      throw new RangeError(
        `Cannot build the picture stage: source quality ${sourceQuality} is not in 1..100. ` +
          "Pass --quality or the ladder's top quality.",
      );
    }
    if (!Number.isInteger(timingSamples) || timingSamples < 1) {
      throw new RangeError(
        `Cannot build the picture stage: ${timingSamples} timing samples. Pass a whole number ≥ 1.`,
      );
    }
    this.#sourceQuality = sourceQuality;
    this.#observer = options.observer;
    this.#encodeQuality = options.encodeQuality ?? libjpegQualityFor;
    this.#timingsMs = new Float64Array(timingSamples);
  }

  /** The counters (a live view). */
  get counters(): Readonly<PictureStageCounters> {
    return this.#counters;
  }

  /** Frames offered that are still inside: the running transcode and the one waiting (0..2). */
  get framesHeld(): number {
    return (this.#running === null ? 0 : 1) + (this.#waiting === null ? 0 : 1);
  }

  /** True while a transcode runs. */
  get busy(): boolean {
    return this.#running !== null;
  }

  /** The counters with the transcode-time percentiles. */
  stats(): PictureStageStats {
    const samples = this.#timingsMs.subarray(0, this.#timingCount);
    const p50 = percentile(samples, 50);
    const p95 = percentile(samples, 95);
    return {
      ...this.#counters,
      transcodeMsP50: p50 === null ? null : round2(p50),
      transcodeMsP95: p95 === null ? null : round2(p95),
    };
  }

  /**
   * Takes a frame captured at `captureUs` (µs since the Unix epoch) with the ladder's `choice`
   * at `nowMs`. Returns what to do now: nothing (dropped, or waiting behind a transcode), one
   * frame to send, or one transcode to start.
   */
  offer(frame: Uint8Array, captureUs: number, choice: PictureChoice, nowMs: number): PictureStep[] {
    this.#counters.framesOffered++;
    if (!choice.admit) {
      this.#counters.framesDroppedForRate++;
      return [];
    }
    const quality = Math.min(100, Math.max(1, Math.round(choice.quality)));
    const scaleEighths = Math.min(8, Math.max(1, Math.round(choice.scale * 8)));
    const pass = scaleEighths === 8 && quality >= this.#sourceQuality;
    const item: Waiting = pass ? { kind: "pass", frame: this.#asIs(frame, captureUs) } : {
      kind: "transcode",
      job: {
        frame,
        captureUs,
        quality,
        encodeQuality: Math.min(100, Math.max(1, Math.round(this.#encodeQuality(quality)))),
        scale: choice.scale,
        scaleEighths,
      },
    };
    if (this.#running !== null) {
      if (this.#waiting !== null) this.#counters.framesSkippedBehind++;
      this.#waiting = item;
      return [];
    }
    return [this.#begin(item, nowMs)];
  }

  /**
   * Reports that the running `job` produced `output` at `nowMs`. Returns the frame to send, then
   * what the waiting frame needs (send or transcode), if one waits.
   *
   * @throws {Error} when `job` is not the transcode running.
   */
  transcoded(job: TranscodeJob, output: Uint8Array, nowMs: number): PictureStep[] {
    this.#finish(job);
    this.#addTiming(nowMs - this.#startedMs);
    const smaller = output.length < job.frame.length;
    if (smaller) this.#counters.framesTranscoded++;
    else this.#counters.framesSourceKept++;
    const frame: OutgoingFrame = {
      bytes: smaller ? output : job.frame,
      captureUs: job.captureUs,
      quality: job.quality,
      scale: job.scale,
      transcoded: smaller,
    };
    return this.#sendThenNext(frame, nowMs);
  }

  /**
   * Reports that the running `job` failed at `nowMs`: the frame goes as it came. Returns that
   * frame to send, then what the waiting frame needs, if one waits.
   *
   * @throws {Error} when `job` is not the transcode running.
   */
  failed(job: TranscodeJob, nowMs: number): PictureStep[] {
    this.#finish(job);
    this.#counters.transcodeFailures++;
    return this.#sendThenNext(this.#asIs(job.frame, job.captureUs), nowMs);
  }

  #asIs(bytes: Uint8Array, captureUs: number): OutgoingFrame {
    return { bytes, captureUs, quality: this.#sourceQuality, scale: 1, transcoded: false };
  }

  #finish(job: TranscodeJob): void {
    if (job !== this.#running) {
      throw new Error(
        "Cannot finish a transcode: it is not the one running. Report each job once.",
      );
    }
    this.#running = null;
  }

  #sendThenNext(frame: OutgoingFrame, nowMs: number): PictureStep[] {
    const steps: PictureStep[] = [this.#send(frame, nowMs)];
    const waiting = this.#waiting;
    this.#waiting = null;
    if (waiting !== null) steps.push(this.#begin(waiting, nowMs));
    return steps;
  }

  #begin(item: Waiting, nowMs: number): PictureStep {
    if (item.kind === "pass") {
      this.#counters.framesPassed++;
      return this.#send(item.frame, nowMs);
    }
    this.#running = item.job;
    this.#startedMs = nowMs;
    return { kind: "transcode", job: item.job };
  }

  #send(frame: OutgoingFrame, nowMs: number): PictureStep {
    this.#observer?.observe(frame.quality, frame.scale, frame.bytes.length, nowMs);
    return { kind: "send", frame };
  }

  #addTiming(ms: number): void {
    this.#timingsMs[this.#timingNext] = Math.max(0, ms);
    this.#timingNext = (this.#timingNext + 1) % this.#timingsMs.length;
    this.#timingCount = Math.min(this.#timingCount + 1, this.#timingsMs.length);
  }
}
