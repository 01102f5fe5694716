/**
 * Plans how a frame's datagrams are spread in time, so one frame never lands on the receiver as a
 * single burst that overflows its socket buffer (Linux's default 208 KB holds ~90 datagrams).
 *
 * @module
 */

/** Pacing limits. */
export interface PacingOptions {
  /** Most datagrams sent back to back. */
  maxBurstDatagrams: number;
  /** Share of the frame interval a frame's datagrams may be spread over (latency vs. smoothness). */
  maxSpreadShare: number;
  /** Pause between bursts; the event loop's timer granularity makes 1 ms the useful minimum. */
  gapMs: number;
}

/** Defaults: bursts of at most 16 datagrams, 1 ms apart, within a quarter of the frame interval. */
export const DEFAULT_PACING: PacingOptions = {
  maxBurstDatagrams: 16,
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
 * Plans the bursts for `datagramCount` datagrams of a frame when frames come every
 * `frameIntervalMs`. Bursts grow past `maxBurstDatagrams` only when the gaps would not fit in the
 * allowed spread, so a big frame is never delayed past its share of the interval.
 */
export function planBursts(
  datagramCount: number,
  frameIntervalMs: number,
  options: PacingOptions = DEFAULT_PACING,
): BurstPlan {
  const count = Math.max(1, datagramCount);
  const wanted = Math.ceil(count / options.maxBurstDatagrams);
  const spreadMs = frameIntervalMs * options.maxSpreadShare;
  const fitting = Math.max(1, Math.floor(spreadMs / options.gapMs) + 1);
  const bursts = Math.min(wanted, fitting);
  const burstDatagrams = Math.ceil(count / bursts);
  return { burstDatagrams, bursts: Math.ceil(count / burstDatagrams), gapMs: options.gapMs };
}
