/**
 * The sender's pure parts: the rate plan (who sets the pace of frames), how a frame's datagrams are
 * spread into paced bursts, and the clock that releases frames at `--fps`.
 *
 * @module
 */

export { FrameClock } from "./frame_clock.ts";
export { DEFAULT_PACING, planBursts } from "./pacing.ts";
export type { PacingOptions } from "./pacing.ts";
export {
  DEFAULT_FPS,
  ffmpegTiming,
  MAX_RATE_PACING_FPS,
  pacingFps,
  planRate,
  rateText,
  releaseFps,
  sdpFramesPerSecond,
} from "./rate_plan.ts";
export type { FfmpegTiming, RatePlan, RateRequest } from "./rate_plan.ts";
