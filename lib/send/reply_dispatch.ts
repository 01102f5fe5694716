/**
 * What comes back on the sender's sockets, by type: NACKs (type 2) go to the NACK responder,
 * receiver reports (type 3) to link fitting, anything else is counted and dropped. One place
 * decides, so a datagram is never handled twice or by the wrong part. Pure: datagrams in, calls
 * out.
 *
 * @module
 */

import { PacketType } from "../wire/v1/mod.ts";
import { formatHostPort, type HostPort, type ReplySource } from "../net/mod.ts";
import type { LinkFitter } from "../adapt/mod.ts";
import type { NackOpener } from "./nack_opener.ts";

/** Where each kind goes; `source` and `from` pass through as the sockets gave them. */
export interface ReplyHandlers<S, F> {
  /** A NACK. */
  nack(datagram: Uint8Array, source: S, from: F): void;
  /** A receiver report. */
  report(datagram: Uint8Array, source: S, from: F): void;
}

/** What a {@linkcode ReplyDispatcher} saw. */
export interface ReplyDispatchCounters {
  /** Datagrams handed to the NACK handler. */
  nacks: number;
  /** Datagrams handed to the report handler. */
  reports: number;
  /** Datagrams of another type, or too short to have one (dropped). */
  other: number;
}

/** Byte 3 of every v1 datagram is its type. */
const TYPE_OFFSET = 3;

/**
 * Routes replies by type; see the module docs.
 *
 * @example
 * ```ts
 * import { ReplyDispatcher } from "./reply_dispatch.ts";
 *
 * const seen: string[] = [];
 * const dispatch = new ReplyDispatcher<number, string>({
 *   nack: () => seen.push("nack"),
 *   report: () => seen.push("report"),
 * });
 * dispatch.receive(new Uint8Array([0x55, 0x43, 1, 3]), 0, "10.0.0.2:5000");
 * dispatch.receive(new Uint8Array([0x55, 0x43]), 0, "10.0.0.2:5000");
 * console.log(seen, dispatch.counters.other); // [ "report" ] 1
 * ```
 */
export class ReplyDispatcher<S, F> {
  readonly #handlers: ReplyHandlers<S, F>;
  /** Counters since construction. */
  readonly counters: ReplyDispatchCounters = { nacks: 0, reports: 0, other: 0 };

  /**
   * A dispatcher to `handlers`.
   *
   * @param handlers Where NACKs and reports go.
   */
  constructor(handlers: ReplyHandlers<S, F>) {
    this.#handlers = handlers;
  }

  /** Routes `datagram`, received from `source` (`from`), by its type. */
  receive(datagram: Uint8Array, source: S, from: F): void {
    const type = datagram.length > TYPE_OFFSET ? datagram[TYPE_OFFSET] : -1;
    if (type === PacketType.Nack) {
      this.counters.nacks++;
      this.#handlers.nack(datagram, source, from);
    } else if (type === PacketType.Report) {
      this.counters.reports++;
      this.#handlers.report(datagram, source, from);
    } else {
      this.counters.other++;
    }
  }
}

/** What {@linkcode senderReplies} routes to. */
export interface SenderRepliesOptions {
  /** Answers NACKs (lib/send/nack_responder.ts), opening them under `--key` itself. */
  nacks: { receive(datagram: Uint8Array, destination: number): unknown };
  /** Link fitting, or null: reports are then dropped (counted as reports, unused). */
  fitter: LinkFitter | null;
  /** Under `--key`: opens reports (apart from NACKs, so each kind's refusals count on its own). */
  reportOpener: NackOpener | null;
  /** The clock reports are taken at. */
  nowMs(): number;
}

/**
 * The sender's replies as the sockets give them (lib/io/multicast_socket.ts: the source rule of
 * lib/net/reply_source.ts already applied): NACKs to the responder at once, outside the frame
 * pacing; reports opened under the reporting destination's session, then to the fitter. A
 * stranger's report is refused unopened.
 */
export function senderReplies(
  options: SenderRepliesOptions,
): ReplyDispatcher<ReplySource, HostPort> {
  const { nacks, fitter, reportOpener, nowMs } = options;
  const take = (plain: Uint8Array, source: ReplySource, from: HostPort) => {
    if (fitter === null) return;
    const atMs = nowMs();
    fitter.onReport(plain, source, formatHostPort(from), atMs);
    fitter.tick(atMs);
  };
  return new ReplyDispatcher<ReplySource, HostPort>({
    nack: (datagram, source) => nacks.receive(datagram, source.destination),
    report: (datagram, source, from) => {
      if (fitter === null) return;
      if (source.destination < 0) return fitter.refuse("stranger");
      if (reportOpener === null) return take(datagram, source, from);
      reportOpener.open(datagram, nowMs(), source.destination).then((plain) => {
        if (plain !== null) take(plain, source, from);
      });
    },
  });
}
