/**
 * Cuts frames into datagrams of the legacy wire format (the Python/OpenCV design's 1-byte
 * "segments left" header), byte for byte as the original sender does. The format is described in
 * lib/wire/legacy/depacketizer.ts and docs/protocol.md.
 *
 * @module
 */

import type { FramePacketizer } from "../frames/mod.ts";

/** Payload bytes the original sender puts in every full segment: 2^16 - 64. */
export const LEGACY_MAX_SEGMENT_BYTES = 65472;

/** Most segments a frame can have: the count is one byte. */
export const LEGACY_MAX_SEGMENTS = 255;

/** Payload bytes per segment at `maxDatagramBytes`: the original's 65472 or less. */
export function legacySegmentBytes(maxDatagramBytes: number): number {
  return Math.min(LEGACY_MAX_SEGMENT_BYTES, Math.floor(maxDatagramBytes) - 1);
}

/** Cuts frames into legacy datagrams, byte for byte as the original sender does. */
export class LegacyPacketizer implements FramePacketizer {
  /** Payload bytes per full segment. */
  readonly segmentBytes: number;

  /**
   * Makes a packetizer cutting segments as full as `maxDatagramBytes` allows.
   *
   * @param maxDatagramBytes Largest datagram to produce, count byte included.
   * @throws {RangeError} when it leaves no room for payload.
   */
  constructor(maxDatagramBytes: number) {
    this.segmentBytes = legacySegmentBytes(maxDatagramBytes);
    if (!(this.segmentBytes >= 1)) {
      throw new RangeError(
        `Cannot make legacy datagrams of ${maxDatagramBytes} bytes: they need at least 2. ` +
          "Raise the datagram size.",
      );
    }
  }

  /**
   * Returns the datagrams of `frame`; an empty frame gives none, as in the original.
   * `captureUs` is not sent: the format has no field for it.
   *
   * @throws {RangeError} when the frame needs more than 255 segments.
   */
  packetize(frame: Uint8Array, _captureUs: number): Uint8Array[] {
    const count = Math.ceil(frame.length / this.segmentBytes);
    if (count > LEGACY_MAX_SEGMENTS) {
      throw new RangeError(
        `Cannot send a ${frame.length}-byte frame in legacy mode: it needs ${count} segments of ` +
          `${this.segmentBytes} bytes and the format allows ${LEGACY_MAX_SEGMENTS}. ` +
          "Lower the resolution or quality, or raise the datagram size.",
      );
    }
    const datagrams: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const payload = frame.subarray(i * this.segmentBytes, (i + 1) * this.segmentBytes);
      const datagram = new Uint8Array(1 + payload.length);
      datagram[0] = count - i;
      datagram.set(payload, 1);
      datagrams.push(datagram);
    }
    return datagrams;
  }
}
