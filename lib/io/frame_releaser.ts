/**
 * Feeds the frames ffmpeg reads to the paced sender as the release policy says
 * (lib/send/release_policy.ts): holds a frame for its slot, stamps its capture time, writes it to
 * `--save`, offers it, and makes reading wait until it is sent when the plan wants that.
 *
 * @module
 */

import type { ReleasePolicy } from "../send/mod.ts";
import { epochMicros } from "./clock.ts";

/** What a frame goes to: the paced sender fits. */
export interface FrameSink {
  /** Takes a frame read at `captureUs` (µs since the Unix epoch). */
  offer(frame: Uint8Array, captureUs: number): void;
  /** Resolves when nothing is waiting or being sent. */
  idle(): Promise<void>;
}

/** What {@linkcode frameReleaser} drives. */
export interface FrameReleaserOptions {
  /** The run's release decisions; its `stop()` drops the frames that come after. */
  policy: ReleasePolicy;
  /** Where released frames go. */
  sender: FrameSink;
  /** `--save`: writes each released frame, or null. */
  save: ((frame: Uint8Array) => void) | null;
  /** Called when the last frame `--frames` allows was released. */
  onLastFrame: () => void;
}

/**
 * Returns the capture's frame callback: undefined when reading may go on at once, else a promise
 * that reading waits for (a frame's slot on the sender's clock, then its sending).
 */
export function frameReleaser(
  options: FrameReleaserOptions,
): (frame: Uint8Array) => Promise<void> | undefined {
  const { policy, sender, save, onLastFrame } = options;
  const release = (frame: Uint8Array) => {
    const captureUs = epochMicros();
    save?.(frame);
    sender.offer(frame, captureUs);
    if (policy.released()) onLastFrame();
  };
  return (frame) => {
    const step = policy.arrive(performance.now());
    switch (step.kind) {
      case "drop":
        return undefined;
      case "release":
        release(frame);
        return step.awaitSent ? sender.idle() : undefined;
      case "hold":
        return sleep(step.holdMs).then(() => {
          if (!policy.stopping) release(frame);
          return sender.idle();
        });
    }
  };
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
