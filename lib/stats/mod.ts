/**
 * Counters, rates and latency windows, and the sender's and receiver's per-second reports built
 * from them (`--stats-json`, the status line, the window title's figures).
 *
 * @module
 */

export { zeroCounts } from "./counters.ts";
export { formatReceiverLink, formatSenderLink, RECEIVER_SILENCE_S } from "./link_report.ts";
export type {
  LinkPictureStats,
  LinkReceiverStats,
  ReceiverLinkStats,
  SenderLinkStats,
} from "./link_report.ts";
export { LatencyWindow, percentile, round2, RUN_LATENCY_WARMUP_FRAMES } from "./latency_window.ts";
export type { LatencySummary } from "./latency_window.ts";
export { receiverStatsLine, receiverStatusText, receiverTitleStats } from "./receiver_lines.ts";
export type {
  DisplayLineInput,
  DisplayReport,
  MemoryReport,
  ReceiverLineInput,
  ReceiverStatsLine,
  RunLineInput,
  WindowTitleStats,
} from "./receiver_lines.ts";
export {
  AUTH_FAILED_PROBLEM,
  formatReceiverStatus,
  NOT_FRESH_PROBLEM,
  ReceiverReporter,
} from "./receiver_report.ts";
export type { ReceiverReport, RecoveryReport, ReplyCounters } from "./receiver_report.ts";
export { formatSenderStatus, SenderReporter } from "./sender_report.ts";
export type { SenderCounters, SenderReport } from "./sender_report.ts";
