/**
 * The NACK datagram of wire v1 (type 2, receiver → sender): which data fragments of a frame to
 * send again. Codec and validation; the byte diagram is on {@linkcode Nack} and in docs/protocol.md.
 *
 * @module
 */

import { MAGIC_0, MAGIC_1, MAX_FRAGMENTS, PacketType, WIRE_VERSION } from "./header.ts";

/** Bytes of a NACK before its ranges. */
export const NACK_FIXED_BYTES = 16;

/** Bytes of one range of a NACK. */
export const NACK_RANGE_BYTES = 4;

/** Most ranges one NACK may carry (its size stays under 300 bytes). */
export const MAX_NACK_RANGES = 64;

/** A run of missing fragments: `first`, `first + 1`, ..., `first + count - 1`. */
export interface FragmentRange {
  /** First missing fragment index. */
  first: number;
  /** Number of fragments, at least 1. */
  count: number;
}

/**
 * A retransmission request (type {@linkcode PacketType.Nack}), receiver → sender.
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+---------------+---------------+
 * |  magic 0x55   |  magic 0x43   |  version = 1  |   type = 2    |
 * +---------------+---------------+---------------+---------------+
 * |   flags = 0   | range count R |   fragment count N of frame   |
 * +---------------+---------------+---------------+---------------+
 * |                           stream id                           |
 * +---------------+---------------+---------------+---------------+
 * |                        frame sequence                         |
 * +---------------+---------------+---------------+---------------+
 * |      first index (range 1)    |       count (range 1)         |
 * +---------------+---------------+---------------+---------------+
 * |                  ... R ranges in all ...                      |
 * ```
 *
 * 1 ≤ R ≤ {@linkcode MAX_NACK_RANGES}; every range has count ≥ 1 and ends at or before N; ranges
 * are in increasing order and do not overlap. The datagram is exactly 16 + 4R bytes.
 */
export interface Nack {
  /** Stream the frame belongs to. */
  streamId: number;
  /** Sequence number of the frame. */
  frameSeq: number;
  /** Number of data fragments of the frame, as its fragments say. */
  fragmentCount: number;
  /** The missing data fragments. */
  ranges: FragmentRange[];
}

/** Why {@linkcode decodeNack} refused a datagram. */
export type NackDecodeFailure = "short" | "magic" | "version" | "type" | "flags" | "fields";

/** Returns why `nack` cannot be encoded, or null when it is valid. */
export function nackProblem(nack: Nack): string | null {
  const { ranges, fragmentCount } = nack;
  if (ranges.length < 1 || ranges.length > MAX_NACK_RANGES) {
    return `a NACK carries 1..${MAX_NACK_RANGES} ranges, got ${ranges.length}`;
  }
  if (!Number.isInteger(fragmentCount) || fragmentCount < 1 || fragmentCount > MAX_FRAGMENTS) {
    return `fragment count ${fragmentCount} is not in 1..${MAX_FRAGMENTS}`;
  }
  let next = 0;
  for (const { first, count } of ranges) {
    if (!Number.isInteger(first) || !Number.isInteger(count) || count < 1) {
      return `range ${first}+${count} is empty or not whole numbers`;
    }
    if (first < next || first + count > fragmentCount) {
      return `range ${first}+${count} overlaps, is out of order or ends past ${fragmentCount}`;
    }
    next = first + count;
  }
  return null;
}

/**
 * Encodes `nack` as a datagram.
 *
 * @throws {RangeError} when the ranges break the rules of {@linkcode Nack}.
 */
export function encodeNack(nack: Nack): Uint8Array {
  const problem = nackProblem(nack);
  if (problem !== null) throw new RangeError(`Cannot encode NACK: ${problem}`);
  const out = new Uint8Array(NACK_FIXED_BYTES + NACK_RANGE_BYTES * nack.ranges.length);
  const view = new DataView(out.buffer);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = WIRE_VERSION;
  out[3] = PacketType.Nack;
  out[4] = 0;
  out[5] = nack.ranges.length;
  view.setUint16(6, nack.fragmentCount);
  view.setUint32(8, nack.streamId >>> 0);
  view.setUint32(12, nack.frameSeq >>> 0);
  nack.ranges.forEach(({ first, count }, i) => {
    view.setUint16(NACK_FIXED_BYTES + i * NACK_RANGE_BYTES, first);
    view.setUint16(NACK_FIXED_BYTES + i * NACK_RANGE_BYTES + 2, count);
  });
  return out;
}

/** Decodes and validates a NACK datagram; never throws. */
export function decodeNack(
  datagram: Uint8Array,
): { ok: true; nack: Nack } | { ok: false; reason: NackDecodeFailure } {
  if (datagram.length < NACK_FIXED_BYTES) return { ok: false, reason: "short" };
  if (datagram[0] !== MAGIC_0 || datagram[1] !== MAGIC_1) return { ok: false, reason: "magic" };
  if (datagram[2] !== WIRE_VERSION) return { ok: false, reason: "version" };
  if (datagram[3] !== PacketType.Nack) return { ok: false, reason: "type" };
  if (datagram[4] !== 0) return { ok: false, reason: "flags" };
  const rangeCount = datagram[5];
  if (datagram.length !== NACK_FIXED_BYTES + NACK_RANGE_BYTES * rangeCount) {
    return { ok: false, reason: "fields" };
  }
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.length);
  const ranges: FragmentRange[] = [];
  for (let i = 0; i < rangeCount; i++) {
    const at = NACK_FIXED_BYTES + i * NACK_RANGE_BYTES;
    ranges.push({ first: view.getUint16(at), count: view.getUint16(at + 2) });
  }
  const nack: Nack = {
    fragmentCount: view.getUint16(6),
    streamId: view.getUint32(8),
    frameSeq: view.getUint32(12),
    ranges,
  };
  return nackProblem(nack) === null ? { ok: true, nack } : { ok: false, reason: "fields" };
}

/** Cuts sorted, distinct fragment indexes into ranges, at most `maxRanges` (the rest is left out). */
export function indexesToRanges(
  indexes: readonly number[],
  maxRanges = MAX_NACK_RANGES,
): FragmentRange[] {
  const ranges: FragmentRange[] = [];
  for (const index of indexes) {
    const last = ranges.at(-1);
    if (last !== undefined && last.first + last.count === index) last.count++;
    else if (ranges.length < maxRanges) ranges.push({ first: index, count: 1 });
    else break;
  }
  return ranges;
}
