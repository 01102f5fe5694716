/**
 * The receiver's half of link fitting: the datagrams and frames of the followed v1 stream go in,
 * encoded receiver reports (lib/wire/v1/report.ts) come out when they are due, and the figures of
 * the last one for `--stats-json`. Pure: datagrams, sizes and `nowMs` in; the receive worker seals
 * and sends the reports to the stream's established source (lib/receive/reply_target.ts).
 *
 * What is counted, and when a report is due, is lib/adapt/report_builder.ts's; this feeds it the
 * header the depacketizer decoded (`onHeader`; `onDatagram` decodes one itself), and turns the reassembler's frame drops, read as a
 * counter, into the builder's frames lost.
 *
 * @example
 * ```ts
 * import { LinkReporter } from "./link_reporter.ts";
 * import { fragmentFrame } from "../wire/v1/mod.ts";
 *
 * const reporter = new LinkReporter();
 * const frame = new Uint8Array(3000);
 * const datagrams = fragmentFrame(frame, { streamId: 7, frameSeq: 0, captureUs: 1e15 }, 1030);
 * for (const datagram of datagrams) reporter.onDatagram(datagram, datagram.length, 5);
 * reporter.onFrames({ completed: 1, dropped: 0 }, 5);
 * const report = reporter.poll(205); // 200 ms after the stream's first datagram
 * console.log(report?.length, reporter.stats("10.0.0.2:5000").deliveredFps); // 68 5
 * ```
 *
 * @module
 */

import {
  decodeHeader,
  encodeLinkReport,
  type LinkReport,
  PacketType,
  type ParityFields,
  readParityFields,
  type WireHeader,
} from "../wire/v1/mod.ts";
import {
  type DelayTrendOptions,
  ReportBuilder,
  type ReportBuilderCounters,
  type ReportBuilderOptions,
} from "../adapt/mod.ts";
import { round2 } from "../stats/mod.ts";
import type { ReceiverLinkStats } from "../stats/mod.ts";

// The types this module's API speaks in, so its documentation can name them.
export type { DelayTrendOptions, ReceiverLinkStats, ReportBuilderCounters, ReportBuilderOptions };

/** What a {@linkcode LinkReporter} has done besides the builder's counters. */
export interface LinkReporterCounters {
  /** Reports handed out by `poll`. */
  reportsBuilt: number;
  /** Datagrams given that were no fragment or parity (not counted). */
  notMedia: number;
}

/** Builds the followed stream's receiver reports; see the module docs. */
export class LinkReporter {
  readonly #builder: ReportBuilder;
  #last: LinkReport | null = null;
  /** Counters since construction. */
  readonly counters: LinkReporterCounters = { reportsBuilt: 0, notMedia: 0 };

  /**
   * A reporter following no stream yet (the first datagram picks it).
   *
   * @param options Overrides of the report builder's defaults (when and how often).
   */
  constructor(options: Partial<ReportBuilderOptions> = {}) {
    this.#builder = new ReportBuilder(options);
  }

  /** The report builder's counters (reports built, early, rate-limited, datagrams ignored...). */
  get builderCounters(): ReportBuilderCounters {
    return this.#builder.counters;
  }

  /**
   * Feeds one datagram of the followed stream, opened (plain v1), that arrived at `nowMs` and
   * took `wireBytes` on the wire (sealed size under `--key`, so the receive rate counts what the
   * link carried).
   */
  onDatagram(datagram: Uint8Array, wireBytes: number, nowMs: number): void {
    const decoded = decodeHeader(datagram);
    if (!decoded.ok) {
      this.counters.notMedia++;
      return;
    }
    const parity = decoded.header.type === PacketType.Parity ? readParityFields(datagram) : null;
    this.onHeader(decoded.header, parity, wireBytes, nowMs);
  }

  /**
   * The same for a datagram the depacketizer already decoded (the receive worker's path): its
   * header, and its parity fields when it is parity.
   */
  onHeader(
    header: WireHeader,
    parity: ParityFields | null,
    wireBytes: number,
    nowMs: number,
  ): void {
    if (header.type !== PacketType.Fragment && header.type !== PacketType.Parity) {
      this.counters.notMedia++;
      return;
    }
    this.#builder.onDatagram(header, wireBytes, nowMs, parity);
  }

  /** Counts frames completed and given up since the last call, at `nowMs`. */
  onFrames(frames: { completed: number; dropped: number }, nowMs: number): void {
    for (let i = 0; i < frames.completed; i++) this.#builder.onFrameComplete(0, nowMs);
    for (let i = 0; i < frames.dropped; i++) this.#builder.onFrameDropped(0, nowMs);
  }

  /** The encoded report due at `nowMs`, or null. */
  poll(nowMs: number): Uint8Array | null {
    const report = this.#builder.poll(nowMs);
    if (report === null) return null;
    this.#last = report;
    this.counters.reportsBuilt++;
    return encodeLinkReport(report);
  }

  /** When `poll` next may have something to do, or null (no stream, or it is silent). */
  nextPollMs(): number | null {
    return this.#builder.nextPollMs();
  }

  /**
   * The figures of the last report for `--stats-json`, with where reports go (`to`) and how many
   * were sent and refused by the OS (`sent`, `sendErrors`; the worker counts those).
   */
  stats(to: string | null, sent = this.counters.reportsBuilt, sendErrors = 0): ReceiverLinkStats {
    const r = this.#last;
    const counted = r === null ? 0 : r.datagramsReceived + r.datagramsLost;
    const delay = r !== null && r.delaySamples > 0;
    return {
      reportsSent: sent,
      reportSendErrors: sendErrors,
      to,
      lossPercent: r === null
        ? null
        : counted === 0
        ? 0
        : round1((100 * r.datagramsLost) / counted),
      deliveredFps: r === null ? null : round1((r.framesCompleted * 1000) / r.intervalMs),
      receiveMbps: r === null ? null : round2((r.bytesReceived * 8) / (r.intervalMs * 1000)),
      queueDelayMs: delay ? round1(r!.queueDelayUs / 1000) : null,
      delayTrendMsPerS: delay ? round1(r!.delayTrendUsPerS / 1000) : null,
    };
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
