/**
 * RTP/JPEG (RFC 3550, RFC 2435): the RTP header, the JPEG payload headers, the packetizer, the
 * depacketizer that rebuilds whole JPEG files, and the SDP players open.
 *
 * @module
 */

export { RtpJpegDepacketizer } from "./depacketizer.ts";
export { RTP_HEADER_BYTES } from "./header.ts";
export { MAX_DIMENSION_PX, RTP_JPEG_PAYLOAD_TYPE, RTP_VIDEO_CLOCK_HZ } from "./jpeg_payload.ts";
export { RtpJpegPacketizer, RtpJpegUnsupportedError } from "./packetizer.ts";
export type { RtpJpegUnsupportedReason } from "./packetizer.ts";
export {
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcp,
  ReceptionTracker,
  writeSenderReport,
} from "./rtcp.ts";
export type { ReceptionSummary } from "./rtcp.ts";
export { writeSdp } from "./sdp.ts";
