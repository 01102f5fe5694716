/**
 * Authenticated encryption of whole udpcam datagrams with AES-256-GCM (WebCrypto).
 *
 * A sealed datagram is the v1 header with the Encrypted flag set, then the sender's session salt,
 * a datagram counter, the encrypted payload and the GCM tag:
 *
 * ```text
 * | header (30, flag 0x02 set) | salt (16) | counter (8) | ciphertext (n) | tag (16) |
 * ```
 *
 * A sealed NACK keeps its 16 fixed bytes in clear instead of 30 (see {@linkcode clearHeaderBytes}).
 *
 * - The session key is PBKDF2-SHA256(passphrase, salt, iterations). Each sender start draws a new
 *   random salt, so a restarted sender never reuses a key, whatever its counter does.
 * - The nonce is 4 zero bytes followed by the 64-bit counter, which goes up by one per sealed
 *   datagram (retransmissions included), so no nonce repeats under one key.
 * - The header, salt and counter are authenticated as associated data: nothing in a sealed datagram
 *   can change unnoticed.
 * - The counter also feeds the receiver's replay window.
 *
 * @module
 */

import { ReplayWindow } from "./replay_window.ts";
import { Flags, HEADER_BYTES, NACK_FIXED_BYTES, PacketType } from "../wire/v1/mod.ts";

/** Header flag bit (byte 4) marking a sealed datagram. */
export const ENCRYPTED_FLAG: typeof Flags.Encrypted = Flags.Encrypted;
/** Bytes of the per-session salt carried in every sealed datagram. */
const SALT_BYTES = 16;
/** Bytes of the datagram counter. */
const COUNTER_BYTES = 8;
/** Bytes of the AES-GCM authentication tag. */
const TAG_BYTES = 16;
/** How much longer a sealed datagram is than the plain one. */
export const SEAL_OVERHEAD_BYTES: number = SALT_BYTES + COUNTER_BYTES + TAG_BYTES;
/** PBKDF2 iterations: slow enough to make guessing passphrases expensive, ~0.1 s once per stream. */
export const DEFAULT_KDF_ITERATIONS = 210_000;

const FLAGS_OFFSET = 4;
const TYPE_OFFSET = 3;

/**
 * Bytes left in clear (and authenticated) at the start of a datagram: the 16 fixed bytes of a
 * NACK, the 30-byte header of everything else. Both keep the type at byte 3 and flags at byte 4.
 */
export function clearHeaderBytes(datagram: Uint8Array): number {
  return datagram[TYPE_OFFSET] === PacketType.Nack ? NACK_FIXED_BYTES : HEADER_BYTES;
}
const TWO_POW_32 = 0x1_0000_0000;

/** The shared secret: key bytes, or a passphrase (its UTF-8 bytes). */
export type SealSecret = Uint8Array | string;

/** Derives the AES-256-GCM key for `salt` from `passphrase`. */
async function deriveSessionKey(
  passphrase: SealSecret,
  salt: Uint8Array,
  iterations = DEFAULT_KDF_ITERATIONS,
): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey(
    "raw",
    (typeof passphrase === "string"
      ? new TextEncoder().encode(passphrase)
      : passphrase) as Uint8Array<
        ArrayBuffer
      >,
    "PBKDF2",
    false,
    ["deriveKey"],
  );
  return await crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

function nonceFor(counter: number): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  view.setUint32(4, Math.floor(counter / TWO_POW_32));
  view.setUint32(8, counter % TWO_POW_32);
  return nonce;
}

/** Seals datagrams for one sender session. */
export class DatagramSealer {
  readonly #key: CryptoKey;
  readonly #salt: Uint8Array;
  #counter = 0;

  private constructor(key: CryptoKey, salt: Uint8Array) {
    this.#key = key;
    this.#salt = salt;
  }

  /** Derives a session key from `passphrase` and a fresh random salt (or `salt`, for tests). */
  static async create(
    passphrase: SealSecret,
    options: { iterations?: number; salt?: Uint8Array } = {},
  ): Promise<DatagramSealer> {
    const salt = options.salt ?? crypto.getRandomValues(new Uint8Array(SALT_BYTES));
    return new DatagramSealer(await deriveSessionKey(passphrase, salt, options.iterations), salt);
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

/** Why {@linkcode DatagramOpener.open} refused a datagram; each is a drop counter. */
export type OpenFailure = "notEncrypted" | "short" | "keyPending" | "authFailed" | "replay";

/** Result of {@linkcode DatagramOpener.open}. */
export type OpenResult =
  | { ok: true; datagram: Uint8Array; salt: string }
  | { ok: false; reason: OpenFailure };

interface Session {
  key: CryptoKey;
  replay: ReplayWindow;
  lastUsedMs: number;
}

/** Limits of a {@linkcode DatagramOpener}. */
export interface OpenerOptions {
  /** PBKDF2 iterations; must match the sender's. */
  iterations: number;
  /** Session keys kept at once (a restarted sender brings a new one). */
  maxSessions: number;
  /** Least time between two key derivations, so forged salts cannot keep the CPU busy. */
  minDeriveIntervalMs: number;
  /** Distinct unknown salts remembered while choosing which one to derive next. */
  maxCandidates: number;
}

const DEFAULT_OPENER_OPTIONS: OpenerOptions = {
  iterations: DEFAULT_KDF_ITERATIONS,
  maxSessions: 4,
  minDeriveIntervalMs: 1000,
  maxCandidates: 64,
};

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

/**
 * Authenticates and decrypts sealed datagrams, and refuses replays.
 *
 * Session keys are derived on demand, at most one at a time and at most one per
 * `minDeriveIntervalMs`. Among unknown salts it derives the one seen most often, so a flood of
 * forged salts (one datagram each) cannot crowd out a real sender (hundreds of datagrams per
 * second with one salt). Memory: `maxSessions` keys and windows, `maxCandidates` counters.
 */
export class DatagramOpener {
  readonly #passphrase: SealSecret;
  readonly #options: OpenerOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #candidates = new Map<string, { salt: Uint8Array; seen: number }>();
  #deriving = false;
  #lastDeriveMs = -Infinity;

  /**
   * Makes an opener for datagrams sealed with `passphrase`; keys are derived as salts arrive.
   *
   * @param passphrase The shared secret; `options` override the defaults.
   */
  constructor(passphrase: SealSecret, options: Partial<OpenerOptions> = {}) {
    this.#passphrase = passphrase;
    this.#options = { ...DEFAULT_OPENER_OPTIONS, ...options };
  }

  /** Returns the plain datagram (header with the Encrypted flag cleared, then payload). */
  async open(sealed: Uint8Array, nowMs: number): Promise<OpenResult> {
    if (sealed.length < NACK_FIXED_BYTES) return { ok: false, reason: "short" };
    if ((sealed[FLAGS_OFFSET] & ENCRYPTED_FLAG) === 0) return { ok: false, reason: "notEncrypted" };
    const headerBytes = clearHeaderBytes(sealed);
    const prefixBytes = headerBytes + SALT_BYTES + COUNTER_BYTES;
    if (sealed.length < prefixBytes + TAG_BYTES) return { ok: false, reason: "short" };
    const salt = sealed.subarray(headerBytes, headerBytes + SALT_BYTES);
    const saltHex = hex(salt);
    const session = this.#sessions.get(saltHex);
    if (!session) {
      this.#considerDeriving(saltHex, salt, nowMs);
      return { ok: false, reason: "keyPending" };
    }
    const view = new DataView(sealed.buffer, sealed.byteOffset + headerBytes + SALT_BYTES, 8);
    const counter = view.getUint32(0) * TWO_POW_32 + view.getUint32(4);
    if (!session.replay.check(counter)) return { ok: false, reason: "replay" };
    let plain: ArrayBuffer;
    try {
      plain = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: nonceFor(counter),
          additionalData: sealed.subarray(0, prefixBytes) as Uint8Array<ArrayBuffer>,
          tagLength: TAG_BYTES * 8,
        },
        session.key,
        sealed.subarray(prefixBytes) as Uint8Array<ArrayBuffer>,
      );
    } catch {
      return { ok: false, reason: "authFailed" };
    }
    // Checked again: another datagram with this counter may have been accepted during the await.
    if (!session.replay.check(counter)) return { ok: false, reason: "replay" };
    session.replay.accept(counter);
    session.lastUsedMs = nowMs;
    const out = new Uint8Array(headerBytes + plain.byteLength);
    out.set(sealed.subarray(0, headerBytes));
    out[FLAGS_OFFSET] &= ~ENCRYPTED_FLAG;
    out.set(new Uint8Array(plain), headerBytes);
    return { ok: true, datagram: out, salt: saltHex };
  }

  /** Number of session keys derived and kept. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  #considerDeriving(saltHex: string, salt: Uint8Array, nowMs: number): void {
    const candidate = this.#candidates.get(saltHex);
    if (candidate) candidate.seen++;
    else {
      if (this.#candidates.size >= this.#options.maxCandidates) {
        // Forget the least seen: a real stream's salt keeps coming back.
        let weakest: string | null = null;
        for (const [key, value] of this.#candidates) {
          if (weakest === null || value.seen < this.#candidates.get(weakest)!.seen) weakest = key;
        }
        if (weakest !== null) this.#candidates.delete(weakest);
      }
      this.#candidates.set(saltHex, { salt: salt.slice(), seen: 1 });
    }
    if (this.#deriving || nowMs - this.#lastDeriveMs < this.#options.minDeriveIntervalMs) return;
    let best: [string, { salt: Uint8Array; seen: number }] | null = null;
    for (const entry of this.#candidates) {
      if (best === null || entry[1].seen > best[1].seen) best = entry;
    }
    if (best === null) return;
    const [bestHex, { salt: bestSalt }] = best;
    this.#candidates.delete(bestHex);
    this.#deriving = true;
    this.#lastDeriveMs = nowMs;
    deriveSessionKey(this.#passphrase, bestSalt, this.#options.iterations).then((key) => {
      if (this.#sessions.size >= this.#options.maxSessions) {
        let oldest: string | null = null;
        for (const [k, s] of this.#sessions) {
          if (oldest === null || s.lastUsedMs < this.#sessions.get(oldest)!.lastUsedMs) oldest = k;
        }
        if (oldest !== null) this.#sessions.delete(oldest);
      }
      this.#sessions.set(bestHex, { key, replay: new ReplayWindow(), lastUsedMs: nowMs });
    }).finally(() => this.#deriving = false);
  }
}
