/**
 * RTP/JPEG (RFC 3550, RFC 2435): the RTP header, the JPEG payload headers, the packetizer, the
 * depacketizer that rebuilds whole JPEG files, and the SDP players open.
 *
 * @module
 */

export { RtpJpegDepacketizer } from "./depacketizer.ts";
export { MAX_DIMENSION_PX } from "./jpeg_payload.ts";
export { RtpJpegPacketizer } from "./packetizer.ts";
export { writeSdp } from "./sdp.ts";
