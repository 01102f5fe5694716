/**
 * What link fitting shows, on both sides: the `link` object of `--stats-json` and its part of the
 * status line. The receiver says what it reports (loss, delivered frame rate, delay, reports
 * sent); the sender what it hears from each receiver and what it made of it (the link's
 * estimate, the rate it sends at, the picture it chose and why). Pure: figures in, text out.
 *
 * @module
 */

/** The receiver's side: what its last receiver report said, and how many went out. */
export interface ReceiverLinkStats {
  /** Reports sent since the start. */
  reportsSent: number;
  /** Reports the OS refused to send. */
  reportSendErrors: number;
  /** Where reports go (the stream's established source, "host:port"), or null: none yet. */
  to: string | null;
  /** Datagram loss in the last report's interval, percent (to 0.1), or null before one. */
  lossPercent: number | null;
  /** Frames completed per second in that interval, or null. */
  deliveredFps: number | null;
  /** Bytes received in that interval, as Mbit/s, or null. */
  receiveMbps: number | null;
  /** The queue delay it reported, ms (to 0.1), or null without delay samples. */
  queueDelayMs: number | null;
  /** The delay trend it reported, ms per second (to 0.1), or null without delay samples. */
  delayTrendMsPerS: number | null;
}

/** One receiver as the sender hears it. */
export interface LinkReceiverStats {
  /** Its address, "host:port". */
  address: string;
  /** Its congestion controller's state (waiting, probe, increase, hold, decrease, ...). */
  state: string;
  /** Its controller's target, Mbit/s (to 0.01), or null while unbounded. */
  targetMbps: number | null;
  /** Datagram loss in its last accepted report, percent (to 0.1), or null before one. */
  lossPercent: number | null;
  /** Smoothed round trip, ms (to 0.1), or null before the first echo. */
  rttMs: number | null;
  /** Frames it completed per second in its last report, or null. */
  deliveredFps: number | null;
  /** What arrived there per second in its last report, Mbit/s (to 0.01), or null. */
  receiveMbps: number | null;
  /** The queue delay it reported, ms (to 0.1), or null. */
  queueDelayMs: number | null;
  /** Seconds since its last accepted report (to 0.1), or null: none yet. */
  silentS: number | null;
  /** Reports accepted from it. */
  reportsAccepted: number;
}

/** The picture the ladder chose, and why. */
export interface LinkPictureStats {
  /** JPEG quality of the rung. */
  quality: number;
  /** Frames per second of the rung. */
  fps: number;
  /** Picture size as a share of the source's width and height. */
  scale: number;
  /** Why, e.g. "link 3.8 Mbit/s: q 40, 20 fps". */
  reason: string;
}

/** The sender's side: what it hears, its estimate, its rate, its picture. */
export interface SenderLinkStats {
  /** `--adapt`: whether reports steer the stream. */
  adapt: boolean;
  /** `--max-rate` in Mbit/s, or null. */
  maxRateMbps: number | null;
  /** The rate the stream is held to (all bytes), Mbit/s (to 0.01), or null: unbounded. */
  targetMbps: number | null;
  /** The controller's state for the stream (the slowest receiver's, or the group rule's). */
  state: string;
  /** One line saying why, e.g. "decrease: queue 27 ms, rising; 4.0 Mbit/s arrived → 3.4 Mbit/s". */
  reason: string;
  /** The picture chosen, or null without a ladder (`--adapt off`, no re-encoding and no fps). */
  picture: LinkPictureStats | null;
  /** The receivers that reported, at most 16. */
  receivers: LinkReceiverStats[];
  /** Seconds since any receiver's last report (to 0.1), or null: none ever reported. */
  silentS: number | null;
  /** Reports that changed nothing, by reason (malformed, stranger, stale, absurd...). */
  reportsRefused: Record<string, number>;
  /** Frames the rate budget skipped: the link was full. */
  framesSkipped: number;
  /** Retransmitted bytes the rate budget refused (repairs share the target). */
  repairBytesRefused: number;
  /** Padding bytes sent to show the link carries the next rung. */
  paddingBytes: number;
}

/** A sender silent receivers are reported after this long ("no receiver heard for N s"). */
export const RECEIVER_SILENCE_S = 3;

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

/**
 * The receiver's part of the status line, e.g. " | reports 42 to 10.0.0.2:40000: loss 1.2 %,
 * 20.0 fps, queue 3.5 ms"; "" before any report.
 *
 * @example
 * ```ts
 * import { formatReceiverLink } from "./link_report.ts";
 *
 * const text = formatReceiverLink({
 *   reportsSent: 42, reportSendErrors: 0, to: "10.0.0.2:40000", lossPercent: 1.2,
 *   deliveredFps: 20, receiveMbps: 3.8, queueDelayMs: 3.5, delayTrendMsPerS: 0.4,
 * });
 * if (text !== " | reports 42 to 10.0.0.2:40000: loss 1.2 %, 20.0 fps, queue 3.5 ms") {
 *   throw new Error(text);
 * }
 * ```
 */
export function formatReceiverLink(stats: ReceiverLinkStats | null): string {
  if (stats === null || stats.reportsSent === 0 || stats.to === null) return "";
  const parts = [
    stats.lossPercent === null ? null : `loss ${fixed(stats.lossPercent, 1)} %`,
    stats.deliveredFps === null ? null : `${fixed(stats.deliveredFps, 1)} fps`,
    stats.queueDelayMs === null ? null : `queue ${fixed(stats.queueDelayMs, 1)} ms`,
  ].filter((part) => part !== null);
  const errors = stats.reportSendErrors > 0 ? ` (${stats.reportSendErrors} not sent)` : "";
  return ` | reports ${stats.reportsSent} to ${stats.to}${errors}: ${parts.join(", ")}`;
}

function receiverText(receiver: LinkReceiverStats): string {
  const parts = [
    receiver.lossPercent === null ? null : `loss ${fixed(receiver.lossPercent, 1)} %`,
    receiver.rttMs === null ? null : `RTT ${Math.round(receiver.rttMs)} ms`,
    receiver.deliveredFps === null ? null : `${fixed(receiver.deliveredFps, 1)} fps`,
  ].filter((part) => part !== null);
  return `${receiver.address}: ${parts.length === 0 ? "no report" : parts.join(", ")}`;
}

/**
 * The sender's part of the status line: the picture and why, then each receiver heard from (at
 * most `maxReceivers`, the rest counted), or how long no receiver was heard; "" when there is
 * nothing to say (`--adapt off` without `--max-rate`).
 *
 * @example
 * ```ts
 * import { formatSenderLink, type SenderLinkStats } from "./link_report.ts";
 *
 * const stats: SenderLinkStats = {
 *   adapt: true, maxRateMbps: null, targetMbps: 3.8, state: "hold", reason: "hold: loss 3 %",
 *   picture: { quality: 40, fps: 20, scale: 1, reason: "link 3.8 Mbit/s: q 40, 20 fps" },
 *   receivers: [{
 *     address: "10.0.0.2:5000", state: "hold", targetMbps: 3.8, lossPercent: 1.2, rttMs: 42,
 *     deliveredFps: 20, receiveMbps: 3.5, queueDelayMs: 4, silentS: 0.1, reportsAccepted: 50,
 *   }],
 *   silentS: 0.1, reportsRefused: {}, framesSkipped: 0, repairBytesRefused: 0, paddingBytes: 0,
 * };
 * const text = formatSenderLink(stats);
 * if (text !== " | link 3.8 Mbit/s: q 40, 20 fps | 10.0.0.2:5000: loss 1.2 %, RTT 42 ms, 20.0 fps") {
 *   throw new Error(text);
 * }
 * ```
 */
export function formatSenderLink(stats: SenderLinkStats | null, maxReceivers = 2): string {
  if (stats === null) return "";
  const what = stats.picture !== null
    ? stats.picture.reason
    : stats.targetMbps === null
    ? null
    : `held to ${fixed(stats.targetMbps, 2)} Mbit/s`;
  const parts = what === null ? [] : [what];
  if (stats.adapt) {
    if (stats.silentS === null) parts.push("no receiver report yet");
    else if (stats.silentS >= RECEIVER_SILENCE_S) {
      parts.push(`no receiver heard for ${Math.floor(stats.silentS)} s`);
    } else {
      const heard = stats.receivers.filter((r) =>
        r.silentS !== null && r.silentS < RECEIVER_SILENCE_S
      );
      parts.push(...heard.slice(0, maxReceivers).map(receiverText));
      if (heard.length > maxReceivers) parts.push(`${heard.length - maxReceivers} more`);
    }
  }
  return parts.length === 0 ? "" : ` | ${parts.join(" | ")}`;
}
