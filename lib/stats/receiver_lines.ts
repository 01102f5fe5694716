/**
 * The receiver's once-a-second output, from the figures of its parts: the `--stats-json` line
 * (also what `/stats.json` serves), the status text, and the figures of the window title.
 *
 * The line's keys come in a fixed order, the order scripts and docs/benchmarks.md have always
 * seen: the {@linkcode ReceiverReport}, then the receiver's own figures, then the window's, then,
 * on the last line only, the whole run's.
 *
 * @module
 */

import type { LatencySummary } from "./latency_window.ts";
import { formatReceiverStatus, type ReceiverReport } from "./receiver_report.ts";

/** The process's memory, in MB to 0.1 MB (lib/io/memory_usage.ts measures it). */
export interface MemoryReport {
  /** Resident set size of the whole process. */
  rss: number;
  /** The main thread's V8 heap in use. */
  heapUsed: number;
  /** Memory V8 accounts to JS objects outside its heap (ArrayBuffers, ...). */
  external: number;
  /** The receive worker's V8 heap in use. */
  workerHeapUsed: number;
}

/** The window's counters since the start (lib/sdl/stream_display.ts keeps them). */
export interface DisplayReport {
  /** Which decoder decodes frames (`turbo`, `wasm`). */
  decoder: string;
  /** Frames decoded and presented. */
  framesShown: number;
  /** Frames that failed to decode (never shown). */
  framesUndecodable: number;
  /** Complete frames replaced by a newer one while the display was busy (never decoded). */
  framesSkipped: number;
}

/** What the window adds to a line. */
export interface DisplayLineInput {
  /** Its counters. */
  counters: DisplayReport;
  /** Capture-to-presented latency over the interval; null without samples or shared clock. */
  presentedLatencyMs: LatencySummary | null;
  /** Last line only: the same latency over the run, after the warm-up frames. */
  presentedLatencyMsRun?: LatencySummary | null;
  /** Last line only: when the first frame was presented, ms since the process started. */
  firstFramePresentedMs?: number | null;
}

/** What the last line adds: the whole run (lib/receive/frame_sink.ts measures it). */
export interface RunLineInput {
  /** Capture-to-complete latency over the run, after the warm-up frames. */
  latencyMsRun: LatencySummary | null;
  /** When the first JPEG completed, ms since the process started; null if none did. */
  firstFrameCompleteMs: number | null;
}

/** Everything one second of receiver output is made of. */
export interface ReceiverLineInput {
  /** The interval's report ({@linkcode ReceiverReport}). */
  report: ReceiverReport;
  /** Complete frames that are not JPEGs, by reason, since the start. */
  framesMalformed: Readonly<Record<string, number>>;
  /** The process's memory. */
  memoryMB: MemoryReport;
  /** Full garbage collections between frames, both threads, since the start. */
  heapCollections: number;
  /** The window's part, or null when headless. */
  display: DisplayLineInput | null;
  /** The last line's run summary, or null on every other line. */
  final: RunLineInput | null;
  /** Browser viewers connected (`--http`), or null without `--http`. */
  httpViewers: number | null;
}

/** One `--stats-json` line of the receiver: the report and what the receiver adds to it. */
export interface ReceiverStatsLine extends ReceiverReport {
  /** Complete frames that are not JPEGs, by reason, since the start. */
  framesMalformed: Record<string, number>;
  /** The process's memory in MB. */
  memoryMB: MemoryReport;
  /** Full garbage collections between frames, both threads, since the start. */
  heapCollections: number;
  /** With a window: which decoder. */
  decoder?: string;
  /** With a window: frames decoded and presented. */
  framesShown?: number;
  /** With a window: frames that failed to decode. */
  framesUndecodable?: number;
  /** With a window: frames replaced by a newer one before being decoded. */
  framesSkipped?: number;
  /** With a window: capture-to-presented latency over the interval. */
  presentedLatencyMs?: LatencySummary | null;
  /** On the last line only: true. */
  final?: true;
  /** Last line: capture-to-complete latency over the run. */
  latencyMsRun?: LatencySummary | null;
  /** Last line: when the first JPEG completed, ms since the process started. */
  firstFrameCompleteMs?: number | null;
  /** Last line, with a window: capture-to-presented latency over the run. */
  presentedLatencyMsRun?: LatencySummary | null;
  /** Last line, with a window: when the first frame was presented. */
  firstFramePresentedMs?: number | null;
}

/**
 * The `--stats-json` line for `input`, keys in their fixed order (see the module docs).
 *
 * @example A headless receiver's last line
 * ```ts
 * import { receiverStatsLine } from "./receiver_lines.ts";
 * import { ReceiverReporter } from "./receiver_report.ts";
 *
 * const report = new ReceiverReporter(0).report(1000, null, null, null);
 * const line = receiverStatsLine({
 *   report,
 *   framesMalformed: { noEoi: 1 },
 *   memoryMB: { rss: 80, heapUsed: 5, external: 1, workerHeapUsed: 4 },
 *   heapCollections: 0,
 *   display: null,
 *   final: { latencyMsRun: null, firstFrameCompleteMs: null },
 *   httpViewers: null,
 * });
 * if (line.final !== true || line.framesMalformed.noEoi !== 1 || "framesShown" in line) {
 *   throw new Error("wrong last line");
 * }
 * ```
 */
export function receiverStatsLine(input: ReceiverLineInput): ReceiverStatsLine {
  const line: ReceiverStatsLine = {
    ...input.report,
    framesMalformed: { ...input.framesMalformed },
    memoryMB: input.memoryMB,
    heapCollections: input.heapCollections,
  };
  const display = input.display;
  if (display) {
    line.decoder = display.counters.decoder;
    line.framesShown = display.counters.framesShown;
    line.framesUndecodable = display.counters.framesUndecodable;
    line.framesSkipped = display.counters.framesSkipped;
    line.presentedLatencyMs = display.presentedLatencyMs;
  }
  // The last line also summarises the whole run, for benchmarks and scripts.
  if (input.final) {
    line.final = true;
    line.latencyMsRun = input.final.latencyMsRun;
    line.firstFrameCompleteMs = input.final.firstFrameCompleteMs;
    if (display) {
      line.presentedLatencyMsRun = display.presentedLatencyMsRun ?? null;
      line.firstFramePresentedMs = display.firstFramePresentedMs ?? null;
    }
  }
  return line;
}

/**
 * The status text for `input`: {@linkcode formatReceiverStatus}'s, then what the window shows and
 * skips, then the browser viewers.
 */
export function receiverStatusText(listen: string, input: ReceiverLineInput): string {
  let text = formatReceiverStatus(listen, input.report);
  if (input.display) {
    const counters = input.display.counters;
    text += ` | shown ${counters.framesShown}, skipped ${counters.framesSkipped}, ` +
      `undecodable ${counters.framesUndecodable}`;
  }
  if (input.httpViewers !== null) text += ` | ${input.httpViewers} browser viewers`;
  return text;
}

/** The interval's figures the window title shows (lib/sdl/window_title.ts formats them). */
export interface WindowTitleStats {
  /** Complete frames per second. */
  fps: number;
  /** Received megabits per second. */
  mbps: number;
  /** Complete frames since the start. */
  framesComplete: number;
  /** Frames given up since the start. */
  framesDropped: number;
  /** Median latency to the screen, else to frame complete; null when neither is known. */
  latencyP50Ms: number | null;
  /** Why datagrams make no frame, or null. */
  problem: string | null;
}

/**
 * The title's figures for `input`, or null when there is no title to update: headless, or the
 * last line (the window is closing).
 */
export function receiverTitleStats(input: ReceiverLineInput): WindowTitleStats | null {
  if (input.display === null || input.final !== null) return null;
  const report = input.report;
  return {
    fps: report.fps,
    mbps: report.mbps,
    framesComplete: report.frames.complete,
    framesDropped: report.frames.dropped,
    latencyP50Ms: input.display.presentedLatencyMs?.p50 ?? report.latencyMs?.p50 ?? null,
    problem: report.problem,
  };
}
