/**
 * `--key` on the sender's sockets: every datagram is sealed just before it is sent, so each copy
 * (first sends and NACK retransmissions alike) gets a fresh counter, hence a fresh nonce. NACKs
 * coming back are opened by lib/send/nack_opener.ts.
 *
 * @module
 */

import type { DatagramSealer } from "../crypto/mod.ts";

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
