/**
 * The multicast rule: one stream, many receivers, one rate. The sender keeps a congestion
 * controller per reporting receiver (at most {@linkcode MAX_GROUP_RECEIVERS}) and sends at the
 * target of the slowest receiver that reported lately, ignoring receivers whose own target is
 * below `floorBps`: one receiver on a hopeless link must not drag the picture of all the others
 * down to nothing (it gets the floor-or-better stream and sees loss, and the others are
 * served). Pure: targets and `nowMs` in, one target and a reason out.
 *
 * @example
 * ```ts
 * import { groupTarget } from "./group_target.ts";
 *
 * const group = groupTarget([
 *   { key: "10.0.0.2:5000", targetBps: 8_000_000, lastReportMs: 900 },
 *   { key: "10.0.0.3:5000", targetBps: 3_500_000, lastReportMs: 950 },
 *   { key: "10.0.0.4:5000", targetBps: 300_000, lastReportMs: 990 }, // below the floor
 * ], 1000);
 * console.log(group.targetBps, group.slowest); // 3500000 10.0.0.3:5000
 * ```
 *
 * @module
 */

import { formatBps } from "./congestion_controller.ts";

/** Most receivers the sender keeps a controller for; others are not followed (counted). */
export const MAX_GROUP_RECEIVERS = 16;

/** One receiver's own target. */
export interface ReceiverTarget {
  /** The receiver ("address:port"). */
  key: string;
  /** Its controller's target. */
  targetBps: number;
  /** When its last accepted report arrived. */
  lastReportMs: number;
}

/** The rule's limits. */
export interface GroupTargetOptions {
  /** Receivers whose target is below this are not waited for. */
  floorBps: number;
  /** Receivers silent for longer than this are not counted. */
  staleMs: number;
}

/** Defaults: a 1 Mbit/s floor (below it the ladder is on its last rungs), reports within 3 s. */
export const DEFAULT_GROUP_TARGET_OPTIONS: GroupTargetOptions = {
  floorBps: 1_000_000,
  staleMs: 3000,
};

/** What the rule decided. */
export interface GroupTarget {
  /** The group's target, or null when no receiver reported lately (the controller's noReceiver). */
  targetBps: number | null;
  /** The receiver that set it, or null. */
  slowest: string | null;
  /** Receivers left out because their target is below the floor. */
  belowFloor: string[];
  /** Receivers left out because they have not reported lately. */
  stale: string[];
  /** One line for the status display. */
  reason: string;
}

/** Applies the multicast rule to `receivers` at `nowMs`; see the module docs. */
export function groupTarget(
  receivers: readonly ReceiverTarget[],
  nowMs: number,
  options: Partial<GroupTargetOptions> = {},
): GroupTarget {
  const { floorBps, staleMs } = { ...DEFAULT_GROUP_TARGET_OPTIONS, ...options };
  const fresh = receivers.filter((r) => nowMs - r.lastReportMs <= staleMs);
  const stale = receivers.filter((r) => nowMs - r.lastReportMs > staleMs).map((r) => r.key);
  const above = fresh.filter((r) => r.targetBps >= floorBps);
  const belowFloor = fresh.filter((r) => r.targetBps < floorBps).map((r) => r.key);
  if (fresh.length === 0) {
    return { targetBps: null, slowest: null, belowFloor, stale, reason: "no receiver reporting" };
  }
  if (above.length === 0) {
    return {
      targetBps: floorBps,
      slowest: null,
      belowFloor,
      stale,
      reason: `every receiver below the floor: ${formatBps(floorBps)}`,
    };
  }
  const slowest = above.reduce((a, b) => (b.targetBps < a.targetBps ? b : a));
  const left = belowFloor.length === 0 ? "" : `; ${belowFloor.length} below the floor left out`;
  return {
    targetBps: slowest.targetBps,
    slowest: slowest.key,
    belowFloor,
    stale,
    reason: `slowest of ${above.length}: ${slowest.key} at ${formatBps(slowest.targetBps)}${left}`,
  };
}
