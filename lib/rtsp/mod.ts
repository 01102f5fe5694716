/**
 * RTSP 1.0 (RFC 2326) serving, pure part: the request parser, responses, Transport negotiation,
 * Digest and Basic authentication, the DESCRIBE SDP, the server's session state machine, the
 * delivery policy (who gets each frame, when sender reports are due), and the lines and stats
 * the programs print. The adapter (lib/io/rtsp_server.ts: sockets, RTP and RTCP sending) drives
 * {@linkcode RtspServerState} and {@linkcode StreamDelivery} with bytes and `nowMs` and carries
 * out what they return.
 *
 * @module
 */

export { RTSP_AUTH_FAILURES, RtspAuthenticator } from "./auth.ts";
export type {
  RtspAuthCounters,
  RtspAuthFailure,
  RtspAuthOptions,
  RtspAuthResult,
  RtspCredentials,
} from "./auth.ts";
export type { PresentationMedia } from "./presentation_sdp.ts";
export { RTSP_PARSE_ERROR_REASONS } from "./request.ts";
export type { RtspParseErrorReason, RtspRequestParserOptions } from "./request.ts";
export { writeInterleavedFrame } from "./response.ts";
export { rtspStartLines, rtspStatusText, rtspUrls, unfitFrameLine } from "./serve_lines.ts";
export type { HostInterfaceAddress, HostPort, RtspFrameOrigin, RtspStart } from "./serve_lines.ts";
export { CLOSE_REASONS, RtspServerState, SESSION_DROP_REASONS } from "./server_state.ts";
export type {
  CloseReason,
  RtspAction,
  RtspServerCounters,
  RtspServerOptions,
  RtspSessionInfo,
  SessionDropReason,
  SessionTransport,
} from "./server_state.ts";
export type { ReceptionSummary } from "../wire/rtp/mod.ts";
export { TRANSPORT_REFUSALS } from "./transport.ts";
export type { TransportRefusal } from "./transport.ts";
export { rtspStatsRecord } from "./stats_record.ts";
export type {
  RtspClientRecord,
  RtspFrameCounters,
  RtspSocketCounters,
  RtspStatsInput,
  RtspStatsRecord,
} from "./stats_record.ts";
export {
  DEFAULT_MAX_BACKLOG_BYTES,
  DEFAULT_MAX_STALL_MS,
  DEFAULT_SENDER_REPORT_MS,
  StreamDelivery,
} from "./stream_delivery.ts";
export type {
  DeliveryClient,
  DeliveryTarget,
  DueReport,
  StreamDeliveryCounters,
  StreamDeliveryOptions,
} from "./stream_delivery.ts";
