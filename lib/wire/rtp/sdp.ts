/**
 * Session descriptions (SDP, RFC 8866) for the RTP/JPEG mode, so ffplay, ffmpeg, VLC and
 * GStreamer can receive a udpcam stream without udpcam.
 *
 * @module
 */

import { RTP_JPEG_PAYLOAD_TYPE, RTP_VIDEO_CLOCK_HZ } from "./jpeg_payload.ts";

/** What a receiver needs to know about the stream. */
export interface SdpOptions {
  /** Address the receiver listens on (where the sender sends): IPv4 or IPv6 literal. */
  host: string;
  /** UDP port of the RTP stream; RTCP would use port + 1. */
  port: number;
  /** RTP payload type; default 26, the static JPEG type. */
  payloadType?: number;
  /** The `s=` line; default "udpcam". */
  sessionName?: string;
  /** The `o=` session id; default 0. Change it to make players notice a new session. */
  sessionId?: number;
  /** Frames per second, written as `a=framerate` when given. */
  framesPerSecond?: number;
}

/**
 * Returns an SDP text describing one RTP/JPEG video stream sent to `host:port`, with CRLF line
 * ends as RFC 8866 requires.
 *
 * @throws {RangeError} for a port outside 1..65535 or a payload type outside 0..127.
 */
export function writeSdp(options: SdpOptions): string {
  const payloadType = options.payloadType ?? RTP_JPEG_PAYLOAD_TYPE;
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    throw new RangeError(`Cannot write SDP for port ${options.port}: use 1..65535.`);
  }
  if (!Number.isInteger(payloadType) || payloadType < 0 || payloadType > 127) {
    throw new RangeError(`Cannot write SDP for payload type ${payloadType}: use 0..127.`);
  }
  const host = options.host.replace(/^\[|\]$/g, "");
  const family = host.includes(":") ? "IP6" : "IP4";
  const lines = [
    "v=0",
    `o=- ${options.sessionId ?? 0} 0 IN ${family} ${host}`,
    `s=${(options.sessionName ?? "udpcam").replace(/[\r\n]/g, " ")}`,
    `c=IN ${family} ${host}`,
    "t=0 0",
    `m=video ${options.port} RTP/AVP ${payloadType}`,
    `a=rtpmap:${payloadType} JPEG/${RTP_VIDEO_CLOCK_HZ}`,
  ];
  if (options.framesPerSecond !== undefined) lines.push(`a=framerate:${options.framesPerSecond}`);
  lines.push("a=recvonly");
  return lines.join("\r\n") + "\r\n";
}
