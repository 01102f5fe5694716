/**
 * Wire protocol v1: the 30-byte header that starts every udpcam datagram.
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+---------------+---------------+
 * |  magic 0x55   |  magic 0x43   |  version = 1  |     type      |
 * +---------------+---------------+---------------+---------------+
 * |     flags     |  type-specific|        fragment index         |
 * +---------------+---------------+---------------+---------------+
 * |        fragment count         |          stream id ...        |
 * +---------------+---------------+---------------+---------------+
 * |     ... stream id             |       frame sequence ...      |
 * +---------------+---------------+---------------+---------------+
 * |     ... frame sequence        |        frame bytes ...        |
 * +---------------+---------------+---------------+---------------+
 * |     ... frame bytes           |  capture time (µs, u64) ...   |
 * +---------------+---------------+---------------+---------------+
 * |                   ... capture time (µs) ...                   |
 * +---------------+---------------+---------------+---------------+
 * |   ... capture time (µs)       |   payload ...
 * +---------------+---------------+
 * ```
 *
 * All integers are big-endian. See docs/protocol.md for the meaning of every field.
 *
 * @module
 */

/** First magic byte, ASCII "U". Never a valid RTP first byte (RTP v2 is 0x80..0xBF). */
export const MAGIC_0 = 0x55;
/** Second magic byte, ASCII "C". */
export const MAGIC_1 = 0x43;
/** The protocol version this module speaks. */
export const WIRE_VERSION = 1;
/** Bytes taken by the header in every datagram. */
export const HEADER_BYTES = 30;
/** Largest UDP payload over IPv4. */
export const MAX_UDP_PAYLOAD_BYTES = 65507;
/** Smallest datagram size we allow: the IPv4 minimum reassembly size. */
export const MIN_DATAGRAM_BYTES = 576;
/** Default datagram size: fits the 1280-byte IPv6 minimum MTU with room for tunnels. */
export const DEFAULT_DATAGRAM_BYTES = 1200;
/** Most fragments one frame may have (the field is 16 bits). */
export const MAX_FRAGMENTS = 0xffff;

/** Datagram types (header byte 3). Receivers ignore types they do not know. */
export const PacketType = {
  /** A piece of a JPEG frame. */
  Fragment: 0,
} as const;

/** Flag bits (header byte 4). Bits a receiver does not know make it drop the datagram. */
export const Flags = {
  /** No flags. */
  None: 0,
} as const;

/** Bit mask of the flags this version understands. */
export const KNOWN_FLAGS = 0;

/** The decoded fields of a v1 header. */
export interface WireHeader {
  /** Datagram type, one of {@linkcode PacketType}. */
  type: number;
  /** Flag bits, see {@linkcode Flags}. */
  flags: number;
  /** Meaning depends on `type`; 0 for fragments. */
  typeSpecific: number;
  /** Index of this fragment within its frame, 0-based. */
  fragmentIndex: number;
  /** Number of fragments in the frame, at least 1. */
  fragmentCount: number;
  /** Random 32-bit id chosen at each sender start. */
  streamId: number;
  /** Frame sequence number, wrapping at 2^32. */
  frameSeq: number;
  /** Length of the whole JPEG frame in bytes. */
  frameBytes: number;
  /** When the sender read the frame from ffmpeg, in microseconds since the Unix epoch. */
  captureUs: number;
}

/** Why a datagram could not be decoded; each is a drop counter in the receiver's stats. */
export type DecodeFailure =
  | "short"
  | "magic"
  | "version"
  | "flags"
  | "fields";

/** Result of {@linkcode decodeHeader}. */
export type DecodeResult =
  | { ok: true; header: WireHeader }
  | { ok: false; reason: DecodeFailure };

const TWO_POW_32 = 0x1_0000_0000;

/** Writes `header` into `target` at `offset`; `target` needs {@linkcode HEADER_BYTES} bytes there. */
export function encodeHeader(header: WireHeader, target: Uint8Array, offset = 0): void {
  const view = new DataView(target.buffer, target.byteOffset + offset, HEADER_BYTES);
  view.setUint8(0, MAGIC_0);
  view.setUint8(1, MAGIC_1);
  view.setUint8(2, WIRE_VERSION);
  view.setUint8(3, header.type);
  view.setUint8(4, header.flags);
  view.setUint8(5, header.typeSpecific);
  view.setUint16(6, header.fragmentIndex);
  view.setUint16(8, header.fragmentCount);
  view.setUint32(10, header.streamId >>> 0);
  view.setUint32(14, header.frameSeq >>> 0);
  view.setUint32(18, header.frameBytes >>> 0);
  // Two 32-bit halves instead of a BigInt: microseconds since 1970 stay below 2^53.
  view.setUint32(22, Math.floor(header.captureUs / TWO_POW_32));
  view.setUint32(26, header.captureUs % TWO_POW_32);
}

/**
 * Returns how many payload bytes fragment `index` of a frame carries.
 *
 * A frame of `frameBytes` in `count` fragments is cut into equal chunks of
 * `ceil(frameBytes / count)` bytes; the last fragment carries the remainder. Returns 0 when the
 * combination is impossible (index out of range, or the last fragment would be empty).
 */
export function fragmentPayloadBytes(frameBytes: number, count: number, index: number): number {
  if (count < 1 || index >= count || frameBytes < count) return 0;
  const chunk = Math.ceil(frameBytes / count);
  const start = index * chunk;
  const end = Math.min(start + chunk, frameBytes);
  return end > start ? end - start : 0;
}

/** Byte offset within the frame where fragment `index` starts. */
export function fragmentOffset(frameBytes: number, count: number, index: number): number {
  return index * Math.ceil(frameBytes / count);
}

/**
 * Decodes and validates the header of `datagram`.
 *
 * For fragments it also checks that the payload length is exactly what the frame length, fragment
 * count and index imply, so a reassembler can copy the payload without further checks.
 */
export function decodeHeader(datagram: Uint8Array): DecodeResult {
  if (datagram.length < HEADER_BYTES) return { ok: false, reason: "short" };
  if (datagram[0] !== MAGIC_0 || datagram[1] !== MAGIC_1) return { ok: false, reason: "magic" };
  if (datagram[2] !== WIRE_VERSION) return { ok: false, reason: "version" };
  const view = new DataView(datagram.buffer, datagram.byteOffset, HEADER_BYTES);
  const header: WireHeader = {
    type: datagram[3],
    flags: datagram[4],
    typeSpecific: datagram[5],
    fragmentIndex: view.getUint16(6),
    fragmentCount: view.getUint16(8),
    streamId: view.getUint32(10),
    frameSeq: view.getUint32(14),
    frameBytes: view.getUint32(18),
    captureUs: view.getUint32(22) * TWO_POW_32 + view.getUint32(26),
  };
  if ((header.flags & ~KNOWN_FLAGS) !== 0) return { ok: false, reason: "flags" };
  if (header.type === PacketType.Fragment) {
    const expected = fragmentPayloadBytes(
      header.frameBytes,
      header.fragmentCount,
      header.fragmentIndex,
    );
    if (expected === 0 || datagram.length - HEADER_BYTES !== expected) {
      return { ok: false, reason: "fields" };
    }
  }
  return { ok: true, header };
}

/** Largest frame payload one datagram of `maxDatagramBytes` can carry. */
export function maxPayloadBytes(maxDatagramBytes: number): number {
  return maxDatagramBytes - HEADER_BYTES;
}
