/**
 * Opening sealed datagrams (layout in lib/crypto/datagram_seal.ts): authenticate, decrypt, refuse
 * replays, and find the sessions worth keeping among the salts anyone can send.
 *
 * A salt no session has is tried: its session key is derived (HKDF, cheap: lib/crypto/seal_key.ts)
 * and a datagram that brought it is opened with it. Only a salt whose datagram authenticates
 * becomes a session; a forged one costs one try and leaves nothing behind. Tries are rationed by a
 * token bucket (lib/crypto/trial_budget.ts) and a cap on tries at once, so a flood of forged salts
 * costs a bounded share of the CPU. Each try goes to a datagram drawn at random among the
 * unknown-salt datagrams since the previous try, so the real sender's share of tries is its share
 * of those datagrams whatever the order, timing or salts of the forged ones: the expected wait for
 * the real sender's first try is about (forged + real rate) / (tries per second × real rate).
 *
 * Memory: `maxSessions` keys and replay windows, and the salts of the tries in flight.
 *
 * @module
 */

import { ReplayWindow } from "./replay_window.ts";
import type { RootKey } from "./seal_key.ts";
import { TrialBudget } from "./trial_budget.ts";
import {
  clearHeaderBytes,
  COUNTER_BYTES,
  counterOf,
  ENCRYPTED_FLAG,
  FLAGS_OFFSET,
  nonceFor,
  SALT_BYTES,
  TAG_BYTES,
} from "./datagram_seal.ts";
import { NACK_FIXED_BYTES } from "../wire/v1/mod.ts";

/** Why {@linkcode DatagramOpener.open} refused a datagram; each is a drop counter. */
export type OpenFailure = "notEncrypted" | "short" | "keyPending" | "authFailed" | "replay";

/** Result of {@linkcode DatagramOpener.open}. */
export type OpenResult =
  | { ok: true; datagram: Uint8Array; salt: string }
  | { ok: false; reason: OpenFailure };

/** Limits of a {@linkcode DatagramOpener}. */
export interface OpenerOptions {
  /** Sessions kept at once (a restarted sender brings a new one); the least used goes first. */
  maxSessions: number;
  /** Tries of unknown salts earned per second. */
  triesPerSecond: number;
  /** Most tries banked while none are needed. */
  tryBurst: number;
  /** Most tries running at once (each is a key derivation and a decryption). */
  maxTriesInFlight: number;
  /**
   * Uniform numbers in [0, 1) choosing which datagram is tried; tests pass a seeded generator.
   * Default: from `crypto.getRandomValues`, so a forger cannot predict the choice.
   */
  random?: () => number;
}

/**
 * Defaults: 500 tries a second (a try costs about 0.1 ms of CPU here, so a flood of forged salts
 * costs at most ~5 % of a core), 32 banked, 4 at once.
 */
export const DEFAULT_OPENER_OPTIONS: OpenerOptions = {
  maxSessions: 4,
  triesPerSecond: 500,
  tryBurst: 32,
  maxTriesInFlight: 4,
};

/** An unknown-salt datagram waiting for a try. */
interface Candidate {
  sealed: Uint8Array;
  headerBytes: number;
  saltHex: string;
  counter: number;
}

interface Session {
  key: CryptoKey;
  replay: ReplayWindow;
  lastUsedMs: number;
}

/** Uniform numbers in [0, 1) from the system's cryptographic generator, drawn 256 at a time. */
function secureRandom(): () => number {
  const pool = new Uint32Array(256);
  let next = pool.length;
  return () => {
    if (next === pool.length) {
      crypto.getRandomValues(pool);
      next = 0;
    }
    return pool[next++] / 0x1_0000_0000;
  };
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

/**
 * Authenticates and decrypts sealed datagrams, and refuses replays; see the module docs.
 *
 * @example A forged salt is tried once and refused; the real one becomes a session
 * ```ts
 * import { DatagramOpener } from "./datagram_opener.ts";
 * import { DatagramSealer } from "./datagram_seal.ts";
 * import { RootKey } from "./seal_key.ts";
 * import { fragmentFrame } from "../wire/v1/mod.ts";
 *
 * const root = await RootKey.derive("correct horse battery staple", 1000);
 * const sealer = await DatagramSealer.create(root);
 * const [plain] = fragmentFrame(new Uint8Array(100), { streamId: 1, frameSeq: 1, captureUs: 0 }, 1200);
 * const real = await sealer.seal(plain);
 * const forged = real.slice();
 * forged.fill(7, 30, 46); // another salt, same ciphertext
 * const opener = new DatagramOpener(root);
 * const refused = await opener.open(forged, 0);
 * const opened = await opener.open(real, 0);
 * if (refused.ok || refused.reason !== "authFailed" || !opened.ok) throw new Error("unexpected");
 * ```
 */
export class DatagramOpener {
  readonly #root: RootKey;
  readonly #options: OpenerOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #budget: TrialBudget;
  /** Salts being tried right now: their other datagrams wait (`keyPending`). */
  readonly #trying = new Set<string>();
  readonly #random: () => number;
  #tries = 0;
  /** The datagram the next try goes to, and how many unknown-salt datagrams came since a try. */
  #candidate: Candidate | null = null;
  #seenSinceTry = 0;

  /**
   * Makes an opener for datagrams sealed under `root`.
   *
   * @param root The run's root key (the same shared key as the sender's).
   * @param options Limits; see {@linkcode DEFAULT_OPENER_OPTIONS}.
   */
  constructor(root: RootKey, options: Partial<OpenerOptions> = {}) {
    this.#root = root;
    this.#options = { ...DEFAULT_OPENER_OPTIONS, ...options };
    this.#budget = new TrialBudget(this.#options.triesPerSecond, this.#options.tryBurst);
    this.#random = this.#options.random ?? secureRandom();
  }

  /** Number of sessions kept. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Unknown salts tried so far (each a key derivation and a decryption). */
  get tries(): number {
    return this.#tries;
  }

  /**
   * Returns the plain datagram (header with the Encrypted flag cleared, then payload), or why it
   * was refused. `sealed` must not change until the promise settles.
   */
  async open(sealed: Uint8Array, nowMs: number): Promise<OpenResult> {
    if (sealed.length < NACK_FIXED_BYTES) return { ok: false, reason: "short" };
    if ((sealed[FLAGS_OFFSET] & ENCRYPTED_FLAG) === 0) return { ok: false, reason: "notEncrypted" };
    const headerBytes = clearHeaderBytes(sealed);
    if (sealed.length < headerBytes + SALT_BYTES + COUNTER_BYTES + TAG_BYTES) {
      return { ok: false, reason: "short" };
    }
    const salt = sealed.subarray(headerBytes, headerBytes + SALT_BYTES);
    const saltHex = hex(salt);
    const counter = counterOf(sealed, headerBytes);
    const session = this.#sessions.get(saltHex);
    if (session === undefined) return await this.#try(sealed, headerBytes, saltHex, counter, nowMs);
    if (!session.replay.check(counter)) return { ok: false, reason: "replay" };
    const plain = await decrypt(session.key, sealed, headerBytes, counter);
    if (plain === null) return { ok: false, reason: "authFailed" };
    // Checked again: another datagram with this counter may have been accepted during the await.
    if (!session.replay.check(counter)) return { ok: false, reason: "replay" };
    session.replay.accept(counter);
    session.lastUsedMs = nowMs;
    return { ok: true, datagram: plain, salt: saltHex };
  }

  /**
   * An unknown salt: `sealed` joins the candidates for the next try, which goes to one of the
   * datagrams that came since the last try, each as likely as any other (a reservoir of one), so
   * neither the order nor the timing of forged datagrams can keep the real salt from its share.
   */
  async #try(
    sealed: Uint8Array,
    headerBytes: number,
    saltHex: string,
    counter: number,
    nowMs: number,
  ): Promise<OpenResult> {
    this.#seenSinceTry++;
    if (this.#random() * this.#seenSinceTry < 1) {
      this.#candidate = { sealed, headerBytes, saltHex, counter };
    }
    const candidate = this.#candidate;
    if (candidate === null || this.#trying.size >= this.#options.maxTriesInFlight) {
      return { ok: false, reason: "keyPending" };
    }
    if (this.#trying.has(candidate.saltHex) || this.#sessions.has(candidate.saltHex)) {
      // Being tried, or found while it waited: nothing to learn from it; the draw starts again.
      this.#candidate = null;
      this.#seenSinceTry = 0;
      return { ok: false, reason: "keyPending" };
    }
    if (!this.#budget.take(nowMs)) return { ok: false, reason: "keyPending" };
    this.#candidate = null;
    this.#seenSinceTry = 0;
    const result = await this.#tryOne(candidate, nowMs);
    // An earlier datagram was tried: this one waits; that one was already answered keyPending.
    return candidate.sealed === sealed ? result : { ok: false, reason: "keyPending" };
  }

  /** Derives the candidate's session key and opens its datagram; a success keeps the session. */
  async #tryOne(candidate: Candidate, nowMs: number): Promise<OpenResult> {
    const { sealed, headerBytes, saltHex, counter } = candidate;
    this.#trying.add(saltHex);
    this.#tries++;
    let key: CryptoKey;
    let plain: Uint8Array | null;
    try {
      key = await this.#root.sessionKey(sealed.slice(headerBytes, headerBytes + SALT_BYTES));
      plain = await decrypt(key, sealed, headerBytes, counter);
    } finally {
      this.#trying.delete(saltHex);
    }
    if (plain === null) return { ok: false, reason: "authFailed" };
    let session = this.#sessions.get(saltHex);
    if (session === undefined) {
      session = { key, replay: new ReplayWindow(), lastUsedMs: nowMs };
      this.#adopt(saltHex, session);
    }
    if (!session.replay.check(counter)) return { ok: false, reason: "replay" };
    session.replay.accept(counter);
    return { ok: true, datagram: plain, salt: saltHex };
  }

  #adopt(saltHex: string, session: Session): void {
    if (this.#sessions.size >= this.#options.maxSessions) {
      let oldest: string | null = null;
      for (const [k, s] of this.#sessions) {
        if (oldest === null || s.lastUsedMs < this.#sessions.get(oldest)!.lastUsedMs) oldest = k;
      }
      if (oldest !== null) this.#sessions.delete(oldest);
    }
    this.#sessions.set(saltHex, session);
  }
}

/**
 * The plain datagram inside `sealed` (clear header with the flag cleared, then the decrypted
 * payload), or null when it does not authenticate under `key`.
 */
async function decrypt(
  key: CryptoKey,
  sealed: Uint8Array,
  headerBytes: number,
  counter: number,
): Promise<Uint8Array | null> {
  const prefixBytes = headerBytes + SALT_BYTES + COUNTER_BYTES;
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: nonceFor(counter),
        additionalData: sealed.subarray(0, prefixBytes) as Uint8Array<ArrayBuffer>,
        tagLength: TAG_BYTES * 8,
      },
      key,
      sealed.subarray(prefixBytes) as Uint8Array<ArrayBuffer>,
    );
  } catch {
    return null;
  }
  const out = new Uint8Array(headerBytes + plain.byteLength);
  out.set(sealed.subarray(0, headerBytes));
  out[FLAGS_OFFSET] &= ~ENCRYPTED_FLAG;
  out.set(new Uint8Array(plain), headerBytes);
  return out;
}
