/**
 * What the sender does with a NACK that comes back on its sending sockets: a NACK from one of its
 * destinations (by the source rule of lib/net/reply_source.ts: its exact address and port, or a
 * member of a group) is answered from the retransmit history, out of that destination's own
 * budget, to that destination only; a NACK from anywhere else is refused and counted; under
 * `--key` a NACK must be sealed, and is opened first. With link fitting on, each retransmission
 * also needs the rate budget's leave (`repairGate`): repairs share the target with new frames.
 * The socket loop stays in lib/io; this holds the decisions. Pure but for opening sealed NACKs
 * (WebCrypto, async): the clock and the send come in as functions.
 *
 * @module
 */

import { RetransmitHistory } from "../wire/v1/mod.ts";

/** Opens a sealed NACK: the plain NACK, or null when it is refused (counted by the opener). */
export interface SealedNackOpener {
  /**
   * Opens a NACK from destination `destination`. Must copy `datagram` before its first await:
   * the socket reuses the buffer.
   */
  open(datagram: Uint8Array, nowMs: number, destination: number): Promise<Uint8Array | null>;
}

/** What a {@linkcode NackResponder} answers from and with. */
export interface NackResponderOptions {
  /**
   * The sent frames NACKs are answered from (its counters count every NACK it is given), or null
   * when NACKs are not answered (`--no-nack`, wire formats without them): all is ignored then.
   */
  history: RetransmitHistory | null;
  /** Under `--key`: opens sealed NACKs and refuses plain ones (lib/send/nack_opener.ts); else null. */
  opener: SealedNackOpener | null;
  /** The clock in ms, read when a NACK is opened and when it is answered. */
  nowMs: () => number;
  /** Sends one retransmitted datagram to destination `destination` only. */
  sendTo: (datagram: Uint8Array, destination: number) => void;
  /**
   * Whether a retransmitted datagram of `bytes` to `destination` may go at `nowMs` (the rate
   * budget, lib/adapt/rate_budget.ts), or absent: every answer goes.
   */
  repairGate?: (bytes: number, destination: number, nowMs: number) => boolean;
}

/**
 * Answers NACKs; see the module docs.
 *
 * @example A NACK from none of the destinations is refused and counted
 * ```ts
 * import { NackResponder } from "./nack_responder.ts";
 * import { encodeNack, RetransmitHistory } from "../wire/v1/mod.ts";
 *
 * const history = new RetransmitHistory(7);
 * const sent: number[] = [];
 * const responder = new NackResponder({
 *   history,
 *   opener: null,
 *   nowMs: () => 0,
 *   sendTo: (_datagram, destination) => sent.push(destination),
 * });
 * const nack = encodeNack({
 *   streamId: 7,
 *   frameSeq: 1,
 *   fragmentCount: 2,
 *   ranges: [{ first: 0, count: 1 }],
 * });
 * responder.receive(nack, -1);
 * if (history.counters.nacksInvalid !== 1 || sent.length !== 0) throw new Error("not refused");
 * ```
 */
export class NackResponder {
  readonly #options: NackResponderOptions;

  /**
   * A responder for one sender run.
   *
   * @param options The history, the opener under `--key`, the clock and the send.
   */
  constructor(options: NackResponderOptions) {
    this.#options = options;
  }

  /**
   * Handles `datagram`, received from destination `destination` (-1: from none of them). Plain
   * NACKs are answered before this returns; a sealed one once it is opened, and the promise
   * returned then settles after that (undefined otherwise).
   */
  receive(datagram: Uint8Array, destination: number): Promise<void> | undefined {
    const { history, opener, nowMs } = this.#options;
    if (history === null || !RetransmitHistory.isNack(datagram)) return undefined;
    if (destination < 0) {
      history.refuseUnknownSource();
      return undefined;
    }
    if (opener === null) {
      this.#answer(history, datagram, destination);
      return undefined;
    }
    return opener.open(datagram, nowMs(), destination).then((nack) => {
      if (nack !== null) this.#answer(history, nack, destination);
    });
  }

  #answer(history: RetransmitHistory, nack: Uint8Array, destination: number): void {
    const { nowMs, sendTo, repairGate } = this.#options;
    const atMs = nowMs();
    for (const copy of history.answer(nack, atMs, destination)) {
      if (repairGate !== undefined && !repairGate(copy.length, destination, atMs)) continue;
      sendTo(copy, destination);
    }
  }
}
