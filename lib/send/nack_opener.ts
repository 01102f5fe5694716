/**
 * `--key` on the sender's NACK path: NACKs coming back must be sealed by a receiver that knows the
 * key; this opens them, and counts each one refused by reason. Pure but for WebCrypto (async):
 * the caller passes `nowMs`.
 *
 * @module
 */

import { DatagramOpener, type RootKey } from "../crypto/mod.ts";
import { Flags } from "../wire/v1/mod.ts";

/** Why the sender refused a NACK under `--key`; each is a counter. */
export interface NackOpenCounters {
  /** NACKs sent in the clear to a keyed sender. */
  unauthenticated: number;
  /** Sealed NACKs of a receiver session not tried yet (tries are rationed, one at a time per salt). */
  keyPending: number;
  /** Sealed NACKs that failed authentication. */
  authFailed: number;
  /** Sealed NACKs seen before. */
  replay: number;
  /**
   * Sealed NACKs of a receiver session older than every one kept for that destination (a
   * recording of an earlier receiver run, or more receivers than are kept).
   */
  staleSession: number;
  /** Sealed NACKs of another seal format (another udpcam version). */
  sealVersion: number;
}

/**
 * Receiver sessions kept per destination: a multicast group's receivers all answer to one
 * destination (the draft for receiver reports also takes at most 16 per group).
 */
const SESSIONS_PER_DESTINATION = 16;

/**
 * Opens sealed NACKs for a keyed sender; plain ones are refused (and counted).
 *
 * @example A plain NACK is refused under --key
 * ```ts
 * import { NackOpener } from "./nack_opener.ts";
 * import { RootKey } from "../crypto/mod.ts";
 *
 * const opener = new NackOpener(await RootKey.derive("correct horse battery staple", 1000));
 * const plain = new Uint8Array([0x55, 0x43, 1, 2, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 9]);
 * if (await opener.open(plain, 0) !== null) throw new Error("a plain NACK was let through");
 * if (opener.counters.unauthenticated !== 1) throw new Error("the refusal was not counted");
 * ```
 */
export class NackOpener {
  readonly #opener: DatagramOpener;
  /** Refused NACKs by reason. */
  readonly counters: NackOpenCounters = {
    unauthenticated: 0,
    keyPending: 0,
    authFailed: 0,
    replay: 0,
    staleSession: 0,
    sealVersion: 0,
  };

  /**
   * An opener for NACKs sealed under `root`; receivers' sessions are found as they show up.
   *
   * NACKs carry no time, so nothing here is refused as stale by the clock: a replayed NACK is
   * refused by its session's replay window, and sessions are kept per destination in the order
   * they started (lib/crypto/datagram_opener.ts), so a recording of older receiver sessions can
   * never push a live one out and reset its window. What an old NACK still names can only be
   * answered while its frame is in the retransmit history (300 ms), once per counter.
   *
   * @param root The run's root key (the same shared key as the receivers').
   * @param destinations How many `--to` destinations NACKs may come from.
   */
  constructor(root: RootKey, destinations = 1) {
    this.#opener = new DatagramOpener(root, {
      maxClockSkewMs: null,
      forgetAfterMs: null,
      peers: destinations,
      sessionsPerPeer: SESSIONS_PER_DESTINATION,
    });
  }

  /**
   * The plain NACK inside `datagram`, from destination `destination`, or null (counted) when it
   * cannot be trusted. `datagram` is copied before the first await, so the caller may reuse its
   * buffer at once.
   */
  async open(datagram: Uint8Array, nowMs: number, destination = 0): Promise<Uint8Array | null> {
    if (datagram.length < 5 || (datagram[4] & Flags.Encrypted) === 0) {
      this.counters.unauthenticated++;
      return null;
    }
    const result = await this.#opener.open(datagram.slice(), { nowMs }, destination);
    if (result.ok) return result.datagram;
    switch (result.reason) {
      case "keyPending":
      case "replay":
      case "staleSession":
      case "sealVersion":
        this.counters[result.reason]++;
        break;
      default:
        this.counters.authFailed++;
    }
    return null;
  }
}
