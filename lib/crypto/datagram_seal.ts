/**
 * Authenticated encryption of whole udpcam datagrams with AES-256-GCM (WebCrypto): the layout,
 * and the sealer of one sender (or receiver NACK) session. The opener is
 * lib/crypto/datagram_opener.ts.
 *
 * A sealed datagram is the v1 header with the Encrypted flag set, then the session id (also
 * called the salt: it salts the session key), a datagram counter, the encrypted payload and the
 * GCM tag:
 *
 * ```text
 * | header (30, flag 0x02 set) | salt (16) | counter (8) | ciphertext (n) | tag (16) |
 * ```
 *
 * A sealed NACK or receiver report keeps its 16 fixed bytes in clear instead of 30 (see
 * {@linkcode clearHeaderBytes}).
 *
 * - The session key is derived from the run's root key and the session id (lib/crypto/seal_key.ts).
 *   Each session has a new id (its start time and 72 random bits: lib/crypto/session_id.ts), so a
 *   restarted sender never reuses a key, whatever its counter does.
 * - The nonce is 4 zero bytes followed by the 64-bit counter, which goes up by one per sealed
 *   datagram (retransmissions included), so no nonce repeats under one key.
 * - The clear header, session id and counter are authenticated as associated data: nothing in a
 *   sealed datagram can change unnoticed, the header's capture time (bytes 22-29) included, which
 *   is what makes freshness checkable (lib/crypto/datagram_opener.ts).
 * - The counter also feeds the opener's replay window.
 *
 * @module
 */

import type { RootKey } from "./seal_key.ts";
import { newSessionId, SESSION_ID_BYTES } from "./session_id.ts";
import {
  Flags,
  HEADER_BYTES,
  LINK_REPORT_CLEAR_BYTES,
  NACK_FIXED_BYTES,
  PacketType,
} from "../wire/v1/mod.ts";

/** Header flag bit (byte 4) marking a sealed datagram. */
export const ENCRYPTED_FLAG: number = Flags.Encrypted;
/** Bytes of the session id (the "salt": lib/crypto/session_id.ts) in every sealed datagram. */
export const SALT_BYTES: number = SESSION_ID_BYTES;
/** Bytes of the datagram counter. */
export const COUNTER_BYTES = 8;
/** Bytes of the AES-GCM authentication tag. */
export const TAG_BYTES = 16;
/** How much longer a sealed datagram is than the plain one. */
export const SEAL_OVERHEAD_BYTES: number = SALT_BYTES + COUNTER_BYTES + TAG_BYTES;

/** Header byte holding the flags, in every v1 datagram type. */
export const FLAGS_OFFSET = 4;
const TYPE_OFFSET = 3;
const TWO_POW_32 = 0x1_0000_0000;

/**
 * Bytes left in clear (and authenticated) at the start of a datagram: the 16 fixed bytes of a
 * NACK or a receiver report, the 30-byte header of everything else. All keep the type at byte 3
 * and flags at byte 4.
 */
export function clearHeaderBytes(datagram: Uint8Array): number {
  const type = datagram[TYPE_OFFSET];
  if (type === PacketType.Nack) return NACK_FIXED_BYTES;
  return type === PacketType.Report ? LINK_REPORT_CLEAR_BYTES : HEADER_BYTES;
}

/** The 12-byte AES-GCM nonce of datagram `counter`: 4 zero bytes, then the counter. */
export function nonceFor(counter: number): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  view.setUint32(4, Math.floor(counter / TWO_POW_32));
  view.setUint32(8, counter % TWO_POW_32);
  return nonce;
}

/** Reads the 64-bit counter of a sealed datagram whose clear header is `headerBytes` long. */
export function counterOf(sealed: Uint8Array, headerBytes: number): number {
  const view = new DataView(sealed.buffer, sealed.byteOffset + headerBytes + SALT_BYTES, 8);
  return view.getUint32(0) * TWO_POW_32 + view.getUint32(4);
}

/**
 * Seals datagrams for one session.
 *
 * @example Seal a NACK: its 16 fixed bytes stay readable, flag 0x02 set
 * ```ts
 * import { DatagramSealer } from "./datagram_seal.ts";
 * import { RootKey } from "./seal_key.ts";
 * import { encodeNack } from "../wire/v1/mod.ts";
 *
 * const root = await RootKey.derive("correct horse battery staple", 1000);
 * const sealer = await DatagramSealer.create(root, { startMs: Date.now() });
 * const ranges = [{ first: 2, count: 3 }];
 * const nack = encodeNack({ streamId: 9, frameSeq: 3, fragmentCount: 10, ranges });
 * const sealed = await sealer.seal(nack);
 * if (sealed.length !== nack.length + 40 || (sealed[4] & 0x02) === 0) throw new Error("bad seal");
 * ```
 */
export class DatagramSealer {
  readonly #key: CryptoKey;
  readonly #salt: Uint8Array;
  #counter = 0;

  private constructor(key: CryptoKey, salt: Uint8Array) {
    this.#key = key;
    this.#salt = salt;
  }

  /**
   * Starts a session under `root`: a new session id (seal version, `startMs`, random bytes; see
   * lib/crypto/session_id.ts) and its key.
   *
   * @param root The run's root key (lib/crypto/seal_key.ts).
   * @param options `startMs`: when the session starts, ms since the Unix epoch (the caller's wall
   * clock); `sessionId`: the 16 bytes to use instead (tests).
   */
  static async create(
    root: RootKey,
    options: { startMs: number; sessionId?: Uint8Array },
  ): Promise<DatagramSealer> {
    const id = options.sessionId ?? newSessionId(options.startMs);
    if (id.length !== SALT_BYTES) {
      throw new RangeError(`Cannot start a sealed session: the id must be ${SALT_BYTES} bytes`);
    }
    return new DatagramSealer(await root.sessionKey(id), id.slice());
  }

  /** Datagrams sealed so far. */
  get counter(): number {
    return this.#counter;
  }

  /** Returns the sealed form of the plain v1 datagram `plain` (header + payload). */
  async seal(plain: Uint8Array): Promise<Uint8Array> {
    const headerBytes = plain.length > TYPE_OFFSET ? clearHeaderBytes(plain) : HEADER_BYTES;
    if (plain.length < headerBytes) {
      throw new RangeError("Cannot seal: datagram shorter than a header");
    }
    const counter = this.#counter++;
    const prefixBytes = headerBytes + SALT_BYTES + COUNTER_BYTES;
    const aad = new Uint8Array(prefixBytes);
    aad.set(plain.subarray(0, headerBytes));
    aad[FLAGS_OFFSET] |= ENCRYPTED_FLAG;
    aad.set(this.#salt, headerBytes);
    aad.set(nonceFor(counter).subarray(4), headerBytes + SALT_BYTES);
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        {
          name: "AES-GCM",
          iv: nonceFor(counter),
          additionalData: aad as Uint8Array<ArrayBuffer>,
          tagLength: TAG_BYTES * 8,
        },
        this.#key,
        plain.subarray(headerBytes) as Uint8Array<ArrayBuffer>,
      ),
    );
    const out = new Uint8Array(prefixBytes + sealed.length);
    out.set(aad);
    out.set(sealed, prefixBytes);
    return out;
  }
}
