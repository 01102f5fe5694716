/**
 * Receiver side of retransmission on request: watches the datagrams of frames in flight and says
 * when to ask the sender for missing fragments, and which. Pure: `nowMs` in, NACKs out; the caller
 * sends them (see docs/protocol.md, "Retransmission on request").
 *
 * It is fed by the {@linkcode Reassembler} it watches, not by datagrams: the reassembler decodes
 * each header once and tells the tracker what reached which frame; the tracker reads what is held
 * (received fragments, parity) from the reassembler's frames and keeps only its own timing per
 * frame. So it tracks exactly the frames the reassembler holds, under the reassembler's caps and
 * deadline, and never asks for a frame the reassembler no longer holds.
 *
 * A fragment counts as lost when a datagram sent after it (a later fragment of the frame, a parity,
 * or a datagram of a newer frame) has arrived, or when the frame has been quiet for the reorder
 * wait. With FEC the tracker asks only for what parity cannot repair: per group, the missing data
 * fragments minus the parities held and still to come. Requests stop at the frame's deadline (the
 * reassembler's frame timeout), after `maxRequestsPerFrame`, and once the frame is complete or
 * superseded. Memory: a few numbers per frame the reassembler holds.
 *
 * @module
 */

import { groupCount, groupMembers } from "../../fec/mod.ts";
import { type FrameEntry, seqIsNewer } from "../frames/mod.ts";
import { Flags, type ParityFields, type WireHeader } from "./header.ts";
import { indexesToRanges, MAX_NACK_RANGES, type Nack } from "./nack.ts";
import type {
  FrameDropReason,
  Reassembler,
  ReassemblerObserver,
  ReassemblyView,
} from "./reassembler.ts";

/** Timing and limits of a {@linkcode NackTracker}. */
export interface NackTrackerOptions {
  /**
   * How long a hole must last, or a frame stay quiet, before it is asked for: the reordering the
   * path is allowed. The sender paces bursts 1 ms apart, so a few ms.
   */
  reorderWaitMs: number;
  /**
   * How long a frame must stay quiet before fragments after the latest arrival count as lost (a
   * lost tail). Longer than `reorderWaitMs`: a busy sender's bursts can be several ms apart.
   */
  tailWaitMs: number;
  /** Least wait between two requests for one frame, before any round trip is measured. */
  initialRetryMs: number;
  /** Bounds of the wait between two requests once round trips are measured (2 × RTT + wait). */
  minRetryMs: number;
  /** Upper bound of that wait. */
  maxRetryMs: number;
  /** Most NACKs sent for one frame. */
  maxRequestsPerFrame: number;
}

/**
 * Defaults: ask after 3 ms of reordering (8 ms for a lost tail), at most 3 times per frame. The
 * deadline is the reassembler's frame timeout (250 ms by default).
 */
export const DEFAULT_NACK_TRACKER_OPTIONS: NackTrackerOptions = {
  reorderWaitMs: 3,
  tailWaitMs: 8,
  initialRetryMs: 30,
  minRetryMs: 15,
  maxRetryMs: 100,
  maxRequestsPerFrame: 3,
};

/** What a {@linkcode NackTracker} has done. */
export interface NackTrackerCounters {
  /** NACKs returned by `poll` (each is sent once). */
  nacksSent: number;
  /** Fragment indexes asked for, summed over all NACKs. */
  fragmentsRequested: number;
  /** Frames tracked that reached their deadline incomplete (the reassembler expired them). */
  framesPastDeadline: number;
}

interface FecShape {
  groupData: number;
  groupParity: number;
  interleaved: boolean;
}

/** The tracker's own state of a frame the reassembler holds: timing and requests only. */
interface Timing {
  lastMs: number;
  /** Send-order position of the latest-sent datagram that arrived (data i: i; parity: N + pG + g). */
  highestPosition: number;
  /** When a hole behind `highestPosition` was first seen, or null. */
  holeSinceMs: number | null;
  /** A datagram of a newer frame arrived: everything of this one has been sent. */
  tailPassed: boolean;
  requests: number;
  lastRequestMs: number | null;
}

type Frame = FrameEntry<ReassemblyView>;

/** A frame tracked: the reassembler's entry and the tracker's timing of it. */
interface Tracked {
  frame: Frame;
  timing: Timing;
}

/**
 * Decides when and what to ask the sender to send again, for the frames of the reassembler it
 * watches; see the module docs.
 *
 * @example Ask for a fragment lost on the way
 * ```ts
 * import { fragmentFrame } from "./packetizer.ts";
 * import { NackTracker } from "./nack_tracker.ts";
 * import { Reassembler } from "./reassembler.ts";
 *
 * const reassembler = new Reassembler();
 * const tracker = new NackTracker(reassembler, { reorderWaitMs: 3 });
 * const frame = new Uint8Array(1000);
 * const datagrams = fragmentFrame(frame, { streamId: 7, frameSeq: 1, captureUs: 0 }, 230);
 * for (const datagram of datagrams.filter((_, i) => i !== 1)) reassembler.push(datagram, 0);
 * const [nack] = tracker.poll(3);
 * console.assert(nack.frameSeq === 1 && nack.ranges[0].first === 1);
 * ```
 */
export class NackTracker {
  readonly #options: NackTrackerOptions;
  readonly #reassembler: Reassembler;
  /** Timing of the frames tracked, keyed by the reassembler's own entries: it lives as they do. */
  readonly #timings = new WeakMap<Frame, Timing>();
  #streamId: number | null = null;
  /** The stream's last FEC shape: a frame whose parity has not come yet probably has it too. */
  #streamFec: FecShape | null = null;
  #srttMs: number | null = null;
  /** Counters since construction. */
  readonly counters: NackTrackerCounters = {
    nacksSent: 0,
    fragmentsRequested: 0,
    framesPastDeadline: 0,
  };

  /**
   * Makes a tracker for the frames of `reassembler`, which from now on tells it about every
   * datagram (it becomes the reassembler's observer).
   *
   * @param reassembler The reassembler whose frames are asked for.
   * @param options Overrides of {@linkcode DEFAULT_NACK_TRACKER_OPTIONS}.
   */
  constructor(reassembler: Reassembler, options: Partial<NackTrackerOptions> = {}) {
    this.#options = { ...DEFAULT_NACK_TRACKER_OPTIONS, ...options };
    this.#reassembler = reassembler;
    const observer: ReassemblerObserver = {
      arrived: (frame, header, parity, nowMs) => this.#arrived(frame, header, parity, nowMs),
      released: (frame, reason) => this.#released(frame, reason),
    };
    reassembler.watch(observer);
  }

  /** Number of frames tracked right now (frames the reassembler holds). */
  get framesTracked(): number {
    let count = 0;
    for (const _ of this.#tracked()) count++;
    return count;
  }

  /** Smoothed round trip from a request to its first retransmitted fragment, or null. */
  get srttMs(): number | null {
    return this.#srttMs;
  }

  /**
   * True when the last datagram the reassembler took was a fragment or parity of the stream it
   * follows: its source is where NACKs go.
   */
  get lastDatagramFollowed(): boolean {
    return this.#reassembler.lastPushFollowed;
  }

  /** The NACKs to send now (at most one per frame), oldest frame first. */
  poll(nowMs: number): Nack[] {
    // Frames past their deadline go now (counted by #released), not at the next datagram.
    this.#reassembler.expire(nowMs);
    const options = this.#options;
    const out: Nack[] = [];
    const frames = [...this.#tracked()].sort((a, b) => seqIsNewer(a.frame.id, b.frame.id) ? 1 : -1);
    for (const { frame, timing } of frames) {
      if (timing.requests >= options.maxRequestsPerFrame) continue;
      const quiet = timing.tailPassed || nowMs - timing.lastMs >= options.tailWaitMs;
      if (timing.lastRequestMs === null) {
        const holeOld = timing.holeSinceMs !== null &&
          nowMs - timing.holeSinceMs >= options.reorderWaitMs;
        if (!quiet && !holeOld) continue;
      } else if (nowMs - timing.lastRequestMs < this.#retryMs()) continue;
      const wanted = this.#wanted(frame, timing, quiet);
      if (wanted.length === 0) continue;
      const ranges = indexesToRanges(wanted, MAX_NACK_RANGES);
      timing.requests++;
      timing.lastRequestMs = nowMs;
      this.counters.nacksSent++;
      this.counters.fragmentsRequested += ranges.reduce((sum, range) => sum + range.count, 0);
      out.push({
        streamId: this.#streamId!,
        frameSeq: frame.id,
        fragmentCount: frame.state.fragmentCount,
        ranges,
      });
    }
    return out;
  }

  /**
   * The earliest time at which {@linkcode NackTracker.poll} may have something to do (a request
   * due or a frame past its deadline), or null when no frame is tracked. Never later than that
   * time; it may be earlier (or already past) when the frame turns out to need nothing, so a
   * caller polling at this time must still wait some least interval between polls.
   *
   * A receive loop arms one timer for this time instead of polling on a fixed short period: on a
   * clean stream the only poll per frame is the lost-tail check after the frame's last datagram.
   */
  nextPollMs(): number | null {
    const options = this.#options;
    const timeoutMs = this.#reassembler.frameTimeoutMs;
    let earliest: number | null = null;
    for (const { frame, timing } of this.#tracked()) {
      let dueMs = frame.firstMs + timeoutMs;
      if (timing.requests < options.maxRequestsPerFrame) {
        if (timing.lastRequestMs !== null) {
          dueMs = Math.min(dueMs, timing.lastRequestMs + this.#retryMs());
        } else if (timing.tailPassed) {
          dueMs = Math.min(dueMs, timing.lastMs);
        } else {
          dueMs = Math.min(dueMs, timing.lastMs + options.tailWaitMs);
          if (timing.holeSinceMs !== null) {
            dueMs = Math.min(dueMs, timing.holeSinceMs + options.reorderWaitMs);
          }
        }
      }
      if (earliest === null || dueMs < earliest) earliest = dueMs;
    }
    return earliest;
  }

  /** The frames the reassembler holds that the tracker has seen a datagram of. */
  *#tracked(): Generator<Tracked> {
    for (const frame of this.#reassembler.frames()) {
      const timing = this.#timings.get(frame);
      if (timing !== undefined) yield { frame, timing };
    }
  }

  #arrived(frame: Frame, header: WireHeader, parity: ParityFields | null, nowMs: number): void {
    const streamId = this.#reassembler.streamId;
    if (streamId !== this.#streamId) {
      this.#streamId = streamId;
      this.#streamFec = null;
    }
    let timing = this.#timings.get(frame);
    if (timing === undefined) {
      timing = {
        lastMs: nowMs,
        highestPosition: -1,
        holeSinceMs: null,
        tailPassed: false,
        requests: 0,
        lastRequestMs: null,
      };
      this.#timings.set(frame, timing);
    }
    for (const other of this.#tracked()) {
      if (seqIsNewer(frame.id, other.frame.id)) other.timing.tailPassed = true;
    }
    timing.lastMs = nowMs;

    const count = frame.state.fragmentCount;
    let position: number;
    if (parity === null) {
      position = header.fragmentIndex;
      if ((header.flags & Flags.Retransmission) !== 0 && timing.lastRequestMs !== null) {
        this.#sampleRtt(nowMs - timing.lastRequestMs);
      }
    } else {
      this.#streamFec = {
        groupData: parity.groupData,
        groupParity: parity.groupParity,
        interleaved: parity.interleaved,
      };
      const groups = groupCount(count, parity.groupData);
      position = count + parity.parityIndex * groups + header.fragmentIndex;
    }
    if (position > timing.highestPosition) {
      if (position > timing.highestPosition + 1 && timing.holeSinceMs === null) {
        timing.holeSinceMs = nowMs;
      }
      timing.highestPosition = position;
    }
  }

  #released(frame: Frame, reason: FrameDropReason | null): void {
    // The timing stays with the entry until both are garbage: the retransmitted fragment that
    // completed a frame is reported after the frame left, and still measures the round trip.
    if (reason === "expired" && this.#timings.has(frame)) this.counters.framesPastDeadline++;
  }

  /** The wait before asking again for a frame, from the measured round trip. */
  #retryMs(): number {
    const { initialRetryMs, minRetryMs, maxRetryMs, reorderWaitMs } = this.#options;
    if (this.#srttMs === null) return initialRetryMs;
    return Math.min(maxRetryMs, Math.max(minRetryMs, 2 * this.#srttMs + reorderWaitMs));
  }

  #sampleRtt(sampleMs: number): void {
    if (!(sampleMs >= 0)) return;
    this.#srttMs = this.#srttMs === null ? sampleMs : 0.875 * this.#srttMs + 0.125 * sampleMs;
  }

  /** Missing data fragments worth asking for, in index order. */
  #wanted(frame: Frame, timing: Timing, quiet: boolean): number[] {
    const { fragmentCount: count, received } = frame.state;
    // Without `quiet`, only what was sent before the latest arrival is known to be lost.
    const known = (position: number) => quiet || position < timing.highestPosition;
    const frameFec = frame.state.fec;
    const fec = frameFec?.setting ?? this.#streamFec;
    if (fec === null) {
      const out: number[] = [];
      for (let i = 0; i < count; i++) if (received[i] === 0 && known(i)) out.push(i);
      return out;
    }
    const groups = groupCount(count, fec.groupData);
    const out: number[] = [];
    for (let group = 0; group < groups; group++) {
      const members = groupMembers(count, fec.groupData, fec.interleaved!, group);
      const missing = members.filter((i) => received[i] === 0);
      if (missing.length === 0) continue;
      // The reassembler keeps a group's parity while the group misses data: what it holds is
      // what arrived.
      const slots = frameFec?.groups.get(group);
      let held = 0;
      if (slots !== undefined) { for (const slot of slots) if (slot !== null) held++; }
      let pending = 0;
      if (!quiet) {
        for (let p = 0; p < fec.groupParity; p++) {
          const position = count + p * groups + group;
          const seen = (slots?.[p] ?? null) !== null;
          if (!seen && position > timing.highestPosition) pending++;
        }
      }
      // Any K of a group's K + M shards rebuild it: ask only for what parity cannot cover.
      const need = missing.length - held - pending;
      if (need <= 0) continue;
      out.push(...missing.filter(known).slice(0, need));
    }
    return out.sort((a, b) => a - b);
  }
}
