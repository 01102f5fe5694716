/**
 * Cuts one JPEG frame into wire-protocol v1 datagrams.
 *
 * @module
 */

import {
  encodeHeader,
  fragmentOffset,
  fragmentPayloadBytes,
  HEADER_BYTES,
  MAX_FRAGMENTS,
  maxPayloadBytes,
  PacketType,
} from "./header.ts";

/** What identifies a frame on the wire. */
export interface FrameMeta {
  /** The sender's random stream id. */
  streamId: number;
  /** Frame sequence number; wraps at 2^32. */
  frameSeq: number;
  /** When the frame was read from ffmpeg, in microseconds since the Unix epoch. */
  captureUs: number;
}

/**
 * Returns how many fragments a frame of `frameBytes` takes at `maxDatagramBytes`, or 0 when it
 * cannot be sent at all (empty, or more than {@linkcode MAX_FRAGMENTS} fragments).
 */
export function fragmentCountFor(frameBytes: number, maxDatagramBytes: number): number {
  if (frameBytes < 1) return 0;
  const count = Math.ceil(frameBytes / maxPayloadBytes(maxDatagramBytes));
  return count > MAX_FRAGMENTS ? 0 : count;
}

/**
 * Fragments `frame` into datagrams of at most `maxDatagramBytes`.
 *
 * Fragments carry equal shares of the frame (see `fragmentPayloadBytes`), so every datagram of a
 * frame has the same size but the last. All datagrams are views into one buffer allocated here:
 * one allocation per frame instead of one per datagram.
 *
 * @throws {RangeError} when the frame is empty or needs more than 65535 fragments.
 */
export function fragmentFrame(
  frame: Uint8Array,
  meta: FrameMeta,
  maxDatagramBytes: number,
): Uint8Array[] {
  const count = fragmentCountFor(frame.length, maxDatagramBytes);
  if (count === 0) {
    throw new RangeError(
      `Cannot fragment a frame of ${frame.length} bytes into at most ${MAX_FRAGMENTS} datagrams ` +
        `of ${maxDatagramBytes} bytes`,
    );
  }
  const buffer = new Uint8Array(frame.length + count * HEADER_BYTES);
  const datagrams: Uint8Array[] = new Array(count);
  let at = 0;
  for (let index = 0; index < count; index++) {
    const payloadBytes = fragmentPayloadBytes(frame.length, count, index);
    const start = fragmentOffset(frame.length, count, index);
    encodeHeader(
      {
        type: PacketType.Fragment,
        flags: 0,
        typeSpecific: 0,
        fragmentIndex: index,
        fragmentCount: count,
        streamId: meta.streamId,
        frameSeq: meta.frameSeq,
        frameBytes: frame.length,
        captureUs: meta.captureUs,
      },
      buffer,
      at,
    );
    buffer.set(frame.subarray(start, start + payloadBytes), at + HEADER_BYTES);
    datagrams[index] = buffer.subarray(at, at + HEADER_BYTES + payloadBytes);
    at += HEADER_BYTES + payloadBytes;
  }
  return datagrams;
}

/** The v1 wire mode's sender side: numbers frames and fragments them. */
export class V1Packetizer {
  readonly #streamId: number;
  readonly #maxDatagramBytes: number;
  #nextSeq = 0;

  /**
   * Makes a packetizer whose first frame is number 0.
   *
   * @param streamId Random id of this sender run.
   * @param maxDatagramBytes Largest datagram to produce, header included.
   */
  constructor(streamId: number, maxDatagramBytes: number) {
    this.#streamId = streamId >>> 0;
    this.#maxDatagramBytes = maxDatagramBytes;
  }

  /** Datagrams carrying `frame`; the frame takes the next sequence number (wrapping at 2^32). */
  packetize(frame: Uint8Array, captureUs: number): Uint8Array[] {
    const datagrams = fragmentFrame(
      frame,
      { streamId: this.#streamId, frameSeq: this.#nextSeq, captureUs },
      this.#maxDatagramBytes,
    );
    this.#nextSeq = (this.#nextSeq + 1) >>> 0;
    return datagrams;
  }
}
