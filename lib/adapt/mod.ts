/**
 * Fitting the stream to the link, pure part: the receiver's report builder, the sender's
 * congestion controller (delay trend, overuse detector, loss), the picture ladder (quality, frame
 * rate, size), the rate budget shared with repairs, the multicast rule, and the link fitter that
 * runs them together for the sender.
 *
 * @module
 */

export { CongestionController, formatBps } from "./congestion_controller.ts";
export type {
  CongestionControllerOptions,
  ControllerState,
  RateDecision,
  ReportRefusal,
} from "./congestion_controller.ts";
export { groupTarget, MAX_GROUP_RECEIVERS } from "./group_target.ts";
export { FITTER_REFUSALS, frameLinkOf, LinkFitter } from "./link_fitter.ts";
export type {
  FitDecision,
  FitPictureChoice,
  FitterDestination,
  FitterRefusal,
  FitVerdict,
  FrameLink,
  FrameLinkSources,
  LinkFitterOptions,
  ReportSource,
} from "./link_fitter.ts";
export {
  DEFAULT_PICTURE_LADDER_OPTIONS,
  ladderQualities,
  PASSTHROUGH_TOP_QUALITY,
  PictureLadder,
  REENCODE_SCALES,
} from "./picture_ladder.ts";
export type { LadderDecision, PictureLadderOptions, PictureRung } from "./picture_ladder.ts";
export { probePaddingBytes, RateBudget } from "./rate_budget.ts";
export type { RateBudgetCounters, RateBudgetOptions } from "./rate_budget.ts";
export { ReportBuilder } from "./report_builder.ts";
export type {
  DelayTrendOptions,
  ReportBuilderCounters,
  ReportBuilderOptions,
} from "./report_builder.ts";
