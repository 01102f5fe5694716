/**
 * The sender's rate plan: who sets the pace of frames, decided once from `--fps`, the source and
 * `--passthrough`. Everything that depends on the rate (ffmpeg's `-re`, the pacing interval, the
 * SDP's `a=framerate`, the banner's words) reads it from the plan. Pure.
 *
 * @module
 */

/** Frames per second when `--fps` is not given. */
export const DEFAULT_FPS = 30;

/**
 * The frame rate pacing plans for when nobody knows the rate (`--fps max`): the highest camera
 * rate, so a frame's datagrams are spread over a short interval and never hold up the next one.
 */
export const MAX_RATE_PACING_FPS = 240;

/**
 * Who sets the pace of frames.
 *
 * - `capture`: ffmpeg makes frames at `fps`: a camera's `-framerate`, the test pattern's rate, or
 *   a re-encoded file resampled by ffmpeg's fps filter (read in real time with `-re`).
 * - `fileOwnRate`: a pass-through file without `--fps`: ffmpeg's `-re` follows the file's own
 *   timestamps, whatever rate they make.
 * - `released`: a pass-through file with `--fps N`: ffmpeg reads ahead and the sender's clock
 *   (lib/send/frame_clock.ts) releases one frame every `1000 / fps` ms.
 * - `max`: `--fps max` on a file: ffmpeg reads as fast as it can and each frame waits until the
 *   last one is on the wire.
 */
export type RatePlan =
  | { kind: "capture"; fps: number }
  | { kind: "fileOwnRate" }
  | { kind: "released"; fps: number }
  | { kind: "max" };

/** What the plan is made from: the source's kind, `--passthrough` and `--fps`. */
export interface RateRequest {
  /** What is captured. */
  sourceKind: "camera" | "testPattern" | "file";
  /** `--passthrough`: the source's JPEGs are forwarded as they are (ffmpeg cannot resample). */
  passthrough: boolean;
  /** `--fps N`, `--fps max`, or null when `--fps` is not given. */
  fps: number | "max" | null;
}

/**
 * The plan for `request`.
 *
 * @throws {RangeError} for `--fps max` on a camera or the test pattern: only a file can be read
 * faster than real time (the command line refuses it first, naming the flag).
 *
 * @example A pass-through file: its own rate, unless --fps says otherwise
 * ```ts
 * import { planRate, rateText, sdpFramesPerSecond } from "./rate_plan.ts";
 *
 * const own = planRate({ sourceKind: "file", passthrough: true, fps: null });
 * const released = planRate({ sourceKind: "file", passthrough: true, fps: 12 });
 * if (rateText(own) !== "the file's own frame rate") throw new Error(rateText(own));
 * if (sdpFramesPerSecond(own) !== undefined) throw new Error("an unknown rate was announced");
 * if (sdpFramesPerSecond(released) !== 12) throw new Error("the released rate was not announced");
 * ```
 */
export function planRate(request: RateRequest): RatePlan {
  const { sourceKind, passthrough, fps } = request;
  if (fps === "max") {
    if (sourceKind === "file") return { kind: "max" };
    throw new RangeError(`Cannot plan --fps max for the ${sourceKind}: only a file has no pace.`);
  }
  if (sourceKind !== "file") return { kind: "capture", fps: fps ?? DEFAULT_FPS };
  if (!passthrough) return { kind: "capture", fps: fps ?? DEFAULT_FPS };
  return fps === null ? { kind: "fileOwnRate" } : { kind: "released", fps };
}

/** What ffmpeg's command is told about timing. */
export interface FfmpegTiming {
  /**
   * Frames per second ffmpeg makes (a camera's `-framerate`, the test pattern's rate, a re-encoded
   * file's fps filter). Plans where ffmpeg does not set the pace give their pacing rate, which a
   * copied or unthrottled file's command does not use.
   */
  fps: number;
  /** Read a file in real time (`-re`); false: as fast as ffmpeg can, with no fps filter. */
  realtime: boolean;
}

/** ffmpeg's timing under `plan`: only a released or `--fps max` file is read ahead. */
export function ffmpegTiming(plan: RatePlan): FfmpegTiming {
  const realtime = plan.kind === "capture" || plan.kind === "fileOwnRate";
  return { fps: pacingFps(plan), realtime };
}

/**
 * The rate the paced sender spreads a frame's datagrams for (lib/io/paced_sender.ts). A file at its
 * own rate plans for the default rate, as its rate is not known here.
 */
export function pacingFps(plan: RatePlan): number {
  switch (plan.kind) {
    case "capture":
    case "released":
      return plan.fps;
    case "fileOwnRate":
      return DEFAULT_FPS;
    case "max":
      return MAX_RATE_PACING_FPS;
  }
}

/** The rate the sender's clock releases frames at, or null when ffmpeg's timing is followed. */
export function releaseFps(plan: RatePlan): number | null {
  return plan.kind === "released" ? plan.fps : null;
}

/**
 * The SDP's `a=framerate`, or undefined to leave it out: when the rate is not known (a file at its
 * own rate, `--fps max`). Players take the rate from the RTP timestamps without it, while a wrong
 * one is believed: GStreamer's rtpjpegdepay puts it in its caps, and a muxer records it.
 */
export function sdpFramesPerSecond(plan: RatePlan): number | undefined {
  return plan.kind === "capture" || plan.kind === "released" ? plan.fps : undefined;
}

/** The rate in the "streaming ..." banner: "30 fps", "the file's own frame rate", ... */
export function rateText(plan: RatePlan): string {
  switch (plan.kind) {
    case "capture":
    case "released":
      return `${plan.fps} fps`;
    case "fileOwnRate":
      return "the file's own frame rate";
    case "max":
      return "as fast as possible";
  }
}
