/**
 * Receiver side of retransmission on request: watches the datagrams of frames in flight and says
 * when to ask the sender for missing fragments, and which. Pure: datagrams and `nowMs` in, NACKs
 * out; the caller sends them (see docs/protocol.md, "Retransmission on request").
 *
 * A fragment counts as lost when a datagram sent after it (a later fragment of the frame, a parity,
 * or a datagram of a newer frame) has arrived, or when the frame has been quiet for the reorder
 * wait. With FEC the tracker asks only for what parity cannot repair: per group, the missing data
 * fragments minus the parities held and still to come. Requests stop at the frame's deadline, after
 * `maxRequestsPerFrame`, and once the frame is complete or superseded. Memory is bounded by
 * `maxFrames` frames of at most 65535 fragments each.
 *
 * @module
 */

import { groupCount, groupMembers } from "../../fec/mod.ts";
import { seqIsNewer } from "../frames/mod.ts";
import { decodeHeader, Flags, PacketType, readParityFields } from "./header.ts";
import { indexesToRanges, MAX_NACK_RANGES, type Nack } from "./nack.ts";

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
  /** No request once this long has passed since the frame's first datagram (its deadline). */
  frameTimeoutMs: number;
  /** Most frames tracked at once; the oldest is forgotten past it. */
  maxFrames: number;
}

/** Defaults: ask after 3 ms of reordering (8 ms for a lost tail), at most 3 times per frame, within 250 ms. */
export const DEFAULT_NACK_TRACKER_OPTIONS: NackTrackerOptions = {
  reorderWaitMs: 3,
  tailWaitMs: 8,
  initialRetryMs: 30,
  minRetryMs: 15,
  maxRetryMs: 100,
  maxRequestsPerFrame: 3,
  frameTimeoutMs: 250,
  maxFrames: 16,
};

/** What a {@linkcode NackTracker} has done. */
export interface NackTrackerCounters {
  /** NACKs returned by `poll` (each is sent once). */
  nacksSent: number;
  /** Fragment indexes asked for, summed over all NACKs. */
  fragmentsRequested: number;
  /** Frames given up for requests because their deadline passed while incomplete. */
  framesPastDeadline: number;
}

interface FecShape {
  groupData: number;
  groupParity: number;
  interleaved: boolean;
}

interface TrackedFrame {
  seq: number;
  fragmentCount: number;
  received: Uint8Array;
  firstMs: number;
  lastMs: number;
  /** Send-order position of the latest-sent datagram that arrived (data i: i; parity: N + pG + g). */
  highestPosition: number;
  /** When a hole behind `highestPosition` was first seen, or null. */
  holeSinceMs: number | null;
  /** A datagram of a newer frame arrived: everything of this one has been sent. */
  tailPassed: boolean;
  fec: FecShape | null;
  /** Parities received per group (index g); null without FEC. */
  parityHeld: Uint8Array | null;
  /** Parity (p, g) seen, to ignore duplicates; null without FEC. */
  paritySeen: Uint8Array | null;
  requests: number;
  lastRequestMs: number | null;
}

/** Most parity slots (groups × M) tracked for one frame; bigger FEC shapes are not tracked. */
const MAX_PARITY_SLOTS = 65_536;

/** Decides when and what to ask the sender to send again; see the module docs. */
export class NackTracker {
  readonly #options: NackTrackerOptions;
  readonly #frames = new Map<number, TrackedFrame>();
  #streamId: number | null = null;
  #lastCompletedSeq: number | null = null;
  /** The stream's last FEC shape: a frame whose parity has not come yet probably has it too. */
  #streamFec: FecShape | null = null;
  #srttMs: number | null = null;
  /** Counters since construction. */
  readonly counters: NackTrackerCounters = {
    nacksSent: 0,
    fragmentsRequested: 0,
    framesPastDeadline: 0,
  };

  /** @param options Overrides of {@linkcode DEFAULT_NACK_TRACKER_OPTIONS}. */
  constructor(options: Partial<NackTrackerOptions> = {}) {
    this.#options = { ...DEFAULT_NACK_TRACKER_OPTIONS, ...options };
  }

  /** Number of frames tracked right now. */
  get framesTracked(): number {
    return this.#frames.size;
  }

  /** Smoothed round trip from a request to its first retransmitted fragment, or null. */
  get srttMs(): number | null {
    return this.#srttMs;
  }

  /**
   * Notes a datagram received at `nowMs`. `followedStreamId` is the stream the reassembler
   * follows (after it saw this datagram); datagrams of other streams are ignored. Returns true for
   * a fragment or parity of that stream (its source is where NACKs go).
   */
  observe(datagram: Uint8Array, nowMs: number, followedStreamId: number | null): boolean {
    const decoded = decodeHeader(datagram);
    if (!decoded.ok) return false;
    const header = decoded.header;
    if (header.type !== PacketType.Fragment && header.type !== PacketType.Parity) return false;
    if (followedStreamId === null || header.streamId !== followedStreamId) return false;
    if (header.streamId !== this.#streamId) {
      this.#frames.clear();
      this.#streamId = header.streamId;
      this.#lastCompletedSeq = null;
      this.#streamFec = null;
    }
    const seq = header.frameSeq;
    if (this.#lastCompletedSeq !== null && !seqIsNewer(seq, this.#lastCompletedSeq)) return true;
    let frame = this.#frames.get(seq);
    if (frame === undefined) {
      frame = this.#track(seq, header.fragmentCount, nowMs);
    } else if (frame.fragmentCount !== header.fragmentCount) return true;
    for (const other of this.#frames.values()) {
      if (seqIsNewer(seq, other.seq)) other.tailPassed = true;
    }
    frame.lastMs = nowMs;

    const count = frame.fragmentCount;
    let position: number;
    if (header.type === PacketType.Fragment) {
      position = header.fragmentIndex;
      if (frame.received[position] === 0) frame.received[position] = 1;
      if ((header.flags & Flags.Retransmission) !== 0 && frame.lastRequestMs !== null) {
        this.#sampleRtt(nowMs - frame.lastRequestMs);
      }
    } else {
      const fields = readParityFields(datagram);
      const shape = {
        groupData: fields.groupData,
        groupParity: fields.groupParity,
        interleaved: fields.interleaved,
      };
      const groups = groupCount(count, shape.groupData);
      if (groups * shape.groupParity > MAX_PARITY_SLOTS) return true;
      if (frame.fec === null) {
        frame.fec = shape;
        frame.parityHeld = new Uint8Array(groups);
        frame.paritySeen = new Uint8Array(groups * shape.groupParity);
        this.#streamFec = shape;
      } else if (!sameShape(frame.fec, shape)) return true;
      const slot = fields.parityIndex * groups + header.fragmentIndex;
      if (frame.paritySeen![slot] === 0) {
        frame.paritySeen![slot] = 1;
        frame.parityHeld![header.fragmentIndex]++;
      }
      position = count + slot;
    }
    if (position > frame.highestPosition) {
      if (position > frame.highestPosition + 1 && frame.holeSinceMs === null) {
        frame.holeSinceMs = nowMs;
      }
      frame.highestPosition = position;
    }
    return true;
  }

  /** The reassembler emitted this frame: stop tracking it and every older frame. */
  completed(streamId: number, frameSeq: number): void {
    if (streamId !== this.#streamId) return;
    this.#lastCompletedSeq = frameSeq;
    for (const frame of this.#frames.values()) {
      if (!seqIsNewer(frame.seq, frameSeq)) this.#frames.delete(frame.seq);
    }
  }

  /** The NACKs to send now (at most one per frame), oldest frame first. */
  poll(nowMs: number): Nack[] {
    const options = this.#options;
    const out: Nack[] = [];
    const frames = [...this.#frames.values()].sort((a, b) => seqIsNewer(a.seq, b.seq) ? 1 : -1);
    for (const frame of frames) {
      if (nowMs - frame.firstMs >= options.frameTimeoutMs) {
        this.#frames.delete(frame.seq);
        this.counters.framesPastDeadline++;
        continue;
      }
      if (frame.requests >= options.maxRequestsPerFrame) continue;
      const quiet = frame.tailPassed || nowMs - frame.lastMs >= options.tailWaitMs;
      if (frame.lastRequestMs === null) {
        const holeOld = frame.holeSinceMs !== null &&
          nowMs - frame.holeSinceMs >= options.reorderWaitMs;
        if (!quiet && !holeOld) continue;
      } else if (nowMs - frame.lastRequestMs < this.#retryMs()) continue;
      const wanted = this.#wanted(frame, quiet);
      if (wanted.length === 0) continue;
      const ranges = indexesToRanges(wanted, MAX_NACK_RANGES);
      frame.requests++;
      frame.lastRequestMs = nowMs;
      this.counters.nacksSent++;
      this.counters.fragmentsRequested += ranges.reduce((sum, range) => sum + range.count, 0);
      out.push({
        streamId: this.#streamId!,
        frameSeq: frame.seq,
        fragmentCount: frame.fragmentCount,
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
    let earliest: number | null = null;
    for (const frame of this.#frames.values()) {
      let dueMs = frame.firstMs + options.frameTimeoutMs;
      if (frame.requests < options.maxRequestsPerFrame) {
        if (frame.lastRequestMs !== null) {
          dueMs = Math.min(dueMs, frame.lastRequestMs + this.#retryMs());
        } else if (frame.tailPassed) {
          dueMs = Math.min(dueMs, frame.lastMs);
        } else {
          dueMs = Math.min(dueMs, frame.lastMs + options.tailWaitMs);
          if (frame.holeSinceMs !== null) {
            dueMs = Math.min(dueMs, frame.holeSinceMs + options.reorderWaitMs);
          }
        }
      }
      if (earliest === null || dueMs < earliest) earliest = dueMs;
    }
    return earliest;
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
  #wanted(frame: TrackedFrame, quiet: boolean): number[] {
    const count = frame.fragmentCount;
    // Without `quiet`, only what was sent before the latest arrival is known to be lost.
    const known = (position: number) => quiet || position < frame.highestPosition;
    const fec = frame.fec ?? this.#streamFec;
    if (fec === null) {
      const out: number[] = [];
      for (let i = 0; i < count; i++) if (frame.received[i] === 0 && known(i)) out.push(i);
      return out;
    }
    const groups = groupCount(count, fec.groupData);
    const out: number[] = [];
    for (let group = 0; group < groups; group++) {
      const members = groupMembers(count, fec.groupData, fec.interleaved, group);
      const missing = members.filter((i) => frame.received[i] === 0);
      if (missing.length === 0) continue;
      const held = frame.parityHeld?.[group] ?? 0;
      let pending = 0;
      if (!quiet) {
        for (let p = 0; p < fec.groupParity; p++) {
          const position = count + p * groups + group;
          const seen = frame.paritySeen?.[p * groups + group] === 1;
          if (!seen && position > frame.highestPosition) pending++;
        }
      }
      // Any K of a group's K + M shards rebuild it: ask only for what parity cannot cover.
      const need = missing.length - held - pending;
      if (need <= 0) continue;
      out.push(...missing.filter(known).slice(0, need));
    }
    return out.sort((a, b) => a - b);
  }

  #track(seq: number, fragmentCount: number, nowMs: number): TrackedFrame {
    while (this.#frames.size >= this.#options.maxFrames) {
      let oldest: TrackedFrame | null = null;
      for (const frame of this.#frames.values()) {
        if (oldest === null || seqIsNewer(oldest.seq, frame.seq)) oldest = frame;
      }
      this.#frames.delete(oldest!.seq);
    }
    const frame: TrackedFrame = {
      seq,
      fragmentCount,
      received: new Uint8Array(fragmentCount),
      firstMs: nowMs,
      lastMs: nowMs,
      highestPosition: -1,
      holeSinceMs: null,
      tailPassed: false,
      fec: null,
      parityHeld: null,
      paritySeen: null,
      requests: 0,
      lastRequestMs: null,
    };
    this.#frames.set(seq, frame);
    return frame;
  }
}

function sameShape(a: FecShape, b: FecShape): boolean {
  return a.groupData === b.groupData && a.groupParity === b.groupParity &&
    a.interleaved === b.interleaved;
}
