/**
 * RTSP 1.0 (RFC 2326) serving, pure part: the request parser, responses, Transport negotiation,
 * Digest and Basic authentication, the DESCRIBE SDP and the server's session state machine. The
 * adapter (sockets, RTP and RTCP sending) drives {@linkcode RtspServerState} with bytes and
 * `nowMs` and carries out the actions it returns.
 *
 * @module
 */

export { RtspAuthenticator } from "./auth.ts";
export type { RtspAuthCounters, RtspAuthOptions, RtspCredentials } from "./auth.ts";
export { writeInterleavedFrame } from "./response.ts";
export { RtspServerState } from "./server_state.ts";
export type {
  CloseReason,
  RtspAction,
  RtspServerCounters,
  RtspServerOptions,
  RtspSessionInfo,
  SessionDropReason,
  SessionTransport,
} from "./server_state.ts";
