/**
 * Opening sealed datagrams (layout in lib/crypto/datagram_seal.ts): authenticate, decrypt, refuse
 * replays and stale datagrams, and find the sessions worth keeping among the ids anyone can send.
 *
 * **Trying unknown sessions.** A session id (salt) no kept session has is tried: its session key
 * is derived (HKDF, cheap: lib/crypto/seal_key.ts) and a datagram that brought it is opened with
 * it. Only an id whose datagram authenticates becomes a session; a forged one costs one try and
 * leaves nothing behind. Tries are rationed by a token bucket (lib/crypto/trial_budget.ts) and a
 * cap on tries at once, so a flood of forged ids costs a bounded share of the CPU. Each try goes to
 * a datagram drawn at random among the unknown-id datagrams since the previous try, so the real
 * sender's share of tries is its share of those datagrams whatever the order, timing or ids of
 * the forged ones: the expected wait for the real sender's first try is about
 * (forged + real rate) / (tries per second × real rate).
 *
 * **Freshness** (`maxClockSkewMs`, the receiver). A fragment or parity datagram carries its
 * frame's capture time (header bytes 22-29, µs since the Unix epoch on the sender's clock),
 * authenticated with the rest of the header. It is refused (`notFresh`) unless that time is
 * within `maxClockSkewMs` of the caller's wall clock, and so is a session that says it started
 * later than the wall clock plus the skew; datagrams of other types carry no time and are refused
 * too. A recording played back more than the skew after it was made opens nothing.
 *
 * **Session order.** Sessions are kept per peer (the receiver has one; the sender one per
 * destination), at most `sessionsPerPeer` of them, and ordered by the start in their id
 * (lib/crypto/session_id.ts). A peer full of sessions takes a new one only if it started later
 * than the oldest it keeps; that one is dropped, and no session starting at or before it is taken
 * again (`staleSession`). With one session per peer (the receiver) this reads: a switch to a new
 * session needs it to be fresh and newer than the current one; the current one is never evicted
 * by anything older, so its replay window is never reset, and a replay of it stays a `replay`.
 * With freshness on, a session that has accepted nothing for `forgetAfterMs` is forgotten (so a
 * sender whose clock was set back can take over); that is safe because whatever opens afterwards
 * is fresh.
 *
 * Memory: `peers × sessionsPerPeer` keys and replay windows, one candidate datagram, and the ids of
 * the tries in flight.
 *
 * @module
 */

import { ReplayWindow } from "./replay_window.ts";
import type { RootKey } from "./seal_key.ts";
import { TrialBudget } from "./trial_budget.ts";
import { SEAL_VERSION, sessionStartMs } from "./session_id.ts";
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
import { HEADER_BYTES, NACK_FIXED_BYTES, PacketType } from "../wire/v1/mod.ts";

/** Why {@linkcode DatagramOpener.open} refused a datagram; each is a drop counter. */
export type OpenFailure =
  | "notEncrypted"
  | "short"
  | "sealVersion"
  | "notFresh"
  | "staleSession"
  | "keyPending"
  | "authFailed"
  | "replay";

/** Result of {@linkcode DatagramOpener.open}. */
export type OpenResult =
  | { ok: true; datagram: Uint8Array; salt: string }
  | { ok: false; reason: OpenFailure };

/** The two clocks {@linkcode DatagramOpener.open} reads, passed in by the caller. */
export interface OpenClock {
  /** A monotonic clock in ms (performance.now()): budgets and idle times. */
  nowMs: number;
  /**
   * The wall clock, ms since the Unix epoch (Date.now()): freshness. Needed when
   * `maxClockSkewMs` is set (without it every datagram is `notFresh`); unused otherwise.
   */
  epochMs?: number;
}

/** Limits of a {@linkcode DatagramOpener}. */
export interface OpenerOptions {
  /**
   * Freshness: the most a datagram's capture time may differ from the wall clock, in ms; null
   * for none (the sender's NACK opener: NACKs carry no time).
   */
  maxClockSkewMs: number | null;
  /**
   * With freshness on: a session that accepted nothing for this long is forgotten. Null: never
   * (the sender's, whose peers may stay quiet for minutes on a clean link).
   */
  forgetAfterMs: number | null;
  /** Peers sessions are kept for (they are numbered 0 .. peers - 1). */
  peers: number;
  /** Sessions kept per peer (the receiver follows one; a multicast destination has many receivers). */
  sessionsPerPeer: number;
  /** Tries of unknown sessions earned per second. */
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

/** The receiver's default freshness bound: capture times within 10 s of its clock. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 10_000;

/**
 * Defaults, the receiver's: freshness within 10 s, a quiet session forgotten after 10 s, one peer
 * with one session; 500 tries a second, 32 banked, 4 at once (what a try costs, and so what a
 * flood of forged ids can cost at most: docs/benchmarks.md, "--key").
 */
export const DEFAULT_OPENER_OPTIONS: OpenerOptions = {
  maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS,
  forgetAfterMs: DEFAULT_MAX_CLOCK_SKEW_MS,
  peers: 1,
  sessionsPerPeer: 1,
  triesPerSecond: 500,
  tryBurst: 32,
  maxTriesInFlight: 4,
};

/** An unknown-session datagram waiting for a try. */
interface Candidate {
  sealed: Uint8Array;
  headerBytes: number;
  saltHex: string;
  counter: number;
  startMs: number;
  peer: number;
}

interface Session {
  key: CryptoKey;
  replay: ReplayWindow;
  startMs: number;
  lastUsedMs: number;
}

/** One peer's sessions, and the start at or before which no session is taken any more. */
interface Peer {
  sessions: Map<string, Session>;
  floorMs: number;
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
 * The capture time of a fragment or parity datagram in ms (header bytes 22-29, µs), or null for
 * types that carry none.
 */
function captureMsOf(sealed: Uint8Array, headerBytes: number): number | null {
  const type = sealed[3];
  if (
    headerBytes !== HEADER_BYTES || (type !== PacketType.Fragment && type !== PacketType.Parity)
  ) {
    return null;
  }
  const view = new DataView(sealed.buffer, sealed.byteOffset + 22, 8);
  return (view.getUint32(0) * 0x1_0000_0000 + view.getUint32(4)) / 1000;
}

/**
 * Authenticates and decrypts sealed datagrams; refuses replays, stale datagrams and older
 * sessions; see the module docs.
 *
 * @example A forged id is tried once and refused; the real one becomes the session
 * ```ts
 * import { DatagramOpener } from "./datagram_opener.ts";
 * import { DatagramSealer } from "./datagram_seal.ts";
 * import { RootKey } from "./seal_key.ts";
 * import { fragmentFrame } from "../wire/v1/mod.ts";
 *
 * const now = { nowMs: 0, epochMs: 1_700_000_000_000 };
 * const root = await RootKey.derive("correct horse battery staple", 1000);
 * const sealer = await DatagramSealer.create(root, { startMs: now.epochMs });
 * const meta = { streamId: 1, frameSeq: 1, captureUs: now.epochMs * 1000 };
 * const [plain] = fragmentFrame(new Uint8Array(100), meta, 1200);
 * const real = await sealer.seal(plain);
 * const forged = real.slice();
 * forged.fill(7, 37, 46); // another session id (its random part), same ciphertext
 * const opener = new DatagramOpener(root);
 * const refused = await opener.open(forged, now);
 * const opened = await opener.open(real, now);
 * if (refused.ok || refused.reason !== "authFailed" || !opened.ok) throw new Error("unexpected");
 * ```
 */
export class DatagramOpener {
  readonly #root: RootKey;
  readonly #options: OpenerOptions;
  readonly #peers: Peer[];
  readonly #budget: TrialBudget;
  /** Ids being tried right now: their other datagrams wait (`keyPending`). */
  readonly #trying = new Set<string>();
  readonly #random: () => number;
  #tries = 0;
  /** The datagram the next try goes to, and how many unknown-id datagrams came since a try. */
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
    const { peers, sessionsPerPeer } = this.#options;
    if (
      !Number.isInteger(peers) || peers < 1 || !Number.isInteger(sessionsPerPeer) ||
      sessionsPerPeer < 1
    ) {
      throw new RangeError(
        `Cannot create DatagramOpener: peers ${peers} and sessionsPerPeer ${sessionsPerPeer} must be positive integers`,
      );
    }
    this.#peers = Array.from(
      { length: peers },
      () => ({ sessions: new Map(), floorMs: -Infinity }),
    );
    this.#budget = new TrialBudget(this.#options.triesPerSecond, this.#options.tryBurst);
    this.#random = this.#options.random ?? secureRandom();
  }

  /** Number of sessions kept, all peers together. */
  get sessionCount(): number {
    return this.#peers.reduce((sum, peer) => sum + peer.sessions.size, 0);
  }

  /** Unknown sessions tried so far (each a key derivation and a decryption). */
  get tries(): number {
    return this.#tries;
  }

  /**
   * Returns the plain datagram (header with the Encrypted flag cleared, then payload), or why it
   * was refused. `sealed` must not change afterwards: it may be kept as the next try's candidate.
   *
   * @param sealed The datagram as received.
   * @param at The clocks now.
   * @param peer Who sent it: 0 on the receiver, the destination index on the sender.
   */
  async open(sealed: Uint8Array, at: OpenClock, peer = 0): Promise<OpenResult> {
    const slot = this.#peers[peer];
    if (slot === undefined) throw new RangeError(`Cannot open: peer ${peer} is not one of ours`);
    if (sealed.length < NACK_FIXED_BYTES) return { ok: false, reason: "short" };
    if ((sealed[FLAGS_OFFSET] & ENCRYPTED_FLAG) === 0) return { ok: false, reason: "notEncrypted" };
    const headerBytes = clearHeaderBytes(sealed);
    if (sealed.length < headerBytes + SALT_BYTES + COUNTER_BYTES + TAG_BYTES) {
      return { ok: false, reason: "short" };
    }
    const id = sealed.subarray(headerBytes, headerBytes + SALT_BYTES);
    if (id[0] !== SEAL_VERSION) return { ok: false, reason: "sealVersion" };
    const startMs = sessionStartMs(id);
    const { maxClockSkewMs: skewMs, forgetAfterMs } = this.#options;
    if (skewMs !== null) {
      // Checked before anything costly; a forged time fails authentication later anyway.
      const captureMs = captureMsOf(sealed, headerBytes);
      const epochMs = at.epochMs ?? NaN;
      if (
        captureMs === null || !(Math.abs(captureMs - epochMs) <= skewMs) ||
        startMs > epochMs + skewMs
      ) {
        return { ok: false, reason: "notFresh" };
      }
    }
    if (forgetAfterMs !== null) this.#forgetQuiet(slot, at.nowMs, forgetAfterMs);
    const saltHex = hex(id);
    const counter = counterOf(sealed, headerBytes);
    const session = slot.sessions.get(saltHex);
    if (session === undefined) {
      if (!this.#admissible(slot, startMs)) return { ok: false, reason: "staleSession" };
      const candidate = { sealed, headerBytes, saltHex, counter, startMs, peer };
      return await this.#try(candidate, at.nowMs);
    }
    if (!session.replay.check(counter)) return { ok: false, reason: "replay" };
    const plain = await decrypt(session.key, sealed, headerBytes, counter);
    if (plain === null) return { ok: false, reason: "authFailed" };
    // Checked again: another datagram with this counter may have been accepted during the await.
    if (!session.replay.check(counter)) return { ok: false, reason: "replay" };
    session.replay.accept(counter);
    session.lastUsedMs = at.nowMs;
    return { ok: true, datagram: plain, salt: saltHex };
  }

  /** Whether `slot` would take a new session that started at `startMs`. */
  #admissible(slot: Peer, startMs: number): boolean {
    if (startMs <= slot.floorMs) return false;
    if (slot.sessions.size < this.#options.sessionsPerPeer) return true;
    for (const session of slot.sessions.values()) if (startMs > session.startMs) return true;
    return false;
  }

  /** Forgets `slot`'s sessions quiet for `afterMs`; with none left, any fresh session may start. */
  #forgetQuiet(slot: Peer, nowMs: number, afterMs: number): void {
    for (const [key, session] of slot.sessions) {
      if (nowMs - session.lastUsedMs > afterMs) slot.sessions.delete(key);
    }
    if (slot.sessions.size === 0) slot.floorMs = -Infinity;
  }

  /**
   * An unknown session: its datagram joins the candidates for the next try, which goes to one of
   * the datagrams that came since the last try, each as likely as any other (a reservoir of one),
   * so neither the order nor the timing of forged datagrams can keep the real id from its share.
   */
  async #try(offered: Candidate, nowMs: number): Promise<OpenResult> {
    this.#seenSinceTry++;
    if (this.#random() * this.#seenSinceTry < 1) this.#candidate = offered;
    const candidate = this.#candidate;
    if (candidate === null || this.#trying.size >= this.#options.maxTriesInFlight) {
      return { ok: false, reason: "keyPending" };
    }
    const slot = this.#peers[candidate.peer];
    if (
      this.#trying.has(candidate.saltHex) || slot.sessions.has(candidate.saltHex) ||
      !this.#admissible(slot, candidate.startMs)
    ) {
      // Being tried, found or outranked while it waited: nothing to learn; the draw starts again.
      this.#candidate = null;
      this.#seenSinceTry = 0;
      return { ok: false, reason: "keyPending" };
    }
    if (!this.#budget.take(nowMs)) return { ok: false, reason: "keyPending" };
    this.#candidate = null;
    this.#seenSinceTry = 0;
    const result = await this.#tryOne(candidate, nowMs);
    // An earlier datagram was tried: this one waits; that one was already answered keyPending.
    return candidate === offered ? result : { ok: false, reason: "keyPending" };
  }

  /** Derives the candidate's session key and opens its datagram; a success keeps the session. */
  async #tryOne(candidate: Candidate, nowMs: number): Promise<OpenResult> {
    const { sealed, headerBytes, saltHex, counter, startMs } = candidate;
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
    const slot = this.#peers[candidate.peer];
    // Another session may have been taken while this one was tried.
    if (!this.#admissible(slot, startMs)) return { ok: false, reason: "staleSession" };
    if (slot.sessions.size >= this.#options.sessionsPerPeer) this.#dropOldest(slot);
    const session = { key, replay: new ReplayWindow(), startMs, lastUsedMs: nowMs };
    slot.sessions.set(saltHex, session);
    session.replay.accept(counter);
    return { ok: true, datagram: plain, salt: saltHex };
  }

  /** Drops `slot`'s oldest session; it and anything that started before it are never taken again. */
  #dropOldest(slot: Peer): void {
    let oldest: [string, Session] | null = null;
    for (const entry of slot.sessions) {
      if (oldest === null || entry[1].startMs < oldest[1].startMs) oldest = entry;
    }
    if (oldest === null) return;
    slot.sessions.delete(oldest[0]);
    slot.floorMs = Math.max(slot.floorMs, oldest[1].startMs);
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
