/**
 * The receiver's frame acceptance: each whole frame the receive worker reassembled is checked to
 * be a JPEG, counted, measured (capture-to-complete latency) and handed to the outputs the user
 * asked for: the `--record` file, the `--http` viewers and the window.
 *
 * No I/O: the outputs are interfaces the adapters implement (lib/io/http_viewer.ts,
 * lib/sdl/stream_display.ts, a file writer), and the caller passes the time.
 *
 * A frame that reassembled whole but is not a JPEG (corrupt or forged bytes) is counted under
 * lib/jpeg/parse.ts's reason and never recorded or served. The window still gets it, so its
 * decoder counts it with the frames it rejects (`framesUndecodable`). Memory is bounded: the
 * counters are a few numbers and one per parse failure reason, and the latency windows are capped.
 *
 * @module
 */

import { parseJpeg } from "../jpeg/mod.ts";
import {
  type LatencySummary,
  LatencyWindow,
  round2,
  RUN_LATENCY_WARMUP_FRAMES,
  type RunLineInput,
} from "../stats/mod.ts";

/** A whole frame from the receive worker (lib/io/receive_messages.ts's frame message fits). */
export interface CompleteFrame {
  /** Source stream (v1 stream id, RTP SSRC, 0 in legacy mode). */
  streamId: number;
  /** Frame sequence number as the wire mode numbers frames. */
  frameSeq: number;
  /** Sender's capture time, µs since the Unix epoch, or null when the wire mode does not say. */
  captureUs: number | null;
  /** When the frame completed, µs since the Unix epoch (the receiver's wall clock). */
  completeUs: number;
  /** The reassembled bytes. */
  bytes: Uint8Array;
}

/** Writes accepted frames one after the other (`--record`). */
export interface FrameRecorder {
  /** Appends one whole JPEG. */
  write(jpeg: Uint8Array): void;
}

/** Serves accepted frames to browsers (`--http`). */
export interface FramePublisher {
  /** Makes `jpeg` the newest frame; copies what it keeps, so the caller may hand the bytes on. */
  publishFrame(jpeg: Uint8Array, info: { frameSeq: number; captureUs: number | null }): void;
}

/** Shows frames (the window). */
export interface FrameDisplay {
  /** Offers a frame; malformed ones too, so the display counts them as undecodable. */
  push(frame: CompleteFrame): void;
}

/** What a {@linkcode FrameSink} hands frames to; every output is optional. */
export interface FrameSinkOptions {
  /** Stop after this many accepted frames (`--frames`); 0: no limit. */
  maxFrames: number;
  /** The `--record` file, or null. */
  recorder?: FrameRecorder | null;
  /** The `--http` viewer, or null. */
  publisher?: FramePublisher | null;
  /**
   * Called right after an accepted frame was handed on while no display is attached: the quiet
   * moment between frames, when the receiver collects garbage (lib/io/heap_collector.ts). With a
   * display, the display says so after presenting instead.
   */
  betweenFrames?: () => void;
  /** Called once, when the `maxFrames`-th frame was accepted. */
  onMaxFrames?: () => void;
}

/** Counters of a {@linkcode FrameSink}: every frame pushed is accepted or malformed. */
export interface FrameSinkCounters {
  /** Frames pushed. */
  framesPushed: number;
  /** Frames that parsed as JPEGs and went to the outputs. */
  framesAccepted: number;
  /** Frames that are not JPEGs, by lib/jpeg/parse.ts's reason, in order of first occurrence. */
  framesMalformed: Record<string, number>;
}

/**
 * Accepts whole frames: see the module docs.
 *
 * @example A forged frame is counted by reason and goes only to the display
 * ```ts
 * import { FrameSink } from "./frame_sink.ts";
 *
 * const recorded: Uint8Array[] = [];
 * const sink = new FrameSink({ maxFrames: 0, recorder: { write: (jpeg) => recorded.push(jpeg) } });
 * const frame = {
 *   streamId: 1,
 *   frameSeq: 0,
 *   captureUs: null,
 *   completeUs: 1_700_000_000_000_000,
 *   bytes: new Uint8Array([1, 2, 3]),
 * };
 * if (sink.push(frame, 12.5)) throw new Error("not a JPEG, yet accepted");
 * if (sink.counters.framesMalformed.noSoi !== 1 || recorded.length !== 0) {
 *   throw new Error("the forged frame was not counted, or was recorded");
 * }
 * ```
 */
export class FrameSink {
  readonly #options: FrameSinkOptions;
  readonly #latency = new LatencyWindow();
  readonly #runLatency = new LatencyWindow(16384, RUN_LATENCY_WARMUP_FRAMES);
  readonly #malformed: Record<string, number> = {};
  #display: FrameDisplay | null = null;
  #pushed = 0;
  #accepted = 0;
  #firstFrameCompleteMs: number | null = null;
  #streamId: number | null = null;

  /**
   * A sink handing frames to `options`' outputs.
   *
   * @param options The frame limit, outputs and callbacks.
   */
  constructor(options: FrameSinkOptions) {
    this.#options = options;
  }

  /**
   * Hands every frame from now on to `display` too (the window opens after the receiver listens).
   */
  attachDisplay(display: FrameDisplay): void {
    this.#display = display;
  }

  /**
   * Takes one whole frame that completed at `nowMs` (ms on the caller's monotonic clock, e.g.
   * since the process started). Returns whether it was a JPEG and went to the outputs.
   */
  push(frame: CompleteFrame, nowMs: number): boolean {
    this.#pushed++;
    const parsed = parseJpeg(frame.bytes);
    if (!parsed.ok) {
      this.#malformed[parsed.reason] = (this.#malformed[parsed.reason] ?? 0) + 1;
      this.#display?.push(frame);
      return false;
    }
    this.#accepted++;
    this.#firstFrameCompleteMs ??= round2(nowMs);
    this.#streamId = frame.streamId;
    if (frame.captureUs !== null) {
      const latencyMs = (frame.completeUs - frame.captureUs) / 1000;
      this.#latency.add(latencyMs);
      this.#runLatency.add(latencyMs);
    }
    this.#options.recorder?.write(frame.bytes);
    // Before the display, which may hand the bytes on: publishFrame copies what it keeps.
    this.#options.publisher?.publishFrame(frame.bytes, frame);
    if (this.#display) this.#display.push(frame);
    else this.#options.betweenFrames?.();
    if (this.#accepted === this.#options.maxFrames) this.#options.onMaxFrames?.();
    return true;
  }

  /** Counters since construction (copies). */
  get counters(): FrameSinkCounters {
    return {
      framesPushed: this.#pushed,
      framesAccepted: this.#accepted,
      framesMalformed: { ...this.#malformed },
    };
  }

  /** When the first JPEG completed (`nowMs` of its push, to 0.01 ms); null before. */
  get firstFrameCompleteMs(): number | null {
    return this.#firstFrameCompleteMs;
  }

  /** The stream of the last JPEG accepted; null before the first. */
  get streamId(): number | null {
    return this.#streamId;
  }

  /**
   * Capture-to-complete latency of the JPEGs since the last call; null without samples, or when
   * sender and receiver clocks differ (a negative sample).
   */
  takeLatency(): LatencySummary | null {
    return this.#latency.take();
  }

  /**
   * The whole run, for the final stats line: the same latency over the run without the first
   * {@linkcode RUN_LATENCY_WARMUP_FRAMES} frames, and {@linkcode FrameSink.firstFrameCompleteMs}.
   */
  takeRunReport(): RunLineInput {
    return {
      latencyMsRun: this.#runLatency.take(),
      firstFrameCompleteMs: this.#firstFrameCompleteMs,
    };
  }
}
