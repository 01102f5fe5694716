/**
 * The session description an RTSP server returns to DESCRIBE (RFC 2326 Appendix C): one
 * RTP/JPEG video stream, with the control URLs clients resolve against Content-Base.
 *
 * ```text
 * v=0
 * o=- <session id> <version> IN IP4 <server address>
 * s=udpcam
 * c=IN IP4 0.0.0.0              (unicast over RTSP: the address comes from SETUP)
 * t=0 0
 * a=control:*                   (aggregate control: the Content-Base URL itself)
 * a=range:npt=0-                (live: open-ended)
 * m=video 0 RTP/AVP 26          (port 0: chosen in SETUP)
 * a=rtpmap:26 JPEG/90000
 * a=framerate:<fps>             (when known)
 * a=x-dimensions:<w>,<h>        (when known; RFC 2435 carries them in every packet anyway)
 * a=control:stream=0            (the track URL: Content-Base + "stream=0")
 * ```
 *
 * This differs from lib/sdp.ts, which describes a stream already being sent to a fixed address
 * for players given an .sdp file.
 *
 * @module
 */

import { RTP_JPEG_PAYLOAD_TYPE, RTP_VIDEO_CLOCK_HZ } from "../wire/rtp/mod.ts";

/** The media-level control attribute: the track URL relative to Content-Base. */
export const TRACK_CONTROL = "stream=0";

/** What DESCRIBE says about the stream. */
export interface PresentationMedia {
  /** Frames per second, as `a=framerate`, when known. */
  framesPerSecond?: number;
  /** Frame width in pixels, for `a=x-dimensions`, when known. */
  widthPx?: number;
  /** Frame height in pixels, for `a=x-dimensions`, when known. */
  heightPx?: number;
}

/** Everything {@linkcode writePresentationSdp} needs. */
export interface PresentationSdpOptions extends PresentationMedia {
  /** Address of the server as the client reached it (IPv4 or IPv6 literal), for the `o=` line. */
  originHost: string;
  /** The `o=` session id: stays the same for the life of the server. */
  sessionId: number;
  /** The `o=` version: changes when the description changes (e.g. new dimensions). */
  sessionVersion: number;
  /** The `s=` line; default "udpcam". */
  sessionName?: string;
}

/**
 * The SDP text for DESCRIBE, with CRLF line ends. Values that cannot be written (a frame rate or
 * dimension that is not a positive finite number) are left out rather than thrown on, since the
 * stream plays without them.
 *
 * @example
 * ```ts
 * import { writePresentationSdp } from "./presentation_sdp.ts";
 *
 * const sdp = writePresentationSdp({
 *   originHost: "192.0.2.10",
 *   sessionId: 1,
 *   sessionVersion: 1,
 *   framesPerSecond: 30,
 *   widthPx: 1280,
 *   heightPx: 720,
 * });
 * console.log(sdp.includes("a=x-dimensions:1280,720\r\n")); // true
 * ```
 */
export function writePresentationSdp(options: PresentationSdpOptions): string {
  const host = options.originHost.replace(/^\[|\]$/g, "");
  const family = host.includes(":") ? "IP6" : "IP4";
  const any = family === "IP6" ? "::" : "0.0.0.0";
  const positive = (value: number | undefined): value is number =>
    value !== undefined && Number.isFinite(value) && value > 0;
  // Names and hosts never carry line breaks into the description.
  const clean = (text: string) => text.replace(/[\r\n]/g, " ");
  const lines = [
    "v=0",
    `o=- ${Math.floor(options.sessionId)} ${Math.floor(options.sessionVersion)} IN ${family} ${
      clean(host)
    }`,
    `s=${clean(options.sessionName ?? "udpcam")}`,
    `c=IN ${family} ${any}`,
    "t=0 0",
    "a=control:*",
    "a=range:npt=0-",
    `m=video 0 RTP/AVP ${RTP_JPEG_PAYLOAD_TYPE}`,
    `a=rtpmap:${RTP_JPEG_PAYLOAD_TYPE} JPEG/${RTP_VIDEO_CLOCK_HZ}`,
  ];
  if (positive(options.framesPerSecond)) {
    lines.push(`a=framerate:${Math.round(options.framesPerSecond * 1000) / 1000}`);
  }
  if (positive(options.widthPx) && positive(options.heightPx)) {
    lines.push(`a=x-dimensions:${Math.round(options.widthPx)},${Math.round(options.heightPx)}`);
  }
  lines.push(`a=control:${TRACK_CONTROL}`);
  return lines.join("\r\n") + "\r\n";
}
