/**
 * `--key` on the sender's sockets: every datagram is sealed just before it is sent, so each copy
 * (first sends and NACK retransmissions alike) gets a fresh counter, hence a fresh nonce; and
 * NACKs coming back must be sealed by a receiver that knows the key.
 *
 * @module
 */

import { DatagramOpener, DatagramSealer } from "../crypto/mod.ts";
import { Flags } from "../wire/v1/mod.ts";

/** What the sealing wrapper sends through: {@linkcode MultiDestinationSender} fits. */
export interface DatagramSockets {
  /** Sends to every destination. */
  send(datagram: Uint8Array): Promise<void>;
  /** Optional: sends several, in order, to every destination (see `DatagramSink`). */
  sendBurst?(datagrams: readonly Uint8Array[]): Promise<void>;
  /** Sends to destination `index` only. */
  sendTo(datagram: Uint8Array, index: number): Promise<void>;
  /** Sends the OS refused. */
  readonly sendErrors: number;
}

/** Seals, then sends. Same interface as the sockets it wraps. */
export class SealingSender implements DatagramSockets {
  readonly #sockets: DatagramSockets;
  readonly #sealer: DatagramSealer;

  /**
   * Makes a sender that seals every datagram before it leaves.
   *
   * @param sockets Where sealed datagrams go.
   * @param sealer This run's session sealer.
   */
  constructor(sockets: DatagramSockets, sealer: DatagramSealer) {
    this.#sockets = sockets;
    this.#sealer = sealer;
  }

  /** Datagrams sealed so far (the next nonce counter). */
  get sealed(): number {
    return this.#sealer.counter;
  }

  /** Sends the OS refused. */
  get sendErrors(): number {
    return this.#sockets.sendErrors;
  }

  /** Seals `datagram` and sends it to every destination (one seal: all get the same copy). */
  async send(datagram: Uint8Array): Promise<void> {
    await this.#sockets.send(await this.#sealer.seal(datagram));
  }

  /**
   * Seals each of `datagrams` (counters in order, the seals running at the same time) and sends
   * them as a burst when the sockets can, else one by one.
   */
  async sendBurst(datagrams: readonly Uint8Array[]): Promise<void> {
    const sealed = await Promise.all(datagrams.map((datagram) => this.#sealer.seal(datagram)));
    if (this.#sockets.sendBurst !== undefined) return await this.#sockets.sendBurst(sealed);
    for (const datagram of sealed) await this.#sockets.send(datagram);
  }

  /** Seals `datagram` and sends it to destination `index`. */
  async sendTo(datagram: Uint8Array, index: number): Promise<void> {
    await this.#sockets.sendTo(await this.#sealer.seal(datagram), index);
  }
}

/** Why the sender refused a NACK under `--key`; each is a counter. */
export interface NackOpenCounters {
  /** NACKs sent in the clear to a keyed sender. */
  unauthenticated: number;
  /** Sealed NACKs whose receiver session key was still being derived. */
  keyPending: number;
  /** Sealed NACKs that failed authentication. */
  authFailed: number;
  /** Sealed NACKs seen before. */
  replay: number;
}

/** Opens sealed NACKs for a keyed sender; plain ones are refused (and counted). */
export class NackOpener {
  readonly #opener: DatagramOpener;
  /** Refused NACKs by reason. */
  readonly counters: NackOpenCounters = {
    unauthenticated: 0,
    keyPending: 0,
    authFailed: 0,
    replay: 0,
  };

  /**
   * Makes an opener for NACKs sealed with `key`.
   *
   * @param key The shared passphrase.
   * @param iterations PBKDF2 iterations (tests use fewer).
   */
  constructor(key: string, iterations?: number) {
    this.#opener = new DatagramOpener(key, iterations === undefined ? {} : { iterations });
  }

  /** The plain NACK inside `datagram`, or null (counted) when it cannot be trusted. */
  async open(datagram: Uint8Array, nowMs: number): Promise<Uint8Array | null> {
    if (datagram.length < 5 || (datagram[4] & Flags.Encrypted) === 0) {
      this.counters.unauthenticated++;
      return null;
    }
    const result = await this.#opener.open(datagram.slice(), nowMs);
    if (result.ok) return result.datagram;
    if (result.reason === "keyPending" || result.reason === "replay") {
      this.counters[result.reason]++;
    } else this.counters.authFailed++;
    return null;
  }
}
