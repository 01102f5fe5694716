/**
 * Rebuilds JPEG frames from wire-protocol v1 datagrams: a pure state machine fed
 * `(datagram, nowMs)`.
 *
 * Guarantees:
 * - only complete frames come out, byte-for-byte as the sender cut them;
 * - latest wins: a frame older than one already emitted is never emitted;
 * - every dropped datagram and frame is counted by reason;
 * - memory is bounded by {@linkcode ReassemblerOptions.maxBytesInFlight} plus one byte per fragment
 *   of each frame in flight. A frame counts what it holds: until it holds
 *   {@linkcode PLAUSIBLE_SHARE} of its bytes, copies of the fragments that arrived (each with
 *   {@linkcode PIECE_BOOKKEEPING_BYTES}); from then on, its one buffer of the bytes it announced.
 *   So a datagram announcing an 8 MiB frame costs what it carries, not 8 MiB; a frame's buffer
 *   is never more than 8 times the data that arrived for it.
 *
 * Which frames live (the stream followed, latest wins, the caps, expiry, eviction) is decided by
 * the frame table all formats with frame ids share (lib/wire/frames/frame_table.ts); this module
 * decodes v1 datagrams and places their bytes.
 *
 * Forward error correction: parity datagrams (see lib/fec/codes.ts and docs/protocol.md, "Forward error correction") are kept per
 * frame and group only while the group misses data, and a group is rebuilt the moment it has as
 * many parities as missing fragments, whether the last piece to arrive is data or parity.
 *
 * @module
 */

import { type FecSetting, groupMembers, groupOf, recoverGroup } from "../../fec/mod.ts";
import {
  decodeHeader,
  FecSchemeId,
  Flags,
  fragmentOffset,
  fragmentPayloadBytes,
  HEADER_BYTES,
  PacketType,
  PARITY_FIELDS_BYTES,
  type ParityFields,
  readParityFields,
  type WireHeader,
} from "./header.ts";
import { type FrameEntry, FrameTable, PIECE_BOOKKEEPING_BYTES } from "../frames/mod.ts";
import { zeroCounts } from "../../stats/mod.ts";

/** Limits and timeouts of a {@linkcode Reassembler}. */
export interface ReassemblerOptions {
  /** Most incomplete frames kept at once; the oldest is evicted past it. */
  maxFramesInFlight: number;
  /** Frames announcing more bytes than this are refused. */
  maxFrameBytes: number;
  /** Total bytes of incomplete frames kept at once; the oldest are evicted past it. */
  maxBytesInFlight: number;
  /** An incomplete frame is given up this long after its first fragment arrived. */
  frameTimeoutMs: number;
  /** Another stream may take over after the current one has been silent this long. */
  streamIdleMs: number;
  /**
   * A complete frame more than this many frames ahead of the last one emitted is held back until
   * the next frame confirms it (dropped as `jump`); datagrams this far behind, for a while, make
   * the reassembler resync (lib/wire/frames/frame_table.ts).
   */
  maxFrameJump: number;
  /** Follow only this stream id; others are dropped as `otherStream` (null: the first seen). */
  lockedStreamId: number | null;
  /**
   * Switch at once to a stream id not seen before (a restarted sender takes over without waiting
   * for `streamIdleMs`). Streams seen before never take over again while another is active, so
   * an old sender still running cannot flip the receiver back and forth.
   */
  followNewest: boolean;
}

/** Defaults: room for a few 4K frames, a frame given up after 250 ms. */
export const DEFAULT_REASSEMBLER_OPTIONS: ReassemblerOptions = {
  maxFramesInFlight: 8,
  maxFrameBytes: 8 * 1024 * 1024,
  maxBytesInFlight: 32 * 1024 * 1024,
  frameTimeoutMs: 250,
  streamIdleMs: 500,
  maxFrameJump: 16,
  lockedStreamId: null,
  followNewest: false,
};

/**
 * Share of its announced bytes a frame must hold before its buffer is allocated: the fragments
 * before that are kept as copies (and copied once more into the buffer).
 */
export const PLAUSIBLE_SHARE = 1 / 8;

/** A frame whose fragments all arrived. */
export interface CompleteFrame {
  /** Stream the frame belongs to. */
  streamId: number;
  /** Sequence number of the frame. */
  frameSeq: number;
  /** Sender's capture time in microseconds since the Unix epoch. */
  captureUs: number;
  /** The JPEG, exactly as the sender read it. */
  bytes: Uint8Array;
  /** Number of datagrams it came in. */
  fragmentCount: number;
  /** `nowMs` of its first fragment. */
  firstFragmentMs: number;
  /** `nowMs` of the fragment that completed it. */
  completeMs: number;
}

/** Reasons a datagram is dropped. */
export const DATAGRAM_DROP_REASONS = [
  "short",
  "magic",
  "version",
  "flags",
  "fields",
  "unknownType",
  "otherStream",
  "stale",
  "duplicate",
  "inconsistent",
  "tooLarge",
  "unknownFecScheme",
  "parityUnneeded",
] as const;

/** A reason a datagram is dropped. */
export type DatagramDropReason = typeof DATAGRAM_DROP_REASONS[number];

/** Reasons an incomplete frame is given up. */
export const FRAME_DROP_REASONS = [
  "superseded",
  "expired",
  "evicted",
  "jump",
  "streamSwitch",
] as const;

/** A reason an incomplete frame is given up. */
export type FrameDropReason = typeof FRAME_DROP_REASONS[number];

/** Everything a {@linkcode Reassembler} has counted since it was made. */
export interface ReassemblerCounters {
  /** Datagrams pushed. */
  datagramsReceived: number;
  /** Payload bytes of the datagrams pushed, headers included. */
  bytesReceived: number;
  /** Datagrams dropped, by reason. */
  datagramDrops: Record<DatagramDropReason, number>;
  /** Frames emitted. */
  framesComplete: number;
  /** Frames given up incomplete, by reason. */
  frameDrops: Record<FrameDropReason, number>;
  /** Times the reassembler followed a new stream id. */
  streamSwitches: number;
  /**
   * Times it started over on the stream it follows: datagrams kept coming from far behind the
   * last frame emitted (a forged frame far ahead, or a sender that restarted its numbering).
   */
  streamResyncs: number;
  /** Parity datagrams pushed that decoded (including ones later dropped). */
  parityReceived: number;
  /** What forward error correction rebuilt: fragments, and frames that needed at least one. */
  recoveredByFec: { fragments: number; frames: number };
  /**
   * Fragments that arrived as retransmissions (flag set) and filled a hole, and complete frames
   * that needed at least one.
   */
  recoveredByRetransmission: { fragments: number; frames: number };
}

/**
 * A frame in flight as a {@linkcode ReassemblerObserver} sees it (the NACK tracker reads what
 * arrived from here instead of keeping its own copy). Read it, do not change it.
 */
export interface ReassemblyView {
  /** Fragments the frame was cut into. */
  readonly fragmentCount: number;
  /** One byte per fragment: 1 once it is held (arrived, or rebuilt by FEC). */
  readonly received: Uint8Array;
  /** How many fragments are held. */
  readonly receivedCount: number;
  /** The frame's FEC, known from its first parity datagram, or null. */
  readonly fec: {
    /** The FEC setting its parity datagrams carry. */
    readonly setting: FecSetting;
    /**
     * Parity shards held, by group, one slot per parity index. A group is here only while it
     * misses data and has parity; once it is whole its parity is freed.
     */
    readonly groups: ReadonlyMap<number, readonly (Uint8Array | null)[]>;
  } | null;
}

/**
 * Told by a {@linkcode Reassembler} what it did with each datagram, synchronously inside
 * {@linkcode Reassembler.push}: how the NACK tracker follows the frames without decoding anything
 * again or keeping frames of its own.
 */
export interface ReassemblerObserver {
  /**
   * A fragment or parity datagram of the followed stream reached `frame`, which the reassembler
   * holds (or just completed with it), whether it filled a hole or was a duplicate or unneeded
   * parity. Not called for datagrams dropped before they reach a held frame (other streams,
   * stale, malformed, inconsistent with the frame, or a frame with no room).
   */
  arrived(
    frame: FrameEntry<ReassemblyView>,
    header: WireHeader,
    parity: ParityFields | null,
    nowMs: number,
  ): void;
  /** `frame` left the reassembler: completed (`reason` null) or given up for `reason`. */
  released(frame: FrameEntry<ReassemblyView>, reason: FrameDropReason | null): void;
}

/** The v1 state of a frame in flight, kept in the frame table. */
interface FrameInFlight extends ReassemblyView {
  frameBytes: number;
  fragmentCount: number;
  captureUs: number;
  /** The frame's bytes, once it holds PLAUSIBLE_SHARE of them; null before. */
  buffer: Uint8Array | null;
  /** Before the buffer: copies of the payloads held, by index. */
  fragments: Map<number, Uint8Array>;
  /** Payload bytes held, arrived or rebuilt. */
  heldBytes: number;
  /** Bytes the fragment copies count in the table (with bookkeeping). */
  copiesCharge: number;
  received: Uint8Array;
  receivedCount: number;
  /** FEC state, made by the frame's first parity datagram. */
  fec: FrameFec | null;
  recoveredFragments: number;
  retransmittedFragments: number;
}

interface FrameFec {
  setting: FecSetting;
  /** Parity shards by group, one slot per parity index; a group's entry goes once it is whole. */
  groups: Map<number, (Uint8Array | null)[]>;
  /** Bytes of the parity shards held, part of the frame's bytes in the table. */
  bytes: number;
}

type Frame = FrameEntry<FrameInFlight>;

const SCHEME_NAMES: Record<number, FecSetting["scheme"]> = {
  [FecSchemeId.Xor]: "xor",
  [FecSchemeId.ReedSolomon]: "rs",
};

/** The FEC setting a parity datagram carries (its scheme id known). */
function settingOf(parity: ParityFields): FecSetting {
  return {
    scheme: SCHEME_NAMES[parity.scheme],
    groupData: parity.groupData,
    groupParity: parity.groupParity,
    interleaved: parity.interleaved,
  };
}

function sameSetting(a: FecSetting, b: FecSetting): boolean {
  return a.scheme === b.scheme && a.groupData === b.groupData &&
    a.groupParity === b.groupParity && a.interleaved === b.interleaved;
}

/** Reassembles frames of one stream at a time; see the module docs for its guarantees. *
 * @example Fragments in any order make the frame; a duplicate is counted
 * ```ts
 * import { Reassembler } from "./reassembler.ts";
 * import { V1Packetizer } from "./packetizer.ts";
 *
 * const datagrams = new V1Packetizer(0xdeadbeef, 1200).packetize(new Uint8Array(3000), 0);
 * const reassembler = new Reassembler();
 * reassembler.push(datagrams[1], 0);
 * reassembler.push(datagrams[1], 0);
 * reassembler.push(datagrams[0], 1);
 * const frame = reassembler.push(datagrams[2], 2);
 * if (frame?.bytes.length !== 3000) throw new Error("no frame");
 * if (reassembler.counters.datagramDrops.duplicate !== 1) throw new Error("duplicate not counted");
 * ```
 */
export class Reassembler {
  readonly #options: ReassemblerOptions;
  readonly #table: FrameTable<FrameInFlight, FrameDropReason>;
  #observer: ReassemblerObserver | null = null;
  /** The last push's header and parity when it was of the followed stream, else null. */
  #lastFollowed: WireHeader | null = null;
  #lastFollowedParity: ParityFields | null = null;
  /** Counters since construction; read them, do not write them. */
  readonly counters: ReassemblerCounters = {
    datagramsReceived: 0,
    bytesReceived: 0,
    datagramDrops: zeroCounts(DATAGRAM_DROP_REASONS),
    framesComplete: 0,
    frameDrops: zeroCounts(FRAME_DROP_REASONS),
    streamSwitches: 0,
    streamResyncs: 0,
    parityReceived: 0,
    recoveredByFec: { fragments: 0, frames: 0 },
    recoveredByRetransmission: { fragments: 0, frames: 0 },
  };

  /**
   * Makes a reassembler that follows no stream yet.
   *
   * @param options Overrides of {@linkcode DEFAULT_REASSEMBLER_OPTIONS}.
   */
  constructor(options: Partial<ReassemblerOptions> = {}) {
    const all = { ...DEFAULT_REASSEMBLER_OPTIONS, ...options };
    this.#options = all;
    this.#table = new FrameTable<FrameInFlight, FrameDropReason>({
      maxFramesInFlight: all.maxFramesInFlight,
      maxBytesInFlight: all.maxBytesInFlight,
      frameTimeoutMs: all.frameTimeoutMs,
      sourceIdleMs: all.streamIdleMs,
      lockedSourceId: all.lockedStreamId,
      followNewest: all.followNewest,
      maxJumpIds: all.maxFrameJump,
    }, {
      frameDrops: this.counters.frameDrops,
      switchReason: "streamSwitch",
      onRelease: (entry, reason) => this.#observer?.released(entry, reason),
    });
  }

  /**
   * Sets the one observer told about every datagram that reaches a frame and every frame that
   * leaves (the NACK tracker); replaces any set before.
   */
  watch(observer: ReassemblerObserver): void {
    this.#observer = observer;
  }

  /** The frames in flight, oldest opened first. Read them, do not change them. */
  frames(): IterableIterator<FrameEntry<ReassemblyView>> {
    return this.#table.entries();
  }

  /** An incomplete frame is given up this long after its first datagram. */
  get frameTimeoutMs(): number {
    return this.#options.frameTimeoutMs;
  }

  /**
   * True when the last datagram pushed was a fragment or parity of the stream followed (after the
   * push), whatever became of it: its source is where NACKs go.
   */
  get lastPushFollowed(): boolean {
    return this.#lastFollowed !== null;
  }

  /**
   * The header of the last datagram pushed, decoded once here, when it was a fragment or parity
   * of the stream followed; else null. The receiver reports read it rather than decode again.
   */
  get lastFollowedHeader(): WireHeader | null {
    return this.#lastFollowed;
  }

  /** The parity fields of that datagram when it was parity, else null. */
  get lastFollowedParity(): ParityFields | null {
    return this.#lastFollowedParity;
  }

  /** The stream currently followed, or null before the first valid fragment. */
  get streamId(): number | null {
    return this.#table.sourceId;
  }

  /** Bytes held by incomplete frames right now. */
  get bytesInFlight(): number {
    return this.#table.bytesInFlight;
  }

  /** Number of incomplete frames held right now. */
  get framesInFlight(): number {
    return this.#table.framesInFlight;
  }

  /**
   * Feeds one datagram received at `nowMs`; returns the frame it completes, if any.
   * Never throws, whatever the bytes.
   */
  push(datagram: Uint8Array, nowMs: number): CompleteFrame | null {
    const counters = this.counters;
    counters.datagramsReceived++;
    counters.bytesReceived += datagram.length;
    this.#lastFollowed = null;
    this.#lastFollowedParity = null;
    this.expire(nowMs);

    const decoded = decodeHeader(datagram);
    if (!decoded.ok) return this.#drop(decoded.reason);
    const header = decoded.header;
    let parity: ParityFields | null = null;
    if (header.type === PacketType.Parity) {
      counters.parityReceived++;
      parity = readParityFields(datagram);
      if (SCHEME_NAMES[parity.scheme] === undefined) return this.#drop("unknownFecScheme");
    } else if (header.type !== PacketType.Fragment) return this.#drop("unknownType");

    const table = this.#table;
    const follow = table.follow(header.streamId, nowMs);
    if (follow === "refused") return this.#drop("otherStream");
    if (follow === "switched") counters.streamSwitches++;
    this.#lastFollowed = header;
    this.#lastFollowedParity = parity;

    const seq = header.frameSeq;
    const admission = table.admit(seq, nowMs);
    if (admission === "stale") {
      // Parity of the frame just emitted is the normal fate of parity on a clean link.
      return this.#drop(
        parity !== null && seq === table.lastEmittedId ? "parityUnneeded" : "stale",
      );
    }
    if (admission === "resynced") counters.streamResyncs++;
    let entry = table.get(seq);
    if (entry === undefined) {
      if (header.frameBytes > this.#options.maxFrameBytes) return this.#drop("tooLarge");
      // Room for what this datagram brings: the frame's buffer waits until all of it is here.
      const carried = datagram.length - HEADER_BYTES - (parity === null ? 0 : PARITY_FIELDS_BYTES);
      const opened = table.open(seq, nowMs, carried + PIECE_BOOKKEEPING_BYTES, () => ({
        frameBytes: header.frameBytes,
        fragmentCount: header.fragmentCount,
        captureUs: header.captureUs,
        buffer: null,
        fragments: new Map(),
        heldBytes: 0,
        copiesCharge: 0,
        received: new Uint8Array(header.fragmentCount),
        receivedCount: 0,
        fec: null,
        recoveredFragments: 0,
        retransmittedFragments: 0,
      }));
      if (opened === null) return this.#drop("stale");
      entry = opened;
    } else if (
      entry.state.frameBytes !== header.frameBytes ||
      entry.state.fragmentCount !== header.fragmentCount ||
      entry.state.captureUs !== header.captureUs
    ) {
      return this.#drop("inconsistent");
    }
    if (parity !== null) {
      const setting = settingOf(parity);
      const fec = entry.state.fec;
      if (fec === null) entry.state.fec = { setting, groups: new Map(), bytes: 0 };
      else if (!sameSetting(fec.setting, setting)) return this.#drop("inconsistent");
    }
    const complete = parity !== null
      ? this.#pushParity(entry, header, parity, datagram, nowMs)
      : this.#pushFragment(entry, header, datagram, nowMs);
    this.#observer?.arrived(entry, header, parity, nowMs);
    return complete;
  }

  #pushFragment(
    entry: Frame,
    header: WireHeader,
    datagram: Uint8Array,
    nowMs: number,
  ): CompleteFrame | null {
    const counters = this.counters;
    const frame = entry.state;

    const index = header.fragmentIndex;
    if (frame.received[index] === 1) return this.#drop("duplicate");
    // decodeHeader has checked that the payload length matches this index exactly.
    if (!this.#place(entry, index, datagram.subarray(HEADER_BYTES))) return this.#drop("tooLarge");
    frame.received[index] = 1;
    frame.receivedCount++;
    if ((header.flags & Flags.Retransmission) !== 0) {
      frame.retransmittedFragments++;
      counters.recoveredByRetransmission.fragments++;
    }
    if (frame.fec !== null) {
      const { groupData, interleaved } = frame.fec.setting;
      this.#repair(entry, groupOf(frame.fragmentCount, groupData, interleaved!, index));
    }
    if (frame.receivedCount < frame.fragmentCount) return null;
    return this.#complete(entry, nowMs);
  }

  #pushParity(
    entry: Frame,
    header: WireHeader,
    parity: ParityFields,
    datagram: Uint8Array,
    nowMs: number,
  ): CompleteFrame | null {
    const frame = entry.state;
    // push() made the frame's FEC state from this setting or checked that it matches.
    const fec = frame.fec!;
    const setting = fec.setting;
    const group = header.fragmentIndex;
    const members = groupMembers(frame.fragmentCount, setting.groupData, parity.interleaved, group);
    if (members.every((index) => frame.received[index] === 1)) return this.#drop("parityUnneeded");
    let slots = fec.groups.get(group);
    if (slots?.[parity.parityIndex]) return this.#drop("duplicate");
    const shard = datagram.slice(HEADER_BYTES + PARITY_FIELDS_BYTES);
    const charged = shard.length + PIECE_BOOKKEEPING_BYTES;
    if (!this.#table.makeRoom(entry, charged)) return this.#drop("tooLarge");
    if (slots === undefined) {
      slots = new Array(setting.groupParity).fill(null);
      fec.groups.set(group, slots);
    }
    slots[parity.parityIndex] = shard;
    fec.bytes += charged;
    this.#table.hold(entry, charged);
    this.#repair(entry, group);
    if (frame.receivedCount < frame.fragmentCount) return null;
    return this.#complete(entry, nowMs);
  }

  /** Rebuilds `group` if enough parity is there; frees its parity once the group is whole. */
  #repair(entry: Frame, group: number): void {
    const frame = entry.state;
    const fec = frame.fec!;
    const slots = fec.groups.get(group);
    if (slots === undefined) return;
    const { setting } = fec;
    const members = groupMembers(
      frame.fragmentCount,
      setting.groupData,
      setting.interleaved!,
      group,
    );
    const missing = members.filter((index) => frame.received[index] === 0);
    const parityCount = slots.filter((slot) => slot !== null).length;
    if (missing.length > parityCount) return;
    if (missing.length > 0) {
      const { frameBytes, fragmentCount } = frame;
      const data = members.map((index) =>
        frame.received[index] === 0 ? null : this.#payloadOf(frame, index)
      );
      const rebuilt = recoverGroup(
        setting,
        data,
        slots,
        slots.find((slot) => slot !== null)!.length,
      );
      if (rebuilt === null) return; // Unreachable: as many parities as losses always suffice.
      missing.forEach((index, k) => {
        const bytes = fragmentPayloadBytes(frameBytes, fragmentCount, index);
        // Room is sure: the parity freed below holds at least as much. Placed before it is freed,
        // the table counts both for a moment.
        this.#place(entry, index, rebuilt[k].subarray(0, bytes), true);
        frame.received[index] = 1;
      });
      frame.receivedCount += missing.length;
      frame.recoveredFragments += missing.length;
      this.counters.recoveredByFec.fragments += missing.length;
    }
    let freedBytes = 0;
    for (const slot of slots) {
      if (slot !== null) freedBytes += slot.length + PIECE_BOOKKEEPING_BYTES;
    }
    fec.bytes -= freedBytes;
    this.#table.free(entry, freedBytes);
    fec.groups.delete(group);
  }

  /** Gives up incomplete frames older than the frame timeout. Call it when idle, too. */
  expire(nowMs: number): void {
    this.#table.expire(nowMs);
  }

  /**
   * Keeps fragment `index`'s `payload` (copied: the caller may reuse its buffer): in the frame's
   * buffer if it has one, else as a copy; and allocates the buffer once the frame holds
   * PLAUSIBLE_SHARE of its bytes. False when the byte cap leaves no room for it.
   */
  #place(entry: Frame, index: number, payload: Uint8Array, roomSure = false): boolean {
    const frame = entry.state;
    const { frameBytes, fragmentCount } = frame;
    if (frame.buffer !== null) {
      frame.buffer.set(payload, fragmentOffset(frameBytes, fragmentCount, index));
      frame.heldBytes += payload.length;
      return true;
    }
    const charge = payload.length + PIECE_BOOKKEEPING_BYTES;
    if (!roomSure && !this.#table.makeRoom(entry, charge)) return false;
    this.#table.hold(entry, charge);
    frame.copiesCharge += charge;
    frame.fragments.set(index, payload.slice());
    frame.heldBytes += payload.length;
    if (frame.heldBytes < frameBytes * PLAUSIBLE_SHARE) return true;
    // Enough has arrived to believe the frame: one buffer, counted whole from now on. Without
    // room for it, the copies go on.
    const more = frameBytes - frame.copiesCharge;
    if (more > 0 && !this.#table.makeRoom(entry, more)) return true;
    const buffer = new Uint8Array(frameBytes);
    for (const [held, bytes] of frame.fragments) {
      buffer.set(bytes, fragmentOffset(frameBytes, fragmentCount, held));
    }
    // Tiny fragments' bookkeeping can count more than the frame itself: then the count drops.
    if (more >= 0) this.#table.hold(entry, more);
    else this.#table.free(entry, -more);
    frame.buffer = buffer;
    frame.fragments.clear();
    frame.copiesCharge = 0;
    return true;
  }

  /** The payload of fragment `index`, which the frame holds. */
  #payloadOf(frame: FrameInFlight, index: number): Uint8Array {
    if (frame.buffer === null) return frame.fragments.get(index)!;
    const { frameBytes, fragmentCount } = frame;
    const at = fragmentOffset(frameBytes, fragmentCount, index);
    return frame.buffer.subarray(at, at + fragmentPayloadBytes(frameBytes, fragmentCount, index));
  }

  #complete(entry: Frame, nowMs: number): CompleteFrame | null {
    const frame = entry.state;
    // A frame far ahead of the stream is held back until the stream goes on from it.
    if (!this.#table.complete(entry)) return null;
    // Every byte is held, so the buffer exists unless the byte cap refused it: then put the
    // copies together now.
    const { frameBytes, fragmentCount } = frame;
    let bytes = frame.buffer;
    if (bytes === null) {
      bytes = new Uint8Array(frameBytes);
      for (const [index, payload] of frame.fragments) {
        bytes.set(payload, fragmentOffset(frameBytes, fragmentCount, index));
      }
    }
    if (frame.recoveredFragments > 0) this.counters.recoveredByFec.frames++;
    if (frame.retransmittedFragments > 0) this.counters.recoveredByRetransmission.frames++;
    this.counters.framesComplete++;
    return {
      streamId: this.#table.sourceId!,
      frameSeq: entry.id,
      captureUs: frame.captureUs,
      bytes,
      fragmentCount: frame.fragmentCount,
      firstFragmentMs: entry.firstMs,
      completeMs: nowMs,
    };
  }

  #drop(reason: DatagramDropReason): null {
    this.counters.datagramDrops[reason]++;
    return null;
  }
}
