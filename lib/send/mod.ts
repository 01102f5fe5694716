/**
 * The sender's pure parts: the rate plan (who sets the pace of frames), how a frame's datagrams are
 * spread into paced bursts, when each frame is released (the clock for `--fps`, `--frames`), and
 * the answers to NACKs (opened first under `--key`), and what the sender prints (banner, notes,
 * `--stats-json`).
 *
 * @module
 */

export { FrameClock } from "./frame_clock.ts";
export { NackOpener } from "./nack_opener.ts";
export type { NackOpenCounters } from "./nack_opener.ts";
export { NackResponder } from "./nack_responder.ts";
export type { NackResponderOptions, SealedNackOpener } from "./nack_responder.ts";
export {
  DEFAULT_PACED_BURST_OPTIONS,
  DEFAULT_PACING,
  planBursts,
  planPacedBursts,
} from "./pacing.ts";
export type { BurstPlan, PacedBurstOptions, PacingOptions } from "./pacing.ts";
export { DEFAULT_TIMING_SAMPLES, PictureStage } from "./picture_stage.ts";
export type {
  OutgoingFrame,
  PictureChoice,
  PictureObserver,
  PictureStageCounters,
  PictureStageOptions,
  PictureStageStats,
  PictureStep,
  TranscodeJob,
} from "./picture_stage.ts";
export { libjpegQualityFor } from "./quality_match.ts";
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
export { ReleasePolicy } from "./release_policy.ts";
export { ReplyDispatcher, senderReplies } from "./reply_dispatch.ts";
export type {
  ReplyDispatchCounters,
  ReplyHandlers,
  SenderRepliesOptions,
} from "./reply_dispatch.ts";
export type { ArrivalStep } from "./release_policy.ts";
export { MAX_REFUSALS_LOGGED, refusalLine, streamingLine, wireNote } from "./sender_lines.ts";
export type { FrameRefusal, StreamingBanner } from "./sender_lines.ts";
export { senderStatsRecord } from "./stats_record.ts";
export type {
  ParityCounters,
  SenderFitting,
  SenderRecovery,
  SenderStatsRecord,
} from "./stats_record.ts";
