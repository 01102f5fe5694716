/**
 * The receiver's pure parts: the datagram path from socket to depacketizer (source filter, seal
 * check, opening in order), the frame sink from whole frame to the outputs (JPEG check,
 * counters, latency, record, serve, show), and the lines printed at the start.
 *
 * @module
 */

export { FrameSink } from "./frame_sink.ts";
export type {
  CompleteFrame,
  FrameDisplay,
  FramePublisher,
  FrameRecorder,
  FrameSinkCounters,
  FrameSinkOptions,
} from "./frame_sink.ts";
export { LinkReporter } from "./link_reporter.ts";
export type { LinkReporterCounters } from "./link_reporter.ts";
export { MAX_PENDING_OPENS, ReceivePath } from "./receive_path.ts";
export { DEFAULT_REPLY_TARGET_OPTIONS, ReplyTarget } from "./reply_target.ts";
export type { ReplyAddress, ReplyTargetCounters, ReplyTargetOptions } from "./reply_target.ts";
export { receiverStartLines } from "./start_lines.ts";
export type { ReceiverStart } from "./start_lines.ts";
