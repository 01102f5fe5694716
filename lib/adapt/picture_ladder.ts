/**
 * The picture ladder: from a rate budget and the sizes of the frames actually sent, choose per
 * frame the JPEG quality first, then the frame rate, then the picture size, with hysteresis.
 * Pure: budgets, frame sizes and `nowMs` in, a rung and a one-line reason out.
 *
 * Rungs, best first: every quality at the full frame rate and size; then, at the lowest
 * quality, the lower frame rates down to `sizeFpsShare` of the source's; then, at that frame
 * rate, every smaller size (only when the sender re-encodes); then, at the smallest size, the
 * frame rates below it. Size comes before the lowest frame rates because fluency is the point:
 * a picture at half the size and 24 fps (film's rate, still fluent motion) reads better than a
 * full one at 5 fps, and on some
 * sources (a test pattern, whose frames ffmpeg packs with optimal Huffman tables) lower
 * qualities hardly shrink the frames at all, so only size gets them through a narrow link at a
 * usable frame rate. Without re-encoding (one size) this is quality, then frame rate. Each
 * rung's rate is predicted as bytes per frame ×
 * frames per second, the bytes modelled from measurements, not constants: the newest frame's
 * size (smoothed) anchors the model, and a rung of another quality or size is scaled from it by
 * `bytes ∝ quantizer(quality)^-γ × scale^(2·α)`. γ is measured at each change of quality: the
 * smoothed size just before and after the switch (same scene, a few frames apart) give one
 * sample, and γ is the mean of the last few (`qualityExponent` until the first); α is
 * `areaExponent`. The anchor follows the scene from frame to frame, γ follows the encoder; sizes
 * measured at different times are never compared, since the scene changes in between.
 *
 * Hysteresis: a step down is immediate, straight to the best rung that fits. A step up goes one
 * rung at a time and only after that rung has fitted with `upHeadroom` to spare for `upHoldMs`
 * without a break, so a steady link settles on one rung and a brief rise changes nothing. When
 * the rung after it fits with headroom too (the link widened by far), each step waits only
 * `fastUpHoldMs`: a widened link is climbed in seconds, still one rung at a time, each seen to
 * fit before the next.
 *
 * Frame rate is applied by {@linkcode PictureLadder.admit}: of the source's frames, it passes
 * as many as the rung's rate asks for, evenly.
 *
 * A picture below the target cannot show the link carries more (the controller trusts at most
 * 1.5 × what arrived), so {@linkcode PictureLadder.upGoalBps} tells the sender how much to pad
 * to earn the next rung.
 *
 * @example
 * ```ts
 * import { PictureLadder } from "./picture_ladder.ts";
 *
 * const ladder = new PictureLadder({ sourceFps: 30 });
 * ladder.observe(80, 1, 46_000, 0); // a 720p frame at quality 80: 46 KB (11 Mbit/s at 30 fps)
 * const decision = ladder.choose(3_800_000, 33);
 * console.log(decision.reason); // link 3.8 Mbit/s: q 40, 15 fps
 * ```
 *
 * @module
 */

import { qualityToQscale } from "../capture/mod.ts";
import { formatBps } from "./congestion_controller.ts";

/** One way to send the picture. */
export interface PictureRung {
  /** JPEG quality 1..100. */
  quality: number;
  /** Frames per second sent. */
  fps: number;
  /** Picture size as a share of the source's width and height (1, 3/4, 1/2). */
  scale: number;
}

/** The ladder's steps and hysteresis. */
export interface PictureLadderOptions {
  /** Frames per second the source delivers. */
  sourceFps: number;
  /** Qualities, best first; one value when the sender cannot re-encode (passthrough). */
  qualities: number[];
  /** Frame rates as shares of the source's, best first, starting at 1. */
  fpsShares: number[];
  /**
   * The smaller sizes come at the lowest frame rate of `fpsShares` not below this share; the
   * frame rates below it come after them, at the smallest size.
   */
  sizeFpsShare: number;
  /** Picture sizes as shares of the source's, best first, from 1; [1] without re-encoding. */
  scales: number[];
  /** A step up needs the next rung to fit with this share of the budget to spare. */
  upHeadroom: number;
  /** ...without a break for this long. */
  upHoldMs: number;
  /** ...or this long, when the rung after that one fits with the headroom too. */
  fastUpHoldMs: number;
  /** Prior exponent γ of `bytes ∝ quantizer^-γ` until sizes at two qualities are measured. */
  qualityExponent: number;
  /** Exponent α of `bytes ∝ area^α`. */
  areaExponent: number;
  /** The encoder's quantizer scale for a quality (bigger: coarser, smaller frames). */
  quantizer: (quality: number) => number;
  /** Weight of the newest frame in the smoothed size of its rung. */
  smoothing: number;
}

/**
 * Defaults: qualities 80..40 in steps of 10 (80 is udpcam's default), 30/24/20/15/10/5 fps for a
 * 30 fps source, sizes (when re-encoding) at 24 fps, full size only unless `scales` says more, a
 * step up after 1.5 s with 15 % to spare (0.5 s when two rungs fit so). The quality exponent
 * 0.6 fits ffmpeg's mjpeg on a test pattern; the quantizer is ffmpeg's qscale mapping.
 */
export const DEFAULT_PICTURE_LADDER_OPTIONS: PictureLadderOptions = {
  sourceFps: 30,
  qualities: [80, 70, 60, 50, 40],
  fpsShares: [1, 0.8, 2 / 3, 1 / 2, 1 / 3, 1 / 6],
  sizeFpsShare: 0.8,
  scales: [1],
  upHeadroom: 0.15,
  upHoldMs: 1500,
  fastUpHoldMs: 500,
  qualityExponent: 0.6,
  areaExponent: 0.85,
  quantizer: qualityToQscale,
  smoothing: 0.25,
};

/** Sizes when the sender re-encodes: full, three quarters, half. */
export const REENCODE_SCALES: readonly number[] = [1, 3 / 4, 1 / 2];

/** The ladder's top quality for a camera's own MJPEG (`--passthrough`: its quality is not known). */
export const PASSTHROUGH_TOP_QUALITY = 80;
/** The ladder's lowest quality: below it, frame rate and size do more for the picture. */
const LADDER_LOW_QUALITY = 40;

/**
 * The ladder's qualities from `top` (the source's) down in steps of 10 to 40, or just `top` if
 * it is lower.
 *
 * @example
 * ```ts
 * import { ladderQualities } from "./picture_ladder.ts";
 *
 * console.log(ladderQualities(85), ladderQualities(30)); // [ 85, 80, 70, 60, 50, 40 ] [ 30 ]
 * ```
 */
export function ladderQualities(top: number): number[] {
  const qualities = [top];
  for (let q = Math.ceil(top / 10) * 10 - 10; q >= LADDER_LOW_QUALITY; q -= 10) qualities.push(q);
  return qualities;
}

/** What the ladder chose for the next frame. */
export interface LadderDecision {
  /** The rung. */
  rung: PictureRung;
  /** Its position, 0 = best. */
  index: number;
  /** Its predicted rate, or null before any frame was measured. */
  predictedBps: number | null;
  /** True when this call moved to another rung. */
  changed: boolean;
  /** One line, e.g. "link 3.8 Mbit/s: q 40, 20 fps". */
  reason: string;
}

interface Measured {
  quality: number;
  scale: number;
  bytes: number;
  atMs: number;
}

/** Most (quality, size) pairs remembered. */
const MAX_MEASURED = 64;
/** Bounds of a measured quality exponent. */
const MIN_QUALITY_EXPONENT = 0.2;
const MAX_QUALITY_EXPONENT = 1.5;
/** Quality-exponent samples averaged. */
const MAX_EXPONENT_SAMPLES = 8;
/** Frames at the new quality before a switch gives its sample. */
const SWITCH_FRAMES = 3;
/** A switch counts only if the frames on both sides are this close in time (same scene). */
const SWITCH_WINDOW_MS = 1000;
/** A smoothed size older than this starts again from the next frame (the scene has moved on). */
const STALE_SIZE_MS = 1000;

interface PendingSwitch {
  fromQuality: number;
  fromBytes: number;
  toQuality: number;
  scale: number;
  frames: number;
  startMs: number;
}

function problemOf(o: PictureLadderOptions): string | null {
  const descending = (values: number[]) => values.every((v, i) => i === 0 || v < values[i - 1]);
  if (!(o.sourceFps > 0)) return `the source frame rate ${o.sourceFps} is not positive`;
  if (o.qualities.length === 0 || !descending(o.qualities)) {
    return "qualities must be a non-empty list, best first";
  }
  if (o.qualities.some((q) => !(q >= 1 && q <= 100))) return "qualities must be in 1..100";
  for (const [name, list] of [["fpsShares", o.fpsShares], ["scales", o.scales]] as const) {
    if (list[0] !== 1 || !descending(list) || list.some((v) => !(v > 0))) {
      return `${name} must start at 1 and fall, all above 0`;
    }
  }
  return null;
}

function sizeLabel(scale: number): string {
  if (scale === 1) return "";
  const known: [number, string][] = [[3 / 4, "3/4"], [1 / 2, "1/2"], [1 / 4, "1/4"]];
  const label = known.find(([v]) => Math.abs(v - scale) < 1e-9)?.[1] ??
    `${Math.round(scale * 100)} %`;
  return `, ${label} size`;
}

/** Chooses quality, frame rate and size per frame; see the module docs. */
export class PictureLadder {
  readonly #options: PictureLadderOptions;
  readonly #rungs: PictureRung[];
  readonly #measured = new Map<string, Measured>();
  #anchor: Measured | null = null;
  readonly #exponentSamples: number[] = [];
  #switch: PendingSwitch | null = null;
  #index = 0;
  #headroomSinceMs: number | null = null;
  #credit = 1;
  #lastCaptureMs: number | null = null;

  /**
   * A ladder on its best rung, with nothing measured yet.
   *
   * @param options Overrides of {@linkcode DEFAULT_PICTURE_LADDER_OPTIONS}.
   * @throws {RangeError} when the steps are not lists falling from the best.
   */
  constructor(options: Partial<PictureLadderOptions> = {}) {
    const o = { ...DEFAULT_PICTURE_LADDER_OPTIONS, ...options };
    const problem = problemOf(o);
    if (problem !== null) {
      throw new RangeError(
        `Cannot build the picture ladder: ${problem}. Pass steps like the defaults.`,
      );
    }
    this.#options = o;
    const lowQ = o.qualities.at(-1)!;
    // The frame rate the sizes step down at: the lowest share not below sizeFpsShare.
    const sizeShare = o.fpsShares.filter((share) => share >= o.sizeFpsShare - 1e-9).at(-1) ?? 1;
    const smallest = o.scales.at(-1)!;
    const rung = (quality: number, share: number, scale: number) => ({
      quality,
      fps: o.sourceFps * share,
      scale,
    });
    this.#rungs = [
      ...o.qualities.map((quality) => rung(quality, 1, 1)),
      ...o.fpsShares.slice(1).filter((share) => share >= sizeShare).map((share) =>
        rung(lowQ, share, 1)
      ),
      ...o.scales.slice(1).map((scale) => rung(lowQ, sizeShare, scale)),
      ...o.fpsShares.filter((share) => share < sizeShare).map((share) =>
        rung(lowQ, share, smallest)
      ),
    ];
  }

  /** Every rung, best first. */
  get rungs(): readonly PictureRung[] {
    return this.#rungs;
  }

  /** The current rung. */
  get rung(): PictureRung {
    return this.#rungs[this.#index];
  }

  /**
   * Records a frame sent at `nowMs` at `quality` and `scale` that took `bytes` on the wire (all
   * its datagrams, parity too, so the overhead is part of the model).
   */
  observe(quality: number, scale: number, bytes: number, nowMs: number): void {
    if (!(bytes > 0) || !Number.isFinite(bytes)) return;
    const previous = this.#anchor;
    if (
      previous !== null && previous.quality !== quality && previous.scale === scale &&
      nowMs - previous.atMs <= SWITCH_WINDOW_MS
    ) {
      this.#switch = {
        fromQuality: previous.quality,
        fromBytes: previous.bytes,
        toQuality: quality,
        scale,
        frames: 0,
        startMs: nowMs,
      };
    }
    const key = `${quality}/${scale}`;
    const known = this.#measured.get(key);
    const smoothed = known === undefined || nowMs - known.atMs > STALE_SIZE_MS
      ? bytes
      : known.bytes + this.#options.smoothing * (bytes - known.bytes);
    const entry: Measured = { quality, scale, bytes: smoothed, atMs: nowMs };
    this.#measured.delete(key);
    this.#measured.set(key, entry);
    while (this.#measured.size > MAX_MEASURED) {
      this.#measured.delete(this.#measured.keys().next().value as string);
    }
    this.#anchor = entry;
    this.#measureExponent(entry);
  }

  /** Completes a pending quality switch into one sample of γ. */
  #measureExponent(entry: Measured): void {
    const pending = this.#switch;
    if (pending === null) return;
    if (entry.quality !== pending.toQuality || entry.scale !== pending.scale) {
      this.#switch = null;
      return;
    }
    if (++pending.frames < SWITCH_FRAMES) return;
    this.#switch = null;
    if (entry.atMs - pending.startMs > SWITCH_WINDOW_MS) return;
    const q = this.#options.quantizer;
    const quantizerRatio = Math.log(q(entry.quality) / q(pending.fromQuality));
    if (Math.abs(quantizerRatio) < 1e-6) return;
    const sample = -Math.log(entry.bytes / pending.fromBytes) / quantizerRatio;
    if (!Number.isFinite(sample)) return;
    this.#exponentSamples.push(
      Math.min(MAX_QUALITY_EXPONENT, Math.max(MIN_QUALITY_EXPONENT, sample)),
    );
    if (this.#exponentSamples.length > MAX_EXPONENT_SAMPLES) this.#exponentSamples.shift();
  }

  /** The quality exponent γ in use: the mean of the measured samples, or the prior. */
  get qualityExponent(): number {
    const samples = this.#exponentSamples;
    if (samples.length === 0) return this.#options.qualityExponent;
    return samples.reduce((a, b) => a + b, 0) / samples.length;
  }

  /** Predicted rate of `rung`, or null before any frame was measured. */
  predictBps(rung: PictureRung): number | null {
    const anchor = this.#anchor;
    if (anchor === null) return null;
    const o = this.#options;
    const gamma = this.qualityExponent;
    const quantizerRatio = o.quantizer(rung.quality) / o.quantizer(anchor.quality);
    const areaRatio = (rung.scale / anchor.scale) ** 2;
    const bytes = anchor.bytes * quantizerRatio ** -gamma * areaRatio ** o.areaExponent;
    return bytes * 8 * rung.fps;
  }

  /**
   * The rate the next rung up needs before a step up (its prediction with the headroom), or null
   * at the top or before any measurement. A sender whose picture sits below its target pads up
   * to this (lib/adapt/rate_budget.ts, `probePaddingBytes`), so the link is shown to carry it;
   * without padding a picture limited by its own rung would never earn the rate to climb.
   */
  upGoalBps(): number | null {
    if (this.#index === 0) return null;
    const next = this.predictBps(this.#rungs[this.#index - 1]);
    return next === null ? null : next / (1 - this.#options.upHeadroom);
  }

  /** Chooses the rung for the next frame under `budgetBps` (media, after repairs) at `nowMs`. */
  choose(budgetBps: number, nowMs: number): LadderDecision {
    const o = this.#options;
    const predictions = this.#rungs.map((rung) => this.predictBps(rung));
    const before = this.#index;
    if (predictions[0] !== null) {
      const fits = (i: number) => predictions[i]! <= budgetBps;
      let best = predictions.findIndex((_, i) => fits(i));
      if (best === -1) best = this.#rungs.length - 1;
      if (best > this.#index) {
        this.#index = best; // Quick: straight down to what fits.
        this.#headroomSinceMs = null;
      } else if (
        best < this.#index && predictions[this.#index - 1]! <= budgetBps * (1 - o.upHeadroom)
      ) {
        this.#headroomSinceMs ??= nowMs;
        const far = this.#index >= 2 &&
          predictions[this.#index - 2]! <= budgetBps * (1 - o.upHeadroom);
        if (nowMs - this.#headroomSinceMs >= (far ? o.fastUpHoldMs : o.upHoldMs)) {
          this.#index--; // Slow: one rung, and the next one waits again.
          this.#headroomSinceMs = null;
        }
      } else {
        this.#headroomSinceMs = null;
      }
    }
    const rung = this.#rungs[this.#index];
    const fps = Math.round(rung.fps * 10) / 10;
    return {
      rung,
      index: this.#index,
      predictedBps: predictions[this.#index],
      changed: this.#index !== before,
      reason: `link ${formatBps(budgetBps)}: q ${rung.quality}, ${fps} fps${sizeLabel(rung.scale)}`,
    };
  }

  /**
   * True when the source frame captured at `captureMs` is to be sent at the current rung's
   * frame rate (evenly: 20 of 30 fps sends two frames of every three).
   */
  admit(captureMs: number): boolean {
    const last = this.#lastCaptureMs;
    this.#lastCaptureMs = captureMs;
    // At the source's frame rate every frame goes, whatever the source really delivers (a file
    // at its own rate may be faster than `sourceFps` says).
    if (this.rung.fps >= this.#options.sourceFps) {
      this.#credit = 0; // As after any frame sent: a lower rung counts from here.
      return true;
    }
    if (last !== null) {
      const elapsedMs = Math.max(0, captureMs - last);
      this.#credit = Math.min(1.5, this.#credit + (elapsedMs * this.rung.fps) / 1000);
    }
    // Half a frame of tolerance: capture jitter must not drop frames at the full rate.
    if (this.#credit < 0.5) return false;
    this.#credit -= 1;
    return true;
  }
}
