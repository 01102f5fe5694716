/**
 * Sends frames as paced bursts of datagrams, and never queues: when sending falls behind capture,
 * the frame waiting to be sent is replaced by the newer one.
 *
 * With a {@linkcode FrameLink} (link fitting, `--max-rate`), each frame first asks it whether it
 * fits the rate budget (else it is skipped), how much padding it carries, and at what rate its
 * datagrams are spread (lib/send/pacing.ts's `planPacedBursts`; an unbounded rate keeps the
 * burst plan for the receiver's socket buffer, `planBursts`). Without one, frames go as they
 * always did.
 *
 * @module
 */

import { DEFAULT_PACING, type PacingOptions, planBursts, planPacedBursts } from "../send/mod.ts";
import type { SenderCounters } from "../stats/mod.ts";
import type { FramePacketizer } from "../wire/frames/mod.ts";
import type { FrameLink } from "../adapt/mod.ts";

export type { FrameLink };

/** Where datagrams go: a socket towards one or more destinations. */
export interface DatagramSink {
  /** Sends one datagram; resolves when the OS has taken it. */
  send(datagram: Uint8Array): Promise<void>;
  /**
   * Optional: sends `datagrams` in order, as {@linkcode send} would one by one (same counters),
   * in fewer system calls; resolves when the OS has taken them all.
   */
  sendBurst?(datagrams: readonly Uint8Array[]): Promise<void>;
  /** Sends the OS refused so far. */
  readonly sendErrors: number;
}

interface PendingFrame {
  frame: Uint8Array;
  captureUs: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A one-slot frame sender with burst pacing. */
export class PacedSender {
  readonly #packetizer: FramePacketizer;
  readonly #sink: DatagramSink;
  readonly #frameIntervalMs: number;
  readonly #pacing: PacingOptions;
  readonly #link: FrameLink | null;
  #pending: PendingFrame | null = null;
  #onRefused: (error: unknown) => void = () => {};
  #running: Promise<void> | null = null;
  /** Running totals (sendErrors mirrors the sink's). */
  readonly counters: SenderCounters = {
    framesRead: 0,
    framesSent: 0,
    framesSkipped: 0,
    framesTooLarge: 0,
    datagramsSent: 0,
    bytesSent: 0,
    sendErrors: 0,
  };

  /**
   * Makes a sender that spreads each frame's datagrams over part of the frame interval.
   *
   * @param packetizer Turns a frame into datagrams (the wire mode).
   * @param sink Sends datagrams.
   * @param fps Capture rate; a frame's datagrams are spread over part of its interval.
   * @param pacing The burst limits.
   * @param link The link fitter's say over each frame, or null: every frame goes, in bursts.
   */
  constructor(
    packetizer: FramePacketizer,
    sink: DatagramSink,
    fps: number,
    pacing: PacingOptions = DEFAULT_PACING,
    link: FrameLink | null = null,
  ) {
    this.#packetizer = packetizer;
    this.#sink = sink;
    this.#frameIntervalMs = 1000 / fps;
    this.#pacing = pacing;
    this.#link = link;
  }

  /** Calls `listener` with the reason each time the wire format refuses a frame (it is skipped). */
  onRefused(listener: (error: unknown) => void): void {
    this.#onRefused = listener;
  }

  /** Offers a frame read at `captureUs`; it replaces a frame still waiting to be sent. */
  offer(frame: Uint8Array, captureUs: number): void {
    this.counters.framesRead++;
    if (this.#pending !== null) this.counters.framesSkipped++;
    this.#pending = { frame, captureUs };
    this.#running ??= this.#drain().finally(() => this.#running = null);
  }

  /** Resolves when nothing is waiting or being sent. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#pending !== null) {
      const { frame, captureUs } = this.#pending;
      this.#pending = null;
      const link = this.#link;
      let paddingBytes = 0;
      let admittedBytes = 0;
      if (link !== null) {
        const nowMs = performance.now();
        const wireBytes = link.estimateWireBytes(frame.length);
        paddingBytes = link.paddingBytes(wireBytes, nowMs);
        // A frame that does not fit the rate is skipped (the budget counts it), never queued.
        if (!link.admit(wireBytes + paddingBytes, nowMs)) continue;
        admittedBytes = wireBytes + paddingBytes;
      }
      let datagrams: Uint8Array[];
      try {
        datagrams = this.#packetizer.packetize(frame, captureUs, paddingBytes);
      } catch (error) {
        // The wire format cannot carry this frame (too many fragments, or a JPEG the mode refuses).
        this.counters.framesTooLarge++;
        this.#onRefused(error);
        continue;
      }
      const sentMs = performance.now();
      await this.#sendPaced(datagrams, link?.pacingRateBps(sentMs) ?? Infinity);
      link?.sent(datagrams, frame.length, admittedBytes, captureUs, sentMs);
      this.counters.framesSent++;
    }
  }

  async #sendPaced(datagrams: Uint8Array[], pacingRateBps: number): Promise<void> {
    let largestBytes = 0;
    for (const datagram of datagrams) largestBytes = Math.max(largestBytes, datagram.length);
    // Unbounded: bursts sized for the receiver's socket buffer. Else spread at the rate.
    const plan = Number.isFinite(pacingRateBps)
      ? planPacedBursts(datagrams.length, largestBytes, pacingRateBps, {
        maxBurstBytes: this.#pacing.maxBurstBytes,
        minGapMs: this.#pacing.gapMs,
      })
      : planBursts(datagrams.length, largestBytes, this.#frameIntervalMs, this.#pacing);
    const startMs = performance.now();
    for (let burst = 0; burst < plan.bursts; burst++) {
      if (burst > 0) {
        const waitMs = startMs + burst * plan.gapMs - performance.now();
        if (waitMs > 0) await sleep(waitMs);
      }
      const start = burst * plan.burstDatagrams;
      const end = Math.min(datagrams.length, (burst + 1) * plan.burstDatagrams);
      if (this.#sink.sendBurst !== undefined) {
        await this.#sink.sendBurst(
          start === 0 && end === datagrams.length ? datagrams : datagrams.slice(start, end),
        );
        for (let i = start; i < end; i++) this.counters.bytesSent += datagrams[i].length;
        this.counters.datagramsSent += end - start;
        continue;
      }
      for (let i = start; i < end; i++) {
        await this.#sink.send(datagrams[i]);
        this.counters.datagramsSent++;
        this.counters.bytesSent += datagrams[i].length;
      }
    }
    this.counters.sendErrors = this.#sink.sendErrors;
  }
}
