/**
 * The sender's pure parts: how a frame's datagrams are spread into paced bursts, and the clock that
 * releases frames at `--fps`.
 *
 * @module
 */

export { FrameClock } from "./frame_clock.ts";
export { DEFAULT_PACING, planBursts } from "./pacing.ts";
export type { PacingOptions } from "./pacing.ts";
