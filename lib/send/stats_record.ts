/**
 * The sender's `--stats-json` object: the per-second report (lib/stats/sender_report.ts) and the
 * loss-recovery counters of this run, in the order consumers have always read them. Pure.
 *
 * @module
 */

import type { SenderLinkStats, SenderReport } from "../stats/mod.ts";
import type { PictureStageStats } from "./picture_stage.ts";
import type { createPacketizer } from "../wire/mod.ts";
import type { RetransmitHistory } from "../wire/v1/mod.ts";
import type { NackOpenCounters } from "./nack_opener.ts";

/** The parity a v1 packetizer added (the counters `createPacketizer` returns). */
export type ParityCounters = ReturnType<typeof createPacketizer>["fecCounters"];

/** What this run did to recover losses; null where that part is off. */
export interface SenderRecovery {
  /** Parity sent (`--fec`), or null without FEC. */
  fec: Readonly<ParityCounters> | null;
  /** NACKs answered from the history, or null when NACKs are not answered. */
  retransmit: Readonly<RetransmitHistory["counters"]> | null;
  /** NACKs refused under `--key`, by reason, or null without a key. */
  nacksRefused: Readonly<NackOpenCounters> | null;
  /** Times ffmpeg was started again (`--retry`). */
  captureRestarts: number;
}

/** What link fitting did (`--adapt`, `--max-rate`); null where it is off. */
export interface SenderFitting {
  /** The link as the sender sees it: receivers, target, picture and why (lib/stats). */
  link: SenderLinkStats | null;
  /** What the picture stage did: frames passed, re-encoded, dropped for the rate, and timings. */
  picture: PictureStageStats | null;
}

/** One `--stats-json` line of the sender, before `JSON.stringify`. */
export type SenderStatsRecord = SenderReport & SenderRecovery & SenderFitting;

/**
 * The `--stats-json` object: `summary`'s fields, then fec, retransmit, nacksRefused and
 * captureRestarts, then link and picture (null without link fitting). Counters are copied, so the
 * record stays as it was when built.
 *
 * @example
 * ```ts
 * import { senderStatsRecord } from "./stats_record.ts";
 *
 * const record = senderStatsRecord(
 *   {
 *     elapsedS: 1,
 *     framesRead: 30,
 *     framesSent: 30,
 *     framesSkipped: 0,
 *     framesTooLarge: 0,
 *     datagramsSent: 300,
 *     bytesSent: 360_000,
 *     sendErrors: 0,
 *     fps: 30,
 *     mbps: 2.88,
 *   },
 *   { fec: null, retransmit: null, nacksRefused: null, captureRestarts: 0 },
 * );
 * const tail = '"mbps":2.88,"fec":null,"retransmit":null,"nacksRefused":null,' +
 *   '"captureRestarts":0,"link":null,"picture":null}';
 * if (!JSON.stringify(record).endsWith(tail)) throw new Error(JSON.stringify(record));
 * ```
 */
export function senderStatsRecord(
  summary: SenderReport,
  recovery: SenderRecovery,
  fitting: SenderFitting = { link: null, picture: null },
): SenderStatsRecord {
  return {
    ...summary,
    fec: recovery.fec === null ? null : { ...recovery.fec },
    retransmit: recovery.retransmit === null ? null : { ...recovery.retransmit },
    nacksRefused: recovery.nacksRefused === null ? null : { ...recovery.nacksRefused },
    captureRestarts: recovery.captureRestarts,
    link: fitting.link === null ? null : structuredClone(fitting.link),
    picture: fitting.picture === null ? null : { ...fitting.picture },
  };
}
