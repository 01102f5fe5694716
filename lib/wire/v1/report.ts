/**
 * The receiver report (wire v1, type 3): what one receiver saw of the link since its previous
 * report, sent from its listening socket to the stream's source a few times a second and early
 * on loss. The sender's congestion controller (lib/adapt/congestion_controller.ts) turns it into
 * a target rate. Pure: encode and decode, no I/O.
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+---------------+---------------+
 * |  magic 0x55   |  magic 0x43   |  version = 1  |   type = 3    |
 * +---------------+---------------+---------------+---------------+
 * |   flags = 0   | delay samples |          interval ms          |
 * +---------------+---------------+---------------+---------------+
 * |                           stream id                           |
 * +---------------+---------------+---------------+---------------+
 * |                        report sequence                        |
 * +---------------+---------------+---------------+---------------+
 * |                 datagrams received, cumulative                |
 * +---------------+---------------+---------------+---------------+
 * |                   datagrams lost, cumulative                  |
 * +---------------+---------------+---------------+---------------+
 * |                  frames completed, cumulative                 |
 * +---------------+---------------+---------------+---------------+
 * |                    frames lost, cumulative                    |
 * +---------------+---------------+---------------+---------------+
 * |                datagrams received in the interval             |
 * +---------------+---------------+---------------+---------------+
 * |                 datagrams lost in the interval                |
 * +---------------+---------------+---------------+---------------+
 * |  frames completed in interval |   frames lost in interval     |
 * +---------------+---------------+---------------+---------------+
 * |                  bytes received in the interval               |
 * +---------------+---------------+---------------+---------------+
 * |                        echo frame sequence                    |
 * +---------------+---------------+---------------+---------------+
 * |              echo capture time, low 32 bits of the µs         |
 * +---------------+---------------+---------------+---------------+
 * |                            hold µs                            |
 * +---------------+---------------+---------------+---------------+
 * |                        queue delay µs                         |
 * +---------------+---------------+---------------+---------------+
 * |               delay trend µs per second (signed)              |
 * +---------------+---------------+---------------+---------------+
 * ```
 *
 * Exactly {@linkcode LINK_REPORT_BYTES} bytes, all integers big-endian. Cumulative counters wrap
 * at 2^32; the sender takes their differences modulo 2^32, so a lost report loses nothing. The
 * design and the meaning of every field are in docs/protocol.md, "Receiver report (type 3)".
 *
 * @module
 */

import { MAGIC_0, MAGIC_1, PacketType, WIRE_VERSION } from "./header.ts";

/** Datagram type of a receiver report (header byte 3): `PacketType.Report`. */
export const REPORT_TYPE: number = PacketType.Report;

/** Size of every receiver report datagram. */
export const LINK_REPORT_BYTES = 68;

/**
 * Bytes a sealed report keeps in clear (magic, version, type, flags, delay samples, interval,
 * stream id, report sequence), as a NACK keeps its 16 fixed bytes.
 */
export const LINK_REPORT_CLEAR_BYTES = 16;

/** Longest interval a report may cover: a receiver silent longer has nothing current to say. */
export const MAX_REPORT_INTERVAL_MS = 60_000;

/** Highest receive rate a report may claim; above it the figure is absurd for udpcam. */
export const MAX_REPORT_RATE_BPS = 10_000_000_000;

/** Smallest datagram a receiver counts (30-byte header + 1 byte of payload). */
export const MIN_COUNTED_DATAGRAM_BYTES = 31;

/** Largest queue delay or hold time a report may carry, in µs (60 s). */
export const MAX_REPORT_DELAY_US = 60_000_000;

/** Largest delay trend a report may carry, either sign, in µs/s (a queue growing 100 s/s). */
export const MAX_DELAY_TREND_US_PER_S = 100_000_000;

/** What a receiver saw of the link; see the module docs for the layout. */
export interface LinkReport {
  /** The stream reported on (the followed stream's id). */
  streamId: number;
  /** +1 per report of this stream, wrapping at 2^32: the sender ignores old and repeated ones. */
  reportSeq: number;
  /** Length of the interval since the previous report, 1..60000 ms. */
  intervalMs: number;
  /** Distinct original datagrams (data, parity; no retransmissions) received since the start. */
  totalDatagramsReceived: number;
  /** Original datagrams never received by the time their frame closed, since the stream began. */
  totalDatagramsLost: number;
  /** Frames completed since the stream began. */
  totalFramesCompleted: number;
  /** Frames given up or never seen (sequence gaps) since the stream began. */
  totalFramesLost: number;
  /** `totalDatagramsReceived` counted in this interval only. */
  datagramsReceived: number;
  /** `totalDatagramsLost` counted in this interval only. */
  datagramsLost: number;
  /** Frames completed in this interval (delivered frame rate = this / interval). */
  framesCompleted: number;
  /** Frames lost in this interval. */
  framesLost: number;
  /** Bytes of every datagram of the stream received in this interval (retransmissions too). */
  bytesReceived: number;
  /** The newest frame seen, for the sender's round-trip measurement. */
  echoFrameSeq: number;
  /** That frame's capture time (µs), low 32 bits: the sender checks the echo is its frame. */
  echoCaptureUsLow: number;
  /** Time from that frame's first datagram arriving to this report being built, µs. */
  holdUs: number;
  /** Newest frame's one-way delay above the smallest seen lately, µs (0 without samples). */
  queueDelayUs: number;
  /** Slope of the smoothed one-way delay over recent frames, µs per second (0 without samples). */
  delayTrendUsPerS: number;
  /** Frames behind the delay figures since the trend last started, 0..255; 0: no delay figures. */
  delaySamples: number;
}

/** Why {@linkcode decodeLinkReport} refused a datagram; each is a counter on the sender. */
export type LinkReportDecodeFailure =
  | "short"
  | "length"
  | "magic"
  | "version"
  | "type"
  | "flags"
  | "interval"
  | "counts"
  | "rate"
  | "delay"
  | "hold";

/** Every {@linkcode LinkReportDecodeFailure}, for zeroed counter records. */
export const LINK_REPORT_DECODE_FAILURES: readonly LinkReportDecodeFailure[] = [
  "short",
  "length",
  "magic",
  "version",
  "type",
  "flags",
  "interval",
  "counts",
  "rate",
  "delay",
  "hold",
];

/** Result of {@linkcode decodeLinkReport}. */
export type LinkReportDecodeResult =
  | { ok: true; report: LinkReport }
  | { ok: false; reason: LinkReportDecodeFailure };

interface Problem {
  reason: LinkReportDecodeFailure;
  detail: string;
}

const U32 = 0xffff_ffff;
const U16 = 0xffff;
/** Most datagrams of at least 31 bytes 10 Gbit/s carries in one millisecond. */
const MAX_DATAGRAMS_PER_MS = Math.ceil(MAX_REPORT_RATE_BPS / 1000 / 8 / MIN_COUNTED_DATAGRAM_BYTES);

function isUint(value: number, max: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= max;
}

function problemOf(report: LinkReport): Problem | null {
  const r = report;
  const u32Fields = [
    r.streamId,
    r.reportSeq,
    r.totalDatagramsReceived,
    r.totalDatagramsLost,
    r.totalFramesCompleted,
    r.totalFramesLost,
    r.datagramsReceived,
    r.datagramsLost,
    r.bytesReceived,
    r.echoFrameSeq,
    r.echoCaptureUsLow,
  ];
  if (!u32Fields.every((value) => isUint(value, U32))) {
    return { reason: "counts", detail: "a 32-bit field is not a whole number in 0..2^32-1" };
  }
  if (!isUint(r.framesCompleted, U16) || !isUint(r.framesLost, U16)) {
    return { reason: "counts", detail: "a frame count of the interval is not in 0..65535" };
  }
  if (!isUint(r.intervalMs, MAX_REPORT_INTERVAL_MS) || r.intervalMs === 0) {
    return {
      reason: "interval",
      detail: `interval ${r.intervalMs} ms is not in 1..${MAX_REPORT_INTERVAL_MS}`,
    };
  }
  // What happened in the interval is part of what happened since the start. (Right at the 2^32
  // wrap of a cumulative counter, after days of streaming, one report is refused: harmless.)
  const pairs: [number, number, string][] = [
    [r.datagramsReceived, r.totalDatagramsReceived, "datagrams received"],
    [r.datagramsLost, r.totalDatagramsLost, "datagrams lost"],
    [r.framesCompleted, r.totalFramesCompleted, "frames completed"],
    [r.framesLost, r.totalFramesLost, "frames lost"],
  ];
  for (const [interval, total, name] of pairs) {
    if (interval > total) {
      return { reason: "counts", detail: `${name} in the interval (${interval}) exceed the total` };
    }
  }
  if (r.datagramsReceived + r.datagramsLost > MAX_DATAGRAMS_PER_MS * r.intervalMs) {
    return { reason: "counts", detail: "more datagrams than 10 Gbit/s carries in the interval" };
  }
  if (r.bytesReceived < r.datagramsReceived * MIN_COUNTED_DATAGRAM_BYTES) {
    return {
      reason: "counts",
      detail: `${r.bytesReceived} bytes cannot hold ${r.datagramsReceived} datagrams`,
    };
  }
  if ((r.bytesReceived * 8 * 1000) / r.intervalMs > MAX_REPORT_RATE_BPS) {
    return { reason: "rate", detail: "the receive rate exceeds 10 Gbit/s" };
  }
  if (!isUint(r.holdUs, MAX_REPORT_DELAY_US)) {
    return { reason: "hold", detail: `hold ${r.holdUs} µs is not in 0..${MAX_REPORT_DELAY_US}` };
  }
  if (
    !isUint(r.delaySamples, 255) || !isUint(r.queueDelayUs, MAX_REPORT_DELAY_US) ||
    !Number.isInteger(r.delayTrendUsPerS) ||
    Math.abs(r.delayTrendUsPerS) > MAX_DELAY_TREND_US_PER_S
  ) {
    return { reason: "delay", detail: "a delay figure is out of range" };
  }
  if (r.delaySamples === 0 && (r.queueDelayUs !== 0 || r.delayTrendUsPerS !== 0)) {
    return { reason: "delay", detail: "delay figures without delay samples" };
  }
  return null;
}

/**
 * Returns the reason {@linkcode decodeLinkReport} would refuse `report` for, or null when it is
 * valid: for a report that did not come through the decoder.
 */
export function linkReportRefusal(report: LinkReport): LinkReportDecodeFailure | null {
  return problemOf(report)?.reason ?? null;
}

/** Returns why `report` cannot be sent (phrased for an error message), or null when it is valid. */
export function linkReportProblem(report: LinkReport): string | null {
  return problemOf(report)?.detail ?? null;
}

/**
 * Encodes `report` as a datagram of {@linkcode LINK_REPORT_BYTES} bytes.
 *
 * @throws {RangeError} when a figure is out of range (see {@linkcode linkReportProblem}); the
 * report builder never produces one.
 */
export function encodeLinkReport(report: LinkReport): Uint8Array {
  const problem = problemOf(report);
  if (problem !== null) {
    throw new RangeError(
      `Cannot encode receiver report: ${problem.detail}. Build reports with ReportBuilder.`,
    );
  }
  const out = new Uint8Array(LINK_REPORT_BYTES);
  const view = new DataView(out.buffer);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = WIRE_VERSION;
  out[3] = REPORT_TYPE;
  out[4] = 0;
  out[5] = report.delaySamples;
  view.setUint16(6, report.intervalMs);
  view.setUint32(8, report.streamId);
  view.setUint32(12, report.reportSeq);
  view.setUint32(16, report.totalDatagramsReceived);
  view.setUint32(20, report.totalDatagramsLost);
  view.setUint32(24, report.totalFramesCompleted);
  view.setUint32(28, report.totalFramesLost);
  view.setUint32(32, report.datagramsReceived);
  view.setUint32(36, report.datagramsLost);
  view.setUint16(40, report.framesCompleted);
  view.setUint16(42, report.framesLost);
  view.setUint32(44, report.bytesReceived);
  view.setUint32(48, report.echoFrameSeq);
  view.setUint32(52, report.echoCaptureUsLow);
  view.setUint32(56, report.holdUs);
  view.setUint32(60, report.queueDelayUs);
  view.setInt32(64, report.delayTrendUsPerS);
  return out;
}

/**
 * Decodes and validates a receiver report; never throws. A datagram that is not exactly a
 * report, or whose figures are absurd (interval counts above the totals, a rate above 10 Gbit/s,
 * an interval of 0 or above 60 s, delays above 60 s), is refused with the reason to count.
 *
 * @example
 * ```ts
 * import { decodeLinkReport, encodeLinkReport, type LinkReport } from "./report.ts";
 *
 * const report: LinkReport = {
 *   streamId: 0xdeadbeef, reportSeq: 7, intervalMs: 200,
 *   totalDatagramsReceived: 10_000, totalDatagramsLost: 120, totalFramesCompleted: 290,
 *   totalFramesLost: 3, datagramsReceived: 200, datagramsLost: 10, framesCompleted: 5,
 *   framesLost: 1, bytesReceived: 236_000, echoFrameSeq: 0x01020304, echoCaptureUsLow: 1,
 *   holdUs: 12_500, queueDelayUs: 4_250, delayTrendUsPerS: -1_500, delaySamples: 20,
 * };
 * const datagram = encodeLinkReport(report);
 * console.log(datagram.length, decodeLinkReport(datagram).ok); // 68 true
 * datagram[4] = 0x80; // an unknown flag
 * console.log(decodeLinkReport(datagram)); // { ok: false, reason: "flags" }
 * ```
 */
export function decodeLinkReport(datagram: Uint8Array): LinkReportDecodeResult {
  if (datagram.length < LINK_REPORT_BYTES) return { ok: false, reason: "short" };
  if (datagram[0] !== MAGIC_0 || datagram[1] !== MAGIC_1) return { ok: false, reason: "magic" };
  if (datagram[2] !== WIRE_VERSION) return { ok: false, reason: "version" };
  if (datagram[3] !== REPORT_TYPE) return { ok: false, reason: "type" };
  if (datagram[4] !== 0) return { ok: false, reason: "flags" };
  if (datagram.length !== LINK_REPORT_BYTES) return { ok: false, reason: "length" };
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.length);
  const report: LinkReport = {
    delaySamples: datagram[5],
    intervalMs: view.getUint16(6),
    streamId: view.getUint32(8),
    reportSeq: view.getUint32(12),
    totalDatagramsReceived: view.getUint32(16),
    totalDatagramsLost: view.getUint32(20),
    totalFramesCompleted: view.getUint32(24),
    totalFramesLost: view.getUint32(28),
    datagramsReceived: view.getUint32(32),
    datagramsLost: view.getUint32(36),
    framesCompleted: view.getUint16(40),
    framesLost: view.getUint16(42),
    bytesReceived: view.getUint32(44),
    echoFrameSeq: view.getUint32(48),
    echoCaptureUsLow: view.getUint32(52),
    holdUs: view.getUint32(56),
    queueDelayUs: view.getUint32(60),
    delayTrendUsPerS: view.getInt32(64),
  };
  const problem = problemOf(report);
  return problem === null ? { ok: true, report } : { ok: false, reason: problem.reason };
}

/** Low 32 bits of a capture time in µs (below 2^53), as a report echoes it. */
export function captureUsLow32(captureUs: number): number {
  return captureUs % 0x1_0000_0000;
}
