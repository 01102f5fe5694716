/**
 * The frames in flight of one source, as every wire format with frame ids keeps them: which
 * source is followed (a lock, an idle takeover, `followNewest`), the latest-wins rule against the
 * last frame emitted, the caps on frames and bytes in flight, expiry, eviction of the oldest, and
 * superseding older frames when one completes. Each drop is counted by reason.
 *
 * The table knows nothing of a format: it holds a per-frame state `S` the format makes and reads
 * (v1: a frame buffer and fragment bitmap; RTP/JPEG: fragments by offset), and the bytes each frame
 * counts against the cap, as the format tells it. The split is that of pion's SampleBuilder, which
 * does the frame bookkeeping for any depacketizer: the format decodes and places bytes, the table
 * decides which frames live. Pure: ids and `nowMs` in, no clock, no I/O.
 *
 * Frame ids are 32-bit serial numbers (v1 frame sequence, RTP timestamp), ordered with
 * {@linkcode seqIsNewer}.
 *
 * Jumps: latest wins, so without a key one forged frame numbered far ahead of the stream would
 * make every real frame after it "older" (stale) for good. So a frame more than
 * {@linkcode FrameTableOptions.maxJumpIds} ahead of the last one emitted is not emitted at once: it
 * is held back (dropped as `jump`) until a second frame confirms that the stream goes on from
 * there. And when, after a jump was taken, datagrams keep coming from more than `maxJumpIds`
 * behind ({@linkcode RESYNC_AFTER_STALE_DATAGRAMS} of them over {@linkcode RESYNC_AFTER_MS} with
 * no frame emitted), the table resyncs: the stream it follows is behind, not the datagrams.
 *
 * Bytes: a frame counts the bytes it holds (data that arrived, plus
 * {@linkcode PIECE_BOOKKEEPING_BYTES} per piece held), not the bytes it announces, so a datagram
 * announcing a large frame costs what it carries. And room for a new frame is made by evicting the
 * frame that holds the fewest bytes, not merely the oldest: a flood of one-datagram frames, which
 * hold almost nothing, evicts itself and never the real frame that is arriving (see
 * {@linkcode FrameTable.open}).
 *
 * @module
 */

import { seqIsNewer } from "./serial.ts";

/** Limits and timeouts of a {@linkcode FrameTable}. */
export interface FrameTableOptions {
  /** Most incomplete frames kept at once; the oldest is evicted past it. */
  maxFramesInFlight: number;
  /** Total bytes of incomplete frames kept at once; the oldest are evicted past it. */
  maxBytesInFlight: number;
  /** An incomplete frame is given up this long after it was opened. */
  frameTimeoutMs: number;
  /** Another source may take over after the followed one has been silent this long. */
  sourceIdleMs: number;
  /** Follow only this source id; others are refused (null: the first seen). */
  lockedSourceId: number | null;
  /**
   * Switch at once to a source id not seen before (a restarted sender takes over without waiting
   * for `sourceIdleMs`). Sources seen before never take over again while another is active, so
   * an old sender still running cannot flip the receiver back and forth.
   */
  followNewest: boolean;
  /**
   * A completed frame further ahead of the last one emitted than this is a jump (held back until
   * the stream goes on from it); datagrams further behind count towards a resync. In frame ids:
   * the format's unit (v1 frames, RTP 90 kHz ticks).
   */
  maxJumpIds: number;
}

/**
 * What a format counts for each piece of a frame it holds (a fragment or a parity shard copied
 * into its own `Uint8Array`), besides the piece's bytes: the typed array, its buffer and the map
 * entry cost about this much, so a flood of tiny pieces is bounded by the byte cap too.
 */
export const PIECE_BOOKKEEPING_BYTES = 256;

/** Datagrams from far behind, with no frame emitted, after which the table resyncs. */
export const RESYNC_AFTER_STALE_DATAGRAMS = 16;
/** ... and the least time they must span (ms); a gap this long starts the count over. */
export const RESYNC_AFTER_MS = 100;

/** Source ids a `followNewest` table remembers as already seen (oldest forgotten first). */
export const MAX_REMEMBERED_SOURCES = 16;

/**
 * The reasons a table gives up frames on its own (`jump`: complete, but too far ahead to be shown
 * before the stream goes on from it); a format adds its source-switch reason.
 */
export type FrameTableDropReason = "superseded" | "expired" | "evicted" | "jump";

/** How a table counts the frames it gives up. */
export interface FrameTableCounting<R extends string, S = unknown> {
  /** The format's frame-drop counters, incremented in place (they are its `--stats-json`). */
  frameDrops: Record<R | FrameTableDropReason, number>;
  /** The reason of frames dropped because the source changed or restarted. */
  switchReason: R;
  /**
   * Called for every frame that leaves the table: `reason` null when it completed. Lets a
   * companion (the NACK tracker) forget it at the same moment.
   */
  onRelease?: (entry: FrameEntry<S>, reason: R | FrameTableDropReason | null) => void;
}

/** One frame in flight. */
export interface FrameEntry<S> {
  /** The frame id (v1 frame sequence, RTP timestamp). */
  readonly id: number;
  /** `nowMs` when the frame was opened. */
  readonly firstMs: number;
  /** Bytes the frame counts against the cap. */
  readonly bytes: number;
  /** The format's state of the frame. */
  readonly state: S;
}

/** What {@linkcode FrameTable.admit} says about a frame id. */
export type Admission =
  /** Newer than the last frame emitted: take it. */
  | "fresh"
  /** Not newer: latest wins, drop it. */
  | "stale"
  /** Far behind for long enough: the table started over, and the frame is taken. */
  | "resynced";

/** What {@linkcode FrameTable.follow} did with a source id. */
export type FollowResult =
  /** The source already followed. */
  | "same"
  /** The first source: now followed. */
  | "first"
  /** Another source took over; the old one's frames were dropped. */
  | "switched"
  /** Not followed: locked to another, or the followed one is still active. */
  | "refused";

interface Entry<S> {
  id: number;
  firstMs: number;
  bytes: number;
  state: S;
}

/**
 * Frames in flight of the followed source, generic over the per-frame state `S` of a format;
 * see the module docs.
 *
 * @example A format's push, reduced to the table's part
 * ```ts
 * import { FrameTable } from "./frame_table.ts";
 *
 * const frameDrops = { superseded: 0, expired: 0, evicted: 0, jump: 0, streamSwitch: 0 };
 * const table = new FrameTable<{ parts: number }, "streamSwitch">({
 *   maxFramesInFlight: 4,
 *   maxBytesInFlight: 1 << 20,
 *   frameTimeoutMs: 250,
 *   sourceIdleMs: 500,
 *   lockedSourceId: null,
 *   followNewest: false,
 *   maxJumpIds: 64,
 * }, { frameDrops, switchReason: "streamSwitch" });
 *
 * if (table.follow(0xabcd, 0) !== "refused" && table.admit(7, 0) !== "stale") {
 *   const entry = table.get(7) ?? table.open(7, 0, 100, () => ({ parts: 0 }));
 *   if (entry !== null && table.makeRoom(entry, 100)) {
 *     table.hold(entry, 100);
 *     entry.state.parts++;
 *     table.complete(entry);
 *   }
 * }
 * console.assert(table.lastEmittedId === 7 && table.bytesInFlight === 0);
 * ```
 */
export class FrameTable<S, R extends string> {
  readonly #options: FrameTableOptions;
  readonly #counting: FrameTableCounting<R, S>;
  readonly #frames = new Map<number, Entry<S>>();
  #bytesInFlight = 0;
  #sourceId: number | null = null;
  #sourceLastSeenMs = 0;
  readonly #seenSources = new Set<number>();
  #lastEmittedId: number | null = null;
  /** A frame held back as a jump: a frame just after it confirms the jump. */
  #jumpId: number | null = null;
  /** Datagrams from far behind since the last frame emitted (gaps under RESYNC_AFTER_MS). */
  #behindCount = 0;
  #behindSinceMs = 0;
  #behindLastMs = 0;

  /**
   * Makes an empty table that follows no source yet.
   *
   * @param options Limits, timeouts and the source rule.
   * @param counting Where drops are counted, and the source-switch reason.
   */
  constructor(options: FrameTableOptions, counting: FrameTableCounting<R, S>) {
    this.#options = options;
    this.#counting = counting;
  }

  /** The source followed, or null before the first. */
  get sourceId(): number | null {
    return this.#sourceId;
  }

  /** The id of the last frame completed since the source was followed, or null. */
  get lastEmittedId(): number | null {
    return this.#lastEmittedId;
  }

  /** Bytes held by frames in flight right now. */
  get bytesInFlight(): number {
    return this.#bytesInFlight;
  }

  /** Number of frames in flight right now. */
  get framesInFlight(): number {
    return this.#frames.size;
  }

  /** The frames in flight, in the order they were opened. */
  entries(): IterableIterator<FrameEntry<S>> {
    return this.#frames.values();
  }

  /**
   * Decides whether a datagram of `sourceId` at `nowMs` is followed: the locked id only; else the
   * followed one, or a new one once the followed one has been silent for `sourceIdleMs` (or at
   * once, with `followNewest`, when it was never seen). A switch drops every frame in flight.
   */
  follow(sourceId: number, nowMs: number): FollowResult {
    let result: FollowResult = "same";
    if (sourceId !== this.#sourceId) {
      const { lockedSourceId, followNewest, sourceIdleMs } = this.#options;
      if (lockedSourceId !== null && sourceId !== lockedSourceId) return "refused";
      const idle = nowMs - this.#sourceLastSeenMs >= sourceIdleMs;
      const newcomer = followNewest && !this.#seenSources.has(sourceId);
      if (this.#sourceId !== null && !idle && !newcomer) return "refused";
      result = this.#sourceId === null ? "first" : "switched";
      if (followNewest) {
        if (this.#seenSources.size >= MAX_REMEMBERED_SOURCES) {
          this.#seenSources.delete(this.#seenSources.values().next().value!);
        }
        this.#seenSources.add(sourceId);
      }
      this.restart();
      this.#sourceId = sourceId;
    }
    this.#sourceLastSeenMs = nowMs;
    return result;
  }

  /**
   * The followed source starts over (an RTP source that restarted with the same SSRC): every
   * frame in flight is dropped with the switch reason, and the last emitted id is forgotten.
   */
  restart(): void {
    for (const entry of this.#frames.values()) this.discard(entry, this.#counting.switchReason);
    this.#lastEmittedId = null;
    this.#jumpId = null;
    this.#behindCount = 0;
  }

  /** True when frame `id` is not newer than the last frame emitted: latest wins. */
  isStale(id: number): boolean {
    return this.#lastEmittedId !== null && !seqIsNewer(id, this.#lastEmittedId);
  }

  /**
   * Latest wins, for a datagram of frame `id` at `nowMs`: fresh when newer than the last frame
   * emitted, else stale, unless datagrams from more than `maxJumpIds` behind have kept coming
   * (see the module docs): then the table restarts (as {@linkcode FrameTable.restart}) and the
   * datagram is taken.
   */
  admit(id: number, nowMs: number): Admission {
    const last = this.#lastEmittedId;
    if (last === null || seqIsNewer(id, last)) return "fresh";
    if (((last - id) >>> 0) <= this.#options.maxJumpIds) return "stale";
    if (this.#behindCount === 0 || nowMs - this.#behindLastMs >= RESYNC_AFTER_MS) {
      this.#behindCount = 0;
      this.#behindSinceMs = nowMs;
    }
    this.#behindCount++;
    this.#behindLastMs = nowMs;
    if (
      this.#behindCount < RESYNC_AFTER_STALE_DATAGRAMS ||
      nowMs - this.#behindSinceMs < RESYNC_AFTER_MS
    ) {
      return "stale";
    }
    this.restart();
    return "resynced";
  }

  /** The frame `id` in flight, if any. */
  get(id: number): FrameEntry<S> | undefined {
    return this.#frames.get(id);
  }

  /**
   * Opens frame `id` at `nowMs` with the state `create` makes, after making room for one more
   * frame and `roomBytes` more bytes (what its first datagram will make it hold); null when there
   * is no frame it may evict (then `create` is not called). The new frame holds no bytes yet:
   * {@linkcode FrameTable.hold}.
   *
   * Which frame makes room: the one holding the fewest bytes (the oldest of those) among the
   * frames a new one may evict: frames holding fewer bytes than `roomBytes`; frames older than
   * `id` holding no more; and, when `id` is newer than every frame in flight, every older frame.
   * So a newer frame pushes out older ones as before, and a datagram that holds next to nothing
   * pushes out only frames that hold as little.
   */
  open(id: number, nowMs: number, roomBytes: number, create: () => S): FrameEntry<S> | null {
    if (!this.#makeRoom(id, roomBytes, true)) return null;
    const entry: Entry<S> = { id, firstMs: nowMs, bytes: 0, state: create() };
    this.#frames.set(id, entry);
    return entry;
  }

  /**
   * Evicts frames older than `entry` until `bytes` more fit; false when that would take evicting
   * `entry` itself or newer frames.
   */
  makeRoom(entry: FrameEntry<S>, bytes: number): boolean {
    return this.#makeRoom(entry.id, bytes, false);
  }

  /** Counts `bytes` more held by `entry` (after {@linkcode FrameTable.makeRoom} said they fit). */
  hold(entry: FrameEntry<S>, bytes: number): void {
    (entry as Entry<S>).bytes += bytes;
    this.#bytesInFlight += bytes;
  }

  /** Counts `bytes` that `entry` no longer holds. */
  free(entry: FrameEntry<S>, bytes: number): void {
    (entry as Entry<S>).bytes -= bytes;
    this.#bytesInFlight -= bytes;
  }

  /**
   * `entry` is complete: it leaves the table and, when it may be emitted (true), supersedes every
   * older frame in flight. False when it is a jump held back (see the module docs): it is dropped
   * as `jump`, and the caller emits nothing.
   */
  complete(entry: FrameEntry<S>): boolean {
    const last = this.#lastEmittedId;
    const { maxJumpIds } = this.#options;
    if (last !== null && ((entry.id - last) >>> 0) > maxJumpIds) {
      const jump = this.#jumpId;
      const goesOn = jump !== null && seqIsNewer(entry.id, jump) &&
        ((entry.id - jump) >>> 0) <= maxJumpIds;
      if (!goesOn) {
        this.#jumpId = entry.id;
        this.discard(entry, "jump");
        return false;
      }
    }
    this.#remove(entry as Entry<S>);
    this.#lastEmittedId = entry.id;
    this.#jumpId = null;
    this.#behindCount = 0;
    for (const other of this.#frames.values()) {
      if (!seqIsNewer(other.id, entry.id)) this.discard(other, "superseded");
    }
    this.#counting.onRelease?.(entry, null);
    return true;
  }

  /** Gives up `entry`, counted under `reason`. */
  discard(entry: FrameEntry<S>, reason: R | FrameTableDropReason): void {
    this.#remove(entry as Entry<S>);
    this.#counting.frameDrops[reason]++;
    this.#counting.onRelease?.(entry, reason);
  }

  /** Gives up frames opened `frameTimeoutMs` or more before `nowMs`. Call it when idle, too. */
  expire(nowMs: number): void {
    for (const entry of this.#frames.values()) {
      if (nowMs - entry.firstMs >= this.#options.frameTimeoutMs) this.discard(entry, "expired");
    }
  }

  #makeRoom(id: number, bytes: number, newFrame: boolean): boolean {
    const { maxFramesInFlight, maxBytesInFlight } = this.#options;
    while (
      (newFrame && this.#frames.size >= maxFramesInFlight) ||
      this.#bytesInFlight + bytes > maxBytesInFlight
    ) {
      const victim = newFrame ? this.#weakestFor(id, bytes) : this.#oldestBefore(id);
      if (victim === null) return false;
      this.discard(victim, "evicted");
    }
    return true;
  }

  /** The oldest frame other than `id`, if it is not newer than `id`: what a growing frame evicts. */
  #oldestBefore(id: number): Entry<S> | null {
    let oldest: Entry<S> | null = null;
    for (const entry of this.#frames.values()) {
      if (entry.id === id) continue;
      if (oldest === null || seqIsNewer(oldest.id, entry.id)) oldest = entry;
    }
    return oldest === null || seqIsNewer(oldest.id, id) ? null : oldest;
  }

  /** The frame a new frame `id` holding `bytes` evicts, or null: see {@linkcode FrameTable.open}. */
  #weakestFor(id: number, bytes: number): Entry<S> | null {
    let newest = true;
    for (const entry of this.#frames.values()) {
      if (entry.id !== id && seqIsNewer(entry.id, id)) newest = false;
    }
    let weakest: Entry<S> | null = null;
    for (const entry of this.#frames.values()) {
      if (entry.id === id) continue;
      const older = !seqIsNewer(entry.id, id);
      const evictable = entry.bytes < bytes || (older && (newest || entry.bytes <= bytes));
      if (!evictable) continue;
      if (
        weakest === null || entry.bytes < weakest.bytes ||
        (entry.bytes === weakest.bytes && seqIsNewer(weakest.id, entry.id))
      ) {
        weakest = entry;
      }
    }
    return weakest;
  }

  #remove(entry: Entry<S>): void {
    this.#frames.delete(entry.id);
    this.#bytesInFlight -= entry.bytes;
  }
}
