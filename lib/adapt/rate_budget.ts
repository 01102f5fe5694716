/**
 * The sender's budget at the congestion controller's target: everything sent counts against it
 * — frames with their FEC parity, and retransmissions — and when the link is full the sender
 * sends fewer new frames rather than more repairs on top. Pure: sizes and `nowMs` in,
 * decisions out.
 *
 * - A token bucket fills at the target rate, `depthMs` of it deep. A frame (data + parity) is
 *   sent when the bucket can pay for it while going at most one depth into debt, else skipped
 *   and counted: the average stays at the target, a burst at one frame plus two depths. A frame
 *   larger than two depths (a big picture at a tiny rate) goes when the bucket is full.
 * - Repairs (retransmissions) draw from the same bucket, and from their own allowance that
 *   fills at `repairShare` of the target (SRT's default overhead for retransmissions is 25 %),
 *   so repairs never take more than that share and what they take, new frames do not get.
 * - {@linkcode RateBudget.mediaBudgetBps} is the target minus what repairs used lately: the
 *   picture ladder plans the picture on it, so repairs show up as a lighter picture, not as a
 *   queue.
 * - {@linkcode probePaddingBytes}: while the picture waits below its target for the rate of the
 *   next rung, the sender pads its frames (with extra FEC parity, so the padding also repairs)
 *   up to that rate, as WebRTC pads to probe.
 * - {@linkcode RateBudget.pacingRateBps} is the rate a frame's datagrams are spread at:
 *   `pacingGain` × the target (WebRTC paces at 2.5×), so the frame leaves in well under a frame
 *   interval, yet never hits the bottleneck at line rate (lib/send/pacing.ts plans the bursts).
 *
 * @example
 * ```ts
 * import { RateBudget } from "./rate_budget.ts";
 *
 * const budget = new RateBudget();
 * budget.setTarget(4_000_000, 0); // 500 kB/s
 * console.log(budget.admitFrame(16_000, 0)); // true: the bucket starts full (75 kB)
 * console.log(budget.admitFrame(200_000, 1)); // false: skipped, it would overdraw the bucket
 * console.log(budget.admitRepair(1200, 2)); // true: within the repair share
 * ```
 *
 * @module
 */

/** How the budget is shared. */
export interface RateBudgetOptions {
  /** The bucket holds this much of the target rate (and may go this far into debt). */
  depthMs: number;
  /** Most share of the target repairs may use. */
  repairShare: number;
  /** Repairs may bank at least this much, so a low rate can still repair a datagram or two. */
  minRepairBurstBytes: number;
  /** Frames are paced at this × the target. */
  pacingGain: number;
}

/** Defaults: 150 ms deep, repairs within 25 % of the target, pacing at 2.5 × the target. */
export const DEFAULT_RATE_BUDGET_OPTIONS: RateBudgetOptions = {
  depthMs: 150,
  repairShare: 0.25,
  minRepairBurstBytes: 2400,
  pacingGain: 2.5,
};

/** What a {@linkcode RateBudget} decided. */
export interface RateBudgetCounters {
  /** Frames offered to `admitFrame`. */
  framesOffered: number;
  /** Frames it let through. */
  framesAdmitted: number;
  /** Frames it skipped: the link is full. */
  framesSkipped: number;
  /** Bytes of the frames let through. */
  frameBytesAdmitted: number;
  /** Repair bytes offered to `admitRepair`. */
  repairBytesOffered: number;
  /** Repair bytes let through. */
  repairBytesAdmitted: number;
  /** Repair bytes refused (the share or the bucket is spent). */
  repairBytesRefused: number;
}

/** Slots of the repair history behind {@linkcode RateBudget.mediaBudgetBps}: 10 × 100 ms. */
const REPAIR_SLOTS = 10;
const REPAIR_SLOT_MS = 100;

/** Spends the target rate on frames and repairs; see the module docs. */
export class RateBudget {
  readonly #options: RateBudgetOptions;
  #targetBps = Number.POSITIVE_INFINITY;
  #tokens = 0;
  #repairTokens = 0;
  #lastMs: number | null = null;
  readonly #repairSlots = new Float64Array(REPAIR_SLOTS);
  #repairSlotIndex: number | null = null;
  /** Counters since construction. */
  readonly counters: RateBudgetCounters = {
    framesOffered: 0,
    framesAdmitted: 0,
    framesSkipped: 0,
    frameBytesAdmitted: 0,
    repairBytesOffered: 0,
    repairBytesAdmitted: 0,
    repairBytesRefused: 0,
  };

  /**
   * A budget with no target yet (everything goes until the first `setTarget`).
   *
   * @param options Overrides of {@linkcode DEFAULT_RATE_BUDGET_OPTIONS}.
   */
  constructor(options: Partial<RateBudgetOptions> = {}) {
    this.#options = { ...DEFAULT_RATE_BUDGET_OPTIONS, ...options };
  }

  /** The target in force. */
  get targetBps(): number {
    return this.#targetBps;
  }

  /** The rate to pace a frame's datagrams at. */
  get pacingRateBps(): number {
    return this.#options.pacingGain * this.#targetBps;
  }

  /** Bytes in the bucket (negative: in debt). */
  get tokens(): number {
    return this.#tokens;
  }

  /**
   * Sets the target from `nowMs` on (the controller's decision). Going from unbounded (the
   * start) to a rate starts with a full bucket; a lower rate shrinks the bucket to its depth.
   */
  setTarget(targetBps: number, nowMs: number): void {
    this.#refill(nowMs);
    const wasBounded = Number.isFinite(this.#targetBps);
    this.#targetBps = Math.max(0, targetBps);
    if (!wasBounded) {
      this.#tokens = this.#depthBytes();
      this.#repairTokens = this.#repairDepthBytes();
    }
    this.#tokens = Math.min(this.#tokens, this.#depthBytes());
    this.#repairTokens = Math.min(this.#repairTokens, this.#repairDepthBytes());
  }

  /**
   * Decides whether a frame of `bytes` (its data and parity datagrams) is sent at `nowMs`; if
   * so its bytes are spent. A skipped frame is counted.
   */
  admitFrame(bytes: number, nowMs: number): boolean {
    this.#refill(nowMs);
    const c = this.counters;
    c.framesOffered++;
    if (!Number.isFinite(this.#targetBps)) {
      c.framesAdmitted++;
      c.frameBytesAdmitted += bytes;
      return true;
    }
    const depth = this.#depthBytes();
    if (this.#tokens - bytes >= -depth || this.#tokens >= depth) {
      this.#tokens -= bytes;
      c.framesAdmitted++;
      c.frameBytesAdmitted += bytes;
      return true;
    }
    c.framesSkipped++;
    return false;
  }

  /**
   * Corrects a frame already admitted by `bytes` (positive: it took more on the wire than
   * `admitFrame` was told, negative: less), so the bucket counts what was really sent.
   */
  adjust(bytes: number): void {
    if (!Number.isFinite(bytes) || !Number.isFinite(this.#targetBps)) return;
    this.#tokens = Math.max(this.#tokens - bytes, -2 * this.#depthBytes());
    this.counters.frameBytesAdmitted += bytes;
  }

  /**
   * Decides whether a repair datagram of `bytes` (a retransmission) is sent at `nowMs`: only
   * within the repair share and when the bucket can pay without going more than one depth into
   * debt. Refused bytes are counted.
   */
  admitRepair(bytes: number, nowMs: number): boolean {
    this.#refill(nowMs);
    const c = this.counters;
    c.repairBytesOffered += bytes;
    const finite = Number.isFinite(this.#targetBps);
    if (
      finite &&
      (this.#repairTokens < bytes || this.#tokens - bytes < -this.#depthBytes())
    ) {
      c.repairBytesRefused += bytes;
      return false;
    }
    if (finite) {
      this.#repairTokens -= bytes;
      this.#tokens -= bytes;
    }
    c.repairBytesAdmitted += bytes;
    this.#rotateRepairs(nowMs);
    this.#repairSlots[this.#repairSlotIndex! % REPAIR_SLOTS] += bytes;
    return true;
  }

  /**
   * The share of the target left for the picture at `nowMs`: the target minus the rate repairs
   * used over the last second (at most `repairShare` of it).
   */
  mediaBudgetBps(nowMs: number): number {
    if (!Number.isFinite(this.#targetBps)) return this.#targetBps;
    this.#rotateRepairs(nowMs);
    const repairBps = (this.#repairSlots.reduce((a, b) => a + b, 0) * 8 * 1000) /
      (REPAIR_SLOTS * REPAIR_SLOT_MS);
    return this.#targetBps - Math.min(repairBps, this.#options.repairShare * this.#targetBps);
  }

  #depthBytes(): number {
    return (this.#targetBps * this.#options.depthMs) / 8000;
  }

  #repairDepthBytes(): number {
    return Math.max(
      this.#options.repairShare * this.#depthBytes(),
      this.#options.minRepairBurstBytes,
    );
  }

  #refill(nowMs: number): void {
    const last = this.#lastMs;
    this.#lastMs = nowMs;
    if (last === null || !Number.isFinite(this.#targetBps)) return;
    const elapsedMs = Math.max(0, nowMs - last);
    const bytes = (this.#targetBps * elapsedMs) / 8000;
    this.#tokens = Math.min(this.#depthBytes(), this.#tokens + bytes);
    this.#repairTokens = Math.min(
      this.#repairDepthBytes(),
      this.#repairTokens + this.#options.repairShare * bytes,
    );
  }

  #rotateRepairs(nowMs: number): void {
    const index = Math.floor(nowMs / REPAIR_SLOT_MS);
    if (this.#repairSlotIndex === null) {
      this.#repairSlotIndex = index;
      return;
    }
    if (index <= this.#repairSlotIndex) return;
    const steps = Math.min(REPAIR_SLOTS, index - this.#repairSlotIndex);
    for (let k = 1; k <= steps; k++) {
      this.#repairSlots[(this.#repairSlotIndex + k) % REPAIR_SLOTS] = 0;
    }
    this.#repairSlotIndex = index;
  }
}

/**
 * Padding (extra FEC parity) to add to a frame of `frameBytes` so that frames every
 * `frameIntervalMs` carry `goalBps` (the ladder's `PictureLadder.upGoalBps`), capped by
 * the target in force: the controller only raises its target to 1.5 × what arrived, and a picture
 * stuck on its rung would never earn the next. 0 when no goal, or the frame already carries it.
 * The padded frame still goes through {@linkcode RateBudget.admitFrame}.
 */
export function probePaddingBytes(
  frameBytes: number,
  frameIntervalMs: number,
  goalBps: number | null,
  targetBps: number,
): number {
  if (goalBps === null || !Number.isFinite(targetBps) || !(frameIntervalMs > 0)) return 0;
  const wantedBytes = (Math.min(goalBps, targetBps) * frameIntervalMs) / 8000;
  return Math.max(0, Math.round(wantedBytes - frameBytes));
}
