/**
 * The receiver's display loop: newest complete frame → decode → present → poll window events.
 * Frames are decoded into what the window takes cheapest (see `VideoWindow.prefersXrgb`).
 *
 * Runs on the main thread next to SDL. Datagrams are drained by the receive worker, so nothing
 * here can make the kernel drop them; a slow decode or present only skips frames (the slot keeps
 * the newest one). The loop awaits a timer or the decode between steps, so worker messages, the
 * stats timer and signals keep being handled. SDL events are polled after every frame, and at
 * least every {@linkcode EVENT_POLL_MS} once frames stop coming ({@linkcode STREAMING_EVENT_POLL_MS}
 * right after one).
 *
 * @module
 */

import { resolve } from "node:path";
import type { JpegDecoder } from "../decode/decoder.ts";
import { describeError } from "../errors.ts";
import { LatestSlot } from "./latest_slot.ts";
import { epochMicros } from "../io/clock.ts";
import { PRIVATE_FILE_MODE } from "../io/output_file.ts";
import {
  type DisplayLineInput,
  type DisplayReport,
  LatencyWindow,
  round2,
  RUN_LATENCY_WARMUP_FRAMES,
  type WindowTitleStats,
} from "../stats/mod.ts";
import { snapshotFileName, WindowTitle } from "./window_title.ts";
import type { VideoWindow } from "./video_window.ts";

/**
 * Longest wait between two SDL event polls when no frame arrives (events are also polled after
 * every frame). Longer than a 30 fps frame interval on purpose: each timer wake-up costs the main
 * thread CPU (docs/benchmarks.md, "Figures behind design choices"), and at 10 ms they cost more
 * than presenting the frames; 40 ms still answers keys and resizes within a blink.
 */
export const EVENT_POLL_MS = 40;
/**
 * The same wait right after a frame was shown: frames poll events themselves, so the timer is
 * only the fallback for a stream that stops, and a short one would wake the main thread about once
 * a frame for nothing. A key pressed just as a stream stops is answered within this time.
 */
export const STREAMING_EVENT_POLL_MS = 250;
/** Without a new frame for this long, the window shows the waiting screen again. */
export const WAITING_AFTER_MS = 2000;
/** How often the waiting screen's animation is redrawn. */
const WAITING_REDRAW_MS = 33;
/** Least time between two log lines about undecodable frames. */
const UNDECODABLE_LOG_EVERY_MS = 5000;

/** A complete frame handed to the display. */
export interface DisplayFrame {
  /** Frame number from the sender. */
  frameSeq: number;
  /** Sender's capture time, µs since the Unix epoch, if known. */
  captureUs: number | null;
  /** The complete JPEG, as received. */
  bytes: Uint8Array;
}

/** What {@linkcode StreamDisplay} needs. */
export interface StreamDisplayOptions {
  /** An open window; the display does not close it. */
  window: VideoWindow;
  /** The first decoder; from then on the display owns it (see {@linkcode StreamDisplay.close}). */
  decoder: JpegDecoder;
  /** The listen address as HOST:PORT, for the waiting title. */
  listen: string;
  /** Folder for frames saved with `s`. */
  saveDir: string;
  /** Prints one line for the user (saved files, undecodable frames). */
  log: (message: string) => void;
  /** Called once when the user closes the window or presses q/Esc. */
  onQuit: () => void;
  /**
   * Called right after each frame is presented, with the time: the moment with the most room
   * before the next frame (the receiver collects garbage then, lib/io/heap_collector.ts).
   */
  afterPresent?: (nowMs: number) => void;
}

/** Shows a stream of JPEG frames in a {@linkcode VideoWindow}. */
export class StreamDisplay {
  readonly #options: StreamDisplayOptions;
  readonly #slot = new LatestSlot<DisplayFrame>();
  readonly #title = new WindowTitle();
  readonly #latency = new LatencyWindow();
  readonly #runLatency = new LatencyWindow(16384, RUN_LATENCY_WARMUP_FRAMES);
  #decoder: JpegDecoder;
  #stopped = false;
  #framesShown = 0;
  #firstPresentedMs: number | null = null;
  #framesUndecodable = 0;
  #lastUndecodableLogMs = -Infinity;
  /** The frame on screen (its bytes are what `s` saves); null before the first one. */
  #onScreen: DisplayFrame | null = null;
  /** The size of the last frame shown, for the title; null before the first. */
  #frameSize: { width: number; height: number } | null = null;
  #lastShownMs: number | null = null;
  #lastWaitingDrawMs = -Infinity;
  /** The window lost the frame on screen (a resize): decode it again when no new one waits. */
  #showAgain = false;

  /**
   * A display of `options.window`; call {@linkcode StreamDisplay.run} to start it.
   *
   * @param options Window, decoder and callbacks.
   */
  constructor(options: StreamDisplayOptions) {
    this.#options = options;
    this.#decoder = options.decoder;
  }

  /** Offers a complete frame; only the newest frame waits for the display. */
  push(frame: DisplayFrame): void {
    this.#slot.put(frame);
  }

  /** Counters since the start. */
  get counters(): DisplayReport {
    return {
      decoder: this.#decoder.name,
      framesShown: this.#framesShown,
      framesUndecodable: this.#framesUndecodable,
      framesSkipped: this.#slot.skipped,
    };
  }

  /**
   * The window's part of a stats line: counters, and the capture-to-presented latency since the
   * last call (null without samples or shared clock). On the `final` line also that latency over
   * the whole run, without the first {@linkcode RUN_LATENCY_WARMUP_FRAMES} frames, and when the
   * first frame was presented (ms since the process started; null if none was).
   */
  takeReport(final: boolean): DisplayLineInput {
    const report: DisplayLineInput = {
      counters: this.counters,
      presentedLatencyMs: this.#latency.take(),
    };
    if (final) {
      report.presentedLatencyMsRun = this.#runLatency.take();
      report.firstFramePresentedMs = this.#firstPresentedMs;
    }
    return report;
  }

  /** Updates the title with the last interval's stats (call once per second). */
  updateTitle(stats: WindowTitleStats): void {
    const waiting = this.#waiting(performance.now());
    this.#options.window.setTitle(this.#title.format({
      ...stats,
      listen: this.#options.listen,
      waiting,
      frameSize: this.#frameSize,
    }));
  }

  /** Makes {@linkcode StreamDisplay.run} return after its current step. */
  stop(): void {
    this.#stopped = true;
    this.#slot.close();
  }

  /** Closes the decoder in use; call after {@linkcode StreamDisplay.run} has returned. */
  close(): void {
    this.#decoder.close();
  }

  /** Runs the display loop until {@linkcode StreamDisplay.stop} or the user quits. */
  async run(): Promise<void> {
    this.#options.window.setTitle(
      this.#title.format({
        listen: this.#options.listen,
        waiting: true,
        fps: 0,
        mbps: 0,
        framesComplete: 0,
        framesDropped: 0,
        latencyP50Ms: null,
        frameSize: null,
      }),
    );
    while (!this.#stopped) {
      const frame = this.#slot.take();
      if (frame) await this.#show(frame);
      else if (this.#showAgain) await this.#showOnScreenAgain();
      else this.#drawWaitingIfDue(performance.now());
      if (this.#stopped) break;
      this.#handleEvents();
      if (this.#stopped) break;
      // A frame to show again goes first; its decode yields to the event loop.
      if (this.#showAgain) continue;
      // A timer (not a microtask) so worker messages, timers and signals get their turn.
      await this.#slot.wait(this.#eventPollMs(performance.now()));
    }
    this.#slot.close();
  }

  #eventPollMs(nowMs: number): number {
    const streaming = this.#lastShownMs !== null && nowMs - this.#lastShownMs < EVENT_POLL_MS;
    return streaming ? STREAMING_EVENT_POLL_MS : EVENT_POLL_MS;
  }

  #waiting(nowMs: number): boolean {
    return this.#lastShownMs === null || nowMs - this.#lastShownMs > WAITING_AFTER_MS;
  }

  #drawWaitingIfDue(nowMs: number): void {
    if (!this.#waiting(nowMs) || nowMs - this.#lastWaitingDrawMs < WAITING_REDRAW_MS) return;
    this.#lastWaitingDrawMs = nowMs;
    this.#options.window.presentWaiting(nowMs);
  }

  /** Decodes the frame on screen again, without counting it as shown or sampling its latency. */
  async #showOnScreenAgain(): Promise<void> {
    this.#showAgain = false;
    const frame = this.#onScreen;
    if (frame === null || this.#waiting(performance.now())) return;
    try {
      await this.#decodeAndPresent(frame.bytes);
    } catch {
      // It decoded before; if it fails now the blank screen stays until the next frame.
    }
  }

  async #show(frame: DisplayFrame): Promise<void> {
    let size: { width: number; height: number };
    try {
      size = await this.#decodeAndPresent(frame.bytes);
    } catch (error) {
      this.#framesUndecodable++;
      const nowMs = performance.now();
      if (nowMs - this.#lastUndecodableLogMs >= UNDECODABLE_LOG_EVERY_MS) {
        this.#lastUndecodableLogMs = nowMs;
        this.#options.log(
          `udpcam-recv: skipped frame ${frame.frameSeq >>> 0} (${this.#framesUndecodable} so ` +
            `far): ${describeError(error)}`,
        );
      }
      return;
    }
    if (this.#stopped) return;
    const presentedUs = epochMicros();
    if (frame.captureUs !== null) {
      const latencyMs = (presentedUs - frame.captureUs) / 1000;
      this.#latency.add(latencyMs);
      this.#runLatency.add(latencyMs);
    }
    this.#firstPresentedMs ??= round2(performance.now());
    this.#framesShown++;
    this.#frameSize = size;
    this.#onScreen = frame;
    this.#showAgain = false;
    this.#lastShownMs = performance.now();
    this.#options.afterPresent?.(this.#lastShownMs);
  }

  /**
   * Decodes `jpeg` the way the window takes frames cheapest (XRGB8888 into its texture on a
   * software renderer, YUV planes otherwise) and presents it, unless the display was stopped
   * meanwhile. A frame that fails to decode is never drawn.
   */
  async #decodeAndPresent(jpeg: Uint8Array): Promise<{ width: number; height: number }> {
    const window = this.#options.window;
    const decoder = this.#decoder;
    if (window.prefersXrgb && decoder.decodeXrgb) {
      let size: { width: number; height: number };
      try {
        size = await decoder.decodeXrgb(jpeg, (width, height) => window.lockXrgb(width, height));
      } catch (error) {
        window.discardLocked();
        throw error;
      }
      if (this.#stopped) window.discardLocked();
      else window.presentLocked();
      return size;
    }
    const image = await decoder.decode(jpeg);
    if (!this.#stopped) window.present(image);
    return { width: image.width, height: image.height };
  }

  #handleEvents(): void {
    const window = this.#options.window;
    for (const event of window.pollEvents()) {
      switch (event.type) {
        case "quit":
          if (!this.#stopped) {
            this.#stopped = true;
            this.#options.onQuit();
          }
          return;
        case "toggleFullscreen":
          window.toggleFullscreen();
          this.#redraw();
          break;
        case "resized":
          this.#redraw();
          break;
        case "save":
          this.#save();
          break;
      }
    }
  }

  /** Draws the current content again at the new window size. */
  #redraw(): void {
    const nowMs = performance.now();
    if (this.#waiting(nowMs)) {
      this.#lastWaitingDrawMs = nowMs;
      this.#options.window.presentWaiting(nowMs);
    } else if (!this.#options.window.redraw()) {
      this.#showAgain = true;
    }
  }

  #save(): void {
    const frame = this.#onScreen;
    if (!frame || this.#waiting(performance.now())) {
      this.#options.log("udpcam-recv: no frame on screen to save yet");
      return;
    }
    const nowMs = Date.now();
    for (let attempt = 1; attempt <= 100; attempt++) {
      const path = resolve(this.#options.saveDir, snapshotFileName(nowMs, frame.frameSeq, attempt));
      try {
        // createNew never follows a link; 0600 like recordings (lib/io/output_file.ts).
        Deno.writeFileSync(path, frame.bytes, { createNew: true, mode: PRIVATE_FILE_MODE });
        this.#options.log(`udpcam-recv: saved ${path}`);
        return;
      } catch (error) {
        if (error instanceof Deno.errors.AlreadyExists) continue;
        this.#options.log(
          "udpcam-recv: " + describeError(
            new Error(
              `Cannot save the frame to ${path}. Check that --save-dir names a writable folder.`,
              { cause: error },
            ),
          ),
        );
        return;
      }
    }
    this.#options.log("udpcam-recv: Cannot save the frame: 100 files of that name exist.");
  }
}
