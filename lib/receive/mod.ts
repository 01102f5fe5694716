/**
 * The receiver's pure parts: the datagram path from socket to depacketizer (source filter, seal
 * check, opening in order), and the frame sink from whole frame to the outputs (JPEG check,
 * counters, latency, record, serve, show).
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
export { MAX_PENDING_OPENS, ReceivePath } from "./receive_path.ts";
