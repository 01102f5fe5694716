/**
 * The legacy wire format of the Python/OpenCV design: a 1-byte "segments left" header, no frame id.
 * Both directions, byte for byte as the original.
 *
 * @module
 */

export { LegacyDepacketizer } from "./depacketizer.ts";
export { LEGACY_MAX_SEGMENTS, LegacyPacketizer, legacySegmentBytes } from "./packetizer.ts";
