/**
 * Plans how a frame's datagrams are spread in time, so one frame never lands on the receiver as a
 * burst bigger than its socket buffer: each datagram there costs its payload plus the kernel's
 * bookkeeping, so Linux's default receive buffer holds far fewer datagrams than its size suggests
 * (how many, measured: docs/protocol.md, "Sending rules"). A burst that fits even when the
 * receiver reads nothing meanwhile is sent at once; only bigger frames are split, with gaps that
 * cost latency.
 *
 * @module
 */

/** Pacing limits. */
export interface PacingOptions {
  /** Most payload bytes sent back to back. */
  maxBurstBytes: number;
  /** Share of the frame interval a frame's datagrams may be spread over (latency vs. smoothness). */
  maxSpreadShare: number;
  /** Pause between bursts; the event loop's timer granularity makes 1 ms the useful minimum. */
  gapMs: number;
}

/**
 * Defaults: bursts of at most 96,000 payload bytes (80 datagrams of 1200 bytes, 10 of 9000: both
 * fit Linux's default receive buffer unread), 1 ms apart, within a quarter of the frame interval.
 */
export const DEFAULT_PACING: PacingOptions = {
  maxBurstBytes: 96_000,
  maxSpreadShare: 0.25,
  gapMs: 1,
};

/** How to send one frame: `bursts` bursts of at most `burstDatagrams`, `gapMs` apart. */
export interface BurstPlan {
  /** Datagrams per burst (the last may have fewer). */
  burstDatagrams: number;
  /** Number of bursts. */
  bursts: number;
  /** Pause between two bursts. */
  gapMs: number;
}

/**
 * Plans the bursts for `datagramCount` datagrams of at most `datagramBytes` each when frames come
 * every `frameIntervalMs`. Bursts grow past `maxBurstBytes` only when the gaps would not fit in the
 * allowed spread, so a big frame is never delayed past its share of the interval. Bursts are even
 * (a frame of 90 datagrams goes as 45 + 45, not 80 + 10).
 */
export function planBursts(
  datagramCount: number,
  datagramBytes: number,
  frameIntervalMs: number,
  options: PacingOptions = DEFAULT_PACING,
): BurstPlan {
  const count = Math.max(1, datagramCount);
  const maxBurstDatagrams = Math.max(1, Math.floor(options.maxBurstBytes / datagramBytes));
  const wanted = Math.ceil(count / maxBurstDatagrams);
  const spreadMs = frameIntervalMs * options.maxSpreadShare;
  const fitting = Math.max(1, Math.floor(spreadMs / options.gapMs) + 1);
  const bursts = Math.min(wanted, fitting);
  const burstDatagrams = Math.ceil(count / bursts);
  return { burstDatagrams, bursts: Math.ceil(count / burstDatagrams), gapMs: options.gapMs };
}

/** Limits of {@linkcode planPacedBursts}. */
export interface PacedBurstOptions {
  /** Most bytes sent back to back (what a default receive buffer holds unread, as in `DEFAULT_PACING`). */
  maxBurstBytes: number;
  /** Shortest pause between bursts (the event loop's timer granularity). */
  minGapMs: number;
}

/** Defaults: the limits of {@linkcode DEFAULT_PACING}. */
export const DEFAULT_PACED_BURST_OPTIONS: PacedBurstOptions = {
  maxBurstBytes: 96_000,
  minGapMs: 1,
};

/**
 * Plans `datagramCount` datagrams of at most `datagramBytes` at `pacingRateBps`: bursts as
 * small as the timer allows (the fewest datagrams that take at least `minGapMs` at that rate),
 * each followed by the gap that brings the average to the rate. An unbounded rate sends at
 * once, within `maxBurstBytes` per burst. The plan has the shape of {@linkcode planBursts}'s.
 */
export function planPacedBursts(
  datagramCount: number,
  datagramBytes: number,
  pacingRateBps: number,
  options: PacedBurstOptions = DEFAULT_PACED_BURST_OPTIONS,
): BurstPlan {
  const count = Math.max(1, Math.ceil(datagramCount));
  const bytes = Math.max(1, datagramBytes);
  const maxBurst = Math.max(1, Math.floor(options.maxBurstBytes / bytes));
  if (!(pacingRateBps > 0) || !Number.isFinite(pacingRateBps)) {
    const burstDatagrams = Math.min(count, maxBurst);
    return { burstDatagrams, bursts: Math.ceil(count / burstDatagrams), gapMs: options.minGapMs };
  }
  const bytesPerMs = pacingRateBps / 8000;
  // The fewest datagrams that take at least one timer gap at this rate; the gap then matches
  // the rate exactly. Past the burst limit the gap stays at the timer's minimum (rate capped).
  const perGap = Math.ceil((bytesPerMs * options.minGapMs) / bytes);
  const burstDatagrams = Math.min(count, maxBurst, Math.max(1, perGap));
  const gapMs = Math.max(options.minGapMs, (burstDatagrams * bytes) / bytesPerMs);
  return { burstDatagrams, bursts: Math.ceil(count / burstDatagrams), gapMs };
}
