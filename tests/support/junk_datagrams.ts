/**
 * Hostile datagrams for fuzz tests and the soak run, from a seeded {@linkcode Prng}: well-formed
 * v1 headers with absurd counts, lengths and indexes, mutations of real datagrams (bit flips,
 * truncation, oversize, replay, a real header over junk), and random bytes. Pure.
 *
 * @module
 */

import type { Prng } from "../../lib/netsim/mod.ts";
import {
  encodeHeader,
  fragmentPayloadBytes,
  HEADER_BYTES,
  PacketType,
} from "../../lib/wire/v1/mod.ts";
import { MAX_UDP_PAYLOAD_BYTES } from "../../lib/net/mod.ts";

/**
 * A well-formed v1 header with absurd but often self-consistent fields (the payload length then
 * matches what the header claims, so it passes the header check). `streamId` null: random.
 */
export function absurdHeaderDatagram(prng: Prng, streamId: number | null): Uint8Array {
  const fragmentCount = [0, 1, 2, 0xffff, prng.int(0, 0xffff)][prng.int(0, 4)];
  const fragmentIndex = [0, fragmentCount - 1, fragmentCount, 0xffff, prng.int(0, 0xffff)][
    prng.int(0, 4)
  ] & 0xffff;
  const frameBytes = [0, 1, 0xffff_ffff, fragmentCount * 1000, prng.int(0, 0xffff_ffff)][
    prng.int(0, 4)
  ] >>> 0;
  const fits = fragmentPayloadBytes(frameBytes, fragmentCount, fragmentIndex);
  const payload = fits > 0 && fits <= 2000 && prng.next() < 0.7 ? fits : prng.int(0, 2000);
  const out = new Uint8Array(HEADER_BYTES + payload);
  encodeHeader({
    type: [PacketType.Fragment, PacketType.Parity, prng.int(0, 255)][prng.int(0, 2)],
    flags: prng.next() < 0.8 ? 0 : prng.int(0, 255),
    typeSpecific: prng.int(0, 3),
    fragmentIndex,
    fragmentCount,
    streamId: streamId ?? prng.int(0, 0xffff_ffff),
    frameSeq: prng.int(0, 0xffff_ffff),
    frameBytes,
    captureUs: prng.int(0, 2 ** 40),
  }, out);
  out.set(prng.bytes(payload), HEADER_BYTES);
  return out;
}

/** One hostile variant of a datagram picked from `real`. */
export function mutateDatagram(prng: Prng, real: readonly Uint8Array[]): Uint8Array {
  const base = real[prng.int(0, real.length - 1)];
  switch (prng.int(0, 4)) {
    case 0: { // bit flips anywhere
      const out = base.slice();
      for (let n = prng.int(1, 8); n > 0; n--) {
        out[prng.int(0, out.length - 1)] ^= 1 << prng.int(0, 7);
      }
      return out;
    }
    case 1: // truncated
      return base.slice(0, prng.int(0, base.length));
    case 2: { // oversized: real bytes with junk after, up to the UDP limit
      const out = new Uint8Array(
        Math.min(MAX_UDP_PAYLOAD_BYTES, base.length + prng.int(1, 70_000)),
      );
      out.set(base);
      out.set(prng.bytes(Math.min(64, out.length - base.length)), base.length);
      return out;
    }
    case 3: // replayed as is
      return base;
    default: { // a real header (and salt, when sealed) over junk
      const out = prng.bytes(prng.int(HEADER_BYTES, 1300));
      out.set(base.subarray(0, Math.min(base.length, out.length, HEADER_BYTES + 24)));
      return out;
    }
  }
}

/**
 * Junk that never needs real traffic: random bytes, or an absurd header of a random stream (so it
 * never joins a real stream by more than chance, 2^-32).
 */
export function junkDatagram(prng: Prng): Uint8Array {
  return prng.next() < 0.5 ? absurdHeaderDatagram(prng, null) : prng.bytes(prng.int(0, 1500));
}
