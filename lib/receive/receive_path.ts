/**
 * The receiver's whole datagram path, ahead of and including the depacketizer: source filter
 * (`--allow-from`), then the seal check (`--key`), then opening (AES-GCM, async), then the
 * depacketizer. No sockets: the receive worker feeds it `(datagram, source, nowMs)`.
 *
 * Opening is asynchronous (WebCrypto), but datagrams reach the depacketizer in the order they were
 * pushed: each open starts at once (so several run at the same time) and its result joins a
 * chain that delivers in order. The chain holds at most {@linkcode MAX_PENDING_OPENS} datagrams;
 * the worker waits ({@linkcode ReceivePath.waitForRoom}) before pushing more, so memory stays
 * under `MAX_PENDING_OPENS` × the largest datagram (256 × 64 KB = 16 MB, 300 KB at 1200 bytes).
 *
 * @module
 */

import type { AddressFilter } from "../net/mod.ts";
import type { DatagramOpener } from "../crypto/mod.ts";
import { Flags, MAGIC_0, MAGIC_1, PacketType, WIRE_VERSION } from "../wire/v1/mod.ts";
import type { DepacketizerCounters, FrameDepacketizer, ReceivedFrame } from "../wire/frames/mod.ts";

/** Most datagrams being opened or waiting for their turn at once. */
export const MAX_PENDING_OPENS = 256;

/** Reasons the path drops a datagram before the depacketizer; each is a counter. */
export const PATH_DROP_REASONS = [
  "notAllowed",
  "encrypted",
  "unauthenticated",
  "otherStream",
  "sealVersion",
  "notFresh",
  "staleSession",
  "keyPending",
  "authFailed",
  "replay",
  "sealShort",
] as const;
/** One of {@linkcode PATH_DROP_REASONS}. */
export type PathDropReason = typeof PATH_DROP_REASONS[number];

/** Where a datagram came from, as the socket reports it (a Deno.NetAddr fits). */
export interface DatagramSource {
  /** The source address. */
  hostname: string;
}

/** What the path is made of. */
export interface ReceivePathOptions<S extends DatagramSource> {
  /** Turns datagrams into frames (the wire mode). */
  depacketizer: FrameDepacketizer;
  /** Opens sealed datagrams (`--key`), or null: sealed datagrams are dropped as `encrypted`. */
  opener: DatagramOpener | null;
  /** Allowed sources (`--allow-from`), or null: any source. */
  filter: AddressFilter | null;
  /** True for udpcam v1, whose header has the Encrypted flag; other modes skip the seal check. */
  sealable: boolean;
  /** The clock for datagrams delivered after opening (`--key`); others keep their push time. */
  nowMs: () => number;
  /** The wall clock, ms since the Unix epoch: sealed datagrams must be fresh by it (`--key`). */
  epochMs: () => number;
  /**
   * `--stream ID` under `--key`: sealed datagrams of other streams are dropped (`otherStream`)
   * before they are opened, so another sender's newer session cannot take the opener's one
   * session from the stream asked for. Null or absent: any stream.
   */
  lockedStreamId?: number | null;
  /**
   * Called for every datagram the depacketizer took, in push order, with the frame it completed
   * and the time the depacketizer was given.
   */
  onDelivered: (
    datagram: Uint8Array,
    frame: ReceivedFrame | null,
    source: S,
    nowMs: number,
  ) => void;
}

/** Counters of the whole path: the depacketizer's, with received totals and drops of the path. */
export interface ReceivePathCounters extends DepacketizerCounters {
  /** Datagrams the depacketizer took and did not drop. */
  datagramsAccepted: number;
  /** Datagrams being opened right now (counted as received, not yet as accepted or dropped). */
  datagramsPending: number;
}

/** Byte of the stream id in fragments and parity datagrams (30-byte header). */
const STREAM_ID_OFFSET = 10;
/** Byte of the stream id in the 16 fixed bytes of NACKs and receiver reports. */
const SHORT_HEADER_STREAM_ID_OFFSET = 8;

function looksSealed(datagram: Uint8Array): boolean {
  return datagram.length > 4 && datagram[0] === MAGIC_0 && datagram[1] === MAGIC_1 &&
    datagram[2] === WIRE_VERSION && (datagram[4] & Flags.Encrypted) !== 0;
}

function ofStream(datagram: Uint8Array, streamId: number): boolean {
  const type = datagram[3];
  const offset = type === PacketType.Fragment || type === PacketType.Parity
    ? STREAM_ID_OFFSET
    : SHORT_HEADER_STREAM_ID_OFFSET;
  if (datagram.length < offset + 4) return false;
  const view = new DataView(datagram.buffer, datagram.byteOffset + offset, 4);
  return view.getUint32(0) === streamId >>> 0;
}

/** See the module docs. */
export class ReceivePath<S extends DatagramSource = DatagramSource> {
  readonly #options: ReceivePathOptions<S>;
  readonly #drops: Record<PathDropReason, number>;
  #received = 0;
  #bytes = 0;
  #pending = 0;
  #tail: Promise<void> = Promise.resolve();

  /**
   * A path from socket to `options.depacketizer`.
   *
   * @param options What the path is made of.
   */
  constructor(options: ReceivePathOptions<S>) {
    this.#options = options;
    this.#drops = Object.fromEntries(PATH_DROP_REASONS.map((r) => [r, 0])) as Record<
      PathDropReason,
      number
    >;
  }

  /** Datagrams being opened or waiting to be delivered. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Takes one datagram from `source`, received at `nowMs`. Never throws. `datagram` may be
   * reused by the caller as soon as this returns.
   */
  push(datagram: Uint8Array, source: S, nowMs: number): void {
    this.#received++;
    this.#bytes += datagram.length;
    const { filter, opener, sealable } = this.#options;
    if (filter !== null && !filter.allows(source.hostname)) return this.#drop("notAllowed");
    const sealed = sealable && looksSealed(datagram);
    if (opener === null) {
      // Nothing is ever pending without a key: deliver at once, in order.
      if (sealed) return this.#drop("encrypted");
      return this.#deliver(datagram, source, nowMs);
    }
    if (!sealed) return this.#drop("unauthenticated");
    const locked = this.#options.lockedStreamId ?? null;
    if (locked !== null && !ofStream(datagram, locked)) return this.#drop("otherStream");
    // The opener keeps the bytes past this call: give it its own copy.
    const opening = opener.open(datagram.slice(), { nowMs, epochMs: this.#options.epochMs() });
    this.#pending++;
    this.#tail = this.#tail.then(async () => {
      let result;
      try {
        result = await opening;
      } catch {
        result = { ok: false as const, reason: "authFailed" as const };
      }
      this.#pending--;
      if (result.ok) this.#deliver(result.datagram, source, this.#options.nowMs());
      else if (result.reason === "short" || result.reason === "notEncrypted") {
        this.#drop("sealShort");
      } else this.#drop(result.reason);
    });
  }

  /** Resolves when fewer than {@linkcode MAX_PENDING_OPENS} datagrams are pending. */
  async waitForRoom(): Promise<void> {
    while (this.#pending >= MAX_PENDING_OPENS) await this.#tail;
  }

  /** Resolves when every datagram pushed so far was delivered or dropped. */
  async idle(): Promise<void> {
    let tail;
    do {
      tail = this.#tail;
      await tail;
    } while (tail !== this.#tail);
  }

  /** The depacketizer's counters, with the path's received totals and drops merged in. */
  get counters(): ReceivePathCounters {
    const inner = this.#options.depacketizer.counters;
    const datagramDrops: Record<string, number> = { ...inner.datagramDrops };
    let innerDropped = 0;
    for (const value of Object.values(inner.datagramDrops)) innerDropped += value;
    for (const reason of PATH_DROP_REASONS) {
      datagramDrops[reason] = (datagramDrops[reason] ?? 0) + this.#drops[reason];
    }
    return {
      ...inner,
      datagramsReceived: this.#received,
      bytesReceived: this.#bytes,
      datagramDrops,
      datagramsAccepted: inner.datagramsReceived - innerDropped,
      datagramsPending: this.#pending,
    };
  }

  #deliver(datagram: Uint8Array, source: S, nowMs: number): void {
    const frame = this.#options.depacketizer.push(datagram, nowMs);
    this.#options.onDelivered(datagram, frame, source, nowMs);
  }

  #drop(reason: PathDropReason): void {
    this.#drops[reason]++;
  }
}
