/**
 * Text for the receiver window: the live stats title and names for saved frames.
 *
 * @module
 */

/** What the title shows once a second. */
export interface WindowTitleInput {
  /** Where the receiver listens, as HOST:PORT. */
  listen: string;
  /** No frame yet, or none for a while: show the waiting title instead of stats. */
  waiting: boolean;
  /** Complete frames per second over the last interval. */
  fps: number;
  /** Received megabits per second over the last interval. */
  mbps: number;
  /** Running total of complete frames. */
  framesComplete: number;
  /** Running total of frames given up (lost). */
  framesDropped: number;
  /** Median capture-to-screen latency over the last interval; null when unknown. */
  latencyP50Ms: number | null;
  /** Size of the frame on screen, when one is shown. */
  frameSize: { width: number; height: number } | null;
  /** While waiting: why datagrams make no frame (e.g. a wrong --key), from lib/stats/receiver_report.ts. */
  problem?: string | null;
}

/** Product name at the start of every title, so window managers and xdotool find the window. */
export const TITLE_PREFIX = "udpcam";

/** Formats window titles; remembers the previous totals so loss is shown per interval. */
export class WindowTitle {
  #lastComplete = 0;
  #lastDropped = 0;

  /** The title for `input`; call once per interval. */
  format(input: WindowTitleInput): string {
    const complete = input.framesComplete - this.#lastComplete;
    const dropped = input.framesDropped - this.#lastDropped;
    this.#lastComplete = input.framesComplete;
    this.#lastDropped = input.framesDropped;
    if (input.waiting) {
      const problem = input.problem ? `: ${input.problem}` : "";
      return `${TITLE_PREFIX} - waiting for stream on ${input.listen}${problem}`;
    }
    const lostPct = complete + dropped === 0 ? 0 : (100 * dropped) / (complete + dropped);
    const size = input.frameSize ? ` ${input.frameSize.width}x${input.frameSize.height}` : "";
    const latency = input.latencyP50Ms === null
      ? ""
      : ` | latency p50 ${input.latencyP50Ms.toFixed(0)} ms`;
    return `${TITLE_PREFIX}${size} | ${input.fps.toFixed(1)} fps | ${
      input.mbps.toFixed(1)
    } Mbit/s` +
      ` | lost ${lostPct.toFixed(1)}%${latency}`;
  }
}

/**
 * File name for a frame saved with `s`: UTC time to the millisecond and the frame's sequence
 * number, e.g. `udpcam-20240131-235959-123-f42.jpg`. `attempt` > 1 adds a suffix for collisions.
 */
export function snapshotFileName(epochMs: number, frameSeq: number, attempt = 1): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, "0");
  const date = `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}`;
  const time = `${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
  const ms = String(d.getUTCMilliseconds()).padStart(3, "0");
  const suffix = attempt > 1 ? `-${attempt}` : "";
  return `udpcam-${date}-${time}-${ms}-f${frameSeq >>> 0}${suffix}.jpg`;
}
