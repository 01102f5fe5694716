/**
 * Fitting the stream to the link, pure part: the receiver's report builder, the sender's
 * congestion controller (delay trend, overuse detector, loss), the picture ladder (quality, frame
 * rate, size), the rate budget shared with repairs, and the multicast rule.
 *
 * @module
 */

export { CongestionController } from "./congestion_controller.ts";
export type { CongestionControllerOptions, ControllerState } from "./congestion_controller.ts";
export {
  DEFAULT_PICTURE_LADDER_OPTIONS,
  PictureLadder,
  REENCODE_SCALES,
} from "./picture_ladder.ts";
export type { LadderDecision, PictureLadderOptions, PictureRung } from "./picture_ladder.ts";
export { ReportBuilder } from "./report_builder.ts";
export type { ReportBuilderOptions } from "./report_builder.ts";
