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
 * A parity datagram (type 1, forward error correction) has the same header, with these fields
 * read differently, followed by 4 parity fields and then the parity shard:
 *
 * ```text
 * type-specific   FEC scheme: 1 = XOR, 2 = Reed-Solomon GF(256) Cauchy; others are ignored
 * fragment index  group index g, 0 <= g < ceil(fragment count / K)
 * fragment count  number of DATA fragments of the frame (as in its fragments)
 * stream id, frame sequence, frame bytes, capture time: as in the frame's fragments
 * +---------------+---------------+---------------+---------------+
 * |  K: data per  |  M: parity    |  parity index |    layout     |
 * |  group 1..255 |  per group    |   p, 0..M-1   | 0=blocks 1=int|
 * +---------------+---------------+---------------+---------------+
 * |  parity shard: exactly ceil(frame bytes / fragment count) bytes ...
 * +---------------+---------------+
 * ```
 *
 * XOR requires M = 1; Reed-Solomon requires K + M <= 256. With layout 0 group g holds fragments
 * gK .. gK+K-1; with layout 1 (interleaved) it holds g, g+G, g+2G, ... where G is the group count.
 * See docs/protocol.md, "Forward error correction".
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

/** Most fragments one frame may have (the field is 16 bits). */
export const MAX_FRAGMENTS = 0xffff;

/** Datagram types (header byte 3). Receivers ignore types they do not know. */
export const PacketType = {
  /** A piece of a JPEG frame. */
  Fragment: 0,
  /** A forward-error-correction parity shard for one group of a frame's fragments. */
  Parity: 1,
  /** Receiver → sender: a request to resend fragments of one frame (docs/protocol.md, NACK). */
  Nack: 2,
  /** Receiver → sender: what arrived and what was lost (lib/wire/v1/report.ts). */
  Report: 3,
} as const;

/** FEC schemes of parity datagrams (type-specific byte). Receivers ignore schemes they do not know. */
export const FecSchemeId = {
  /** One parity per group: the XOR of the group's zero-padded fragments. */
  Xor: 1,
  /** Systematic Reed-Solomon over GF(256) with a Cauchy matrix; M parities per group. */
  ReedSolomon: 2,
} as const;

/** Parity fields between the header and the parity shard of a parity datagram. */
export const PARITY_FIELDS_BYTES = 4;

/** The parity fields of a parity datagram, plus its scheme from the type-specific byte. */
export interface ParityFields {
  /** FEC scheme, one of {@linkcode FecSchemeId} (or an unknown value to ignore). */
  scheme: number;
  /** K: data fragments per group, 1..255. */
  groupData: number;
  /** M: parity datagrams per group, 1..255. */
  groupParity: number;
  /** Which of the group's M parities this is, 0..M-1. */
  parityIndex: number;
  /** Group layout: true = interleaved (fragment i in group i mod G), false = blocks of K. */
  interleaved: boolean;
}

/** Flag bits (header byte 4). Bits a receiver does not know make it drop the datagram. */
export const Flags = {
  /** No flags. */
  None: 0,
  /**
   * A fragment sent again in answer to a NACK. Only sent to receivers that asked, which know it;
   * it changes nothing else, so the bytes after the header are those of the first copy.
   */
  Retransmission: 0x01,
  /**
   * A datagram sealed with AES-256-GCM (lib/crypto/datagram_seal.ts, docs/protocol.md "Trust and hostile input").
   * Receivers open it before anything else; {@linkcode decodeHeader} refuses it (reason `flags`),
   * so sealed bytes never reach the reassembler.
   */
  Encrypted: 0x02,
} as const;

/**
 * Bit mask of the flags {@linkcode decodeHeader} accepts. Encrypted is not among them: it is
 * handled (and cleared) by the opener before decoding.
 */
export const KNOWN_FLAGS: number = Flags.Retransmission;

/** The decoded fields of a v1 header. */
export interface WireHeader {
  /** Datagram type, one of {@linkcode PacketType}. */
  type: number;
  /** Flag bits, see {@linkcode Flags}. */
  flags: number;
  /** Meaning depends on `type`: 0 for fragments, the FEC scheme for parity. */
  typeSpecific: number;
  /** Index of this fragment within its frame, 0-based; the FEC group index for parity. */
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
  } else if (header.type === PacketType.Parity && !parityIsValid(datagram, header)) {
    return { ok: false, reason: "fields" };
  }
  return { ok: true, header };
}

/** Bytes of the parity shard of every parity datagram of a frame: its largest fragment payload. */
export function parityShardBytes(frameBytes: number, count: number): number {
  return Math.ceil(frameBytes / count);
}

function parityIsValid(datagram: Uint8Array, header: WireHeader): boolean {
  const { frameBytes, fragmentCount } = header;
  if (fragmentPayloadBytes(frameBytes, fragmentCount, fragmentCount - 1) === 0) return false;
  const expected = HEADER_BYTES + PARITY_FIELDS_BYTES + parityShardBytes(frameBytes, fragmentCount);
  if (datagram.length !== expected) return false;
  const fields = readParityFields(datagram);
  const { groupData: k, groupParity: m } = fields;
  const layout = datagram[HEADER_BYTES + 3];
  if (k < 1 || m < 1 || fields.parityIndex >= m || layout > 1) return false;
  if (header.fragmentIndex >= Math.ceil(fragmentCount / k)) return false;
  if (fields.scheme === FecSchemeId.Xor) return m === 1;
  if (fields.scheme === FecSchemeId.ReedSolomon) return k + m <= 256;
  return true; // An unknown scheme: well-formed, the receiver ignores it.
}

/**
 * Reads the parity fields of a parity datagram that {@linkcode decodeHeader} accepted.
 */
export function readParityFields(datagram: Uint8Array): ParityFields {
  return {
    scheme: datagram[5],
    groupData: datagram[HEADER_BYTES],
    groupParity: datagram[HEADER_BYTES + 1],
    parityIndex: datagram[HEADER_BYTES + 2],
    interleaved: datagram[HEADER_BYTES + 3] === 1,
  };
}

/**
 * Writes the parity fields (not the scheme, which goes in the header's type-specific byte) into
 * `target` at `offset`, which must have {@linkcode PARITY_FIELDS_BYTES} bytes there.
 */
export function encodeParityFields(
  fields: Omit<ParityFields, "scheme">,
  target: Uint8Array,
  offset: number,
): void {
  target[offset] = fields.groupData;
  target[offset + 1] = fields.groupParity;
  target[offset + 2] = fields.parityIndex;
  target[offset + 3] = fields.interleaved ? 1 : 0;
}

/** Largest frame payload one datagram of `maxDatagramBytes` can carry. */
export function maxPayloadBytes(maxDatagramBytes: number): number {
  return maxDatagramBytes - HEADER_BYTES;
}
