/**
 * A UDP relay that forwards datagrams from a listening port to a destination through a
 * {@linkcode FaultyLink}, for testing udpcam on a bad network without root or netem. Replies from
 * the destination go back to the source (retransmission requests need that path), through a
 * second link with its own faults.
 *
 * The reply path is bound at both ends, as a connected socket would be: the back socket takes
 * datagrams only from the destination's address and port (others are counted and dropped), and
 * replies go to the established source, the first that sent, not to whoever sent last. Another
 * source takes its place only once it has been silent for `sourceIdleMs` (a restarted sender),
 * so a second sender cannot divert the replies of a live one. Datagrams from other sources are
 * still forwarded (a link carries what it is given) and counted.
 *
 * The links run on a clock that starts at 0 when the relay starts, so the offsets of a
 * `rateSchedule` count from then.
 *
 * @module
 */

import { formatHostPort, type HostPort, isIpv6, parseAddressBytes } from "../net/mod.ts";
import { lookup } from "node:dns/promises";
import { asError, UserError } from "../errors.ts";
import { type FaultCounts, FaultModel, type FaultSettings, FaultyLink } from "../netsim/mod.ts";
import { listenUdp } from "./udp.ts";
import { enlargeReceiveBuffer } from "./socket_buffer.ts";

// The types this module's API speaks in, so its documentation can name them.
export type { HostPort } from "../net/mod.ts";
export type { FaultCounts, FaultSettings, RateStep } from "../netsim/mod.ts";

/** What a {@linkcode UdpRelay} does and when it stops. */
export interface RelayOptions {
  /** Where senders send to. Port 0 picks a free port (see {@linkcode UdpRelay.listenAddress}). */
  listen: HostPort;
  /** Where datagrams are forwarded to. */
  to: HostPort;
  /** Faults on the forward path (source → destination). */
  faults: Partial<FaultSettings>;
  /** Faults on the reply path (destination → last source); none by default. */
  replyFaults?: Partial<FaultSettings>;
  /** Stop after this many forward datagrams have arrived; null = no limit. */
  maxDatagrams?: number | null;
  /** Stop this long after starting; null = no limit. */
  durationMs?: number | null;
  /** Most datagrams queued in each direction (delayed or held back); more are dropped. */
  maxQueued?: number;
  /**
   * Another source may take the reply path after the established one has been silent this long,
   * in ms; default {@linkcode DEFAULT_SOURCE_IDLE_MS}.
   */
  sourceIdleMs?: number;
}

/**
 * Default `sourceIdleMs`: a sender restarted within this long of its last datagram waits that
 * long for replies, while a live one (a frame a second at least) keeps its replies.
 */
export const DEFAULT_SOURCE_IDLE_MS = 2000;

/** What a relay has done so far. */
export interface RelayReport {
  /** Milliseconds since start. */
  elapsedMs: number;
  /** Forward path: the fault model's counts. */
  forward: FaultCounts;
  /** Forward datagrams handed to the OS. */
  forwarded: number;
  /** Reply path: the fault model's counts. */
  reply: FaultCounts;
  /** Reply datagrams handed to the OS. */
  replied: number;
  /** Replies dropped because no source had sent anything yet. */
  repliesWithoutSource: number;
  /** Datagrams on the back socket from someone other than the destination, dropped. */
  strangerReplies: number;
  /** Forward datagrams from a source other than the established one (forwarded all the same). */
  fromOtherSources: number;
  /** Times another source took the reply path after the established one fell silent. */
  sourceChanges: number;
  /**
   * Datagrams dropped, both directions, because their direction already held `maxQueued`: the
   * relay's memory cap, not a modelled fault (those are counted in `forward` and `reply`).
   */
  overflowDrops: number;
  /** Sends the OS refused, both directions. */
  sendErrors: number;
}

const RECEIVE_BUFFER_BYTES = 65_536;

/** A running relay; make one with {@linkcode UdpRelay.start}. */
export class UdpRelay {
  readonly #options: RelayOptions;
  readonly #front: Deno.DatagramConn;
  readonly #back: Deno.DatagramConn;
  readonly #forward: FaultyLink<Uint8Array>;
  readonly #reply: FaultyLink<Uint8Array>;
  readonly #destination: Deno.NetAddr;
  /** The destination's address as 16 bytes, to tell its replies from strangers' datagrams. */
  readonly #destinationBytes: Uint8Array;
  readonly #sourceIdleMs: number;
  readonly #startMs = performance.now();
  /** Where replies go: the established source, and when it last sent. */
  #source: Deno.NetAddr | null = null;
  #sourceSeenMs = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #deadline: ReturnType<typeof setTimeout> | null = null;
  #stopping = false;
  #sending: Promise<void> = Promise.resolve();
  #forwarded = 0;
  #replied = 0;
  #repliesWithoutSource = 0;
  #strangerReplies = 0;
  #fromOtherSources = 0;
  #sourceChanges = 0;
  #sendErrors = 0;
  /** Resolves when the relay has stopped and closed its sockets. */
  readonly done: Promise<void>;

  private constructor(
    options: RelayOptions,
    destinationBytes: Uint8Array,
    front: Deno.DatagramConn,
    back: Deno.DatagramConn,
  ) {
    this.#options = options;
    this.#destinationBytes = destinationBytes;
    this.#sourceIdleMs = options.sourceIdleMs ?? DEFAULT_SOURCE_IDLE_MS;
    this.#front = front;
    this.#back = back;
    const maxQueued = options.maxQueued ?? 10_000;
    this.#forward = new FaultyLink(new FaultModel(options.faults), { maxQueued });
    this.#reply = new FaultyLink(new FaultModel(options.replyFaults ?? {}), { maxQueued });
    this.#destination = { transport: "udp", hostname: options.to.hostname, port: options.to.port };
    if (options.durationMs != null) {
      this.#deadline = setTimeout(() => this.stop(), options.durationMs);
    }
    this.done = Promise.all([this.#forwardLoop(), this.#replyLoop()]).then(() => this.#sending);
  }

  /**
   * Binds the sockets and starts relaying.
   *
   * @throws {UserError} when `to` is not one IP address (see {@linkcode resolveRelayDestination})
   * or a socket cannot be opened.
   * @throws {RangeError} when the fault settings cannot be modelled.
   */
  static start(options: RelayOptions): UdpRelay {
    const destinationBytes = destinationBytesOf(options.to);
    const front = listenUdp(options.listen);
    let back: Deno.DatagramConn;
    try {
      const bind = isIpv6(options.to.hostname) ? "::" : "0.0.0.0";
      back = Deno.listenDatagram({ transport: "udp", hostname: bind, port: 0 });
    } catch (error) {
      front.close();
      throw new UserError(
        `Cannot open a UDP socket towards ${formatHostPort(options.to)}. Check that the address ` +
          "family is enabled.",
        1,
        { cause: error },
      );
    }
    // Like the receiver: a relay that drops bursts itself would add loss nobody asked for.
    for (const socket of [front, back]) {
      const address = socket.addr as Deno.NetAddr;
      enlargeReceiveBuffer(address.port, address.hostname.includes(":"));
    }
    try {
      return new UdpRelay(options, destinationBytes, front, back);
    } catch (error) {
      front.close();
      back.close();
      throw error;
    }
  }

  /** The address the relay listens on (with the real port when 0 was asked). */
  get listenAddress(): HostPort {
    const addr = this.#front.addr as Deno.NetAddr;
    return { hostname: addr.hostname, port: addr.port };
  }

  /** What the relay has done so far. */
  report(): RelayReport {
    return {
      elapsedMs: this.#nowMs(),
      forward: { ...this.#forward.counts },
      forwarded: this.#forwarded,
      reply: { ...this.#reply.counts },
      replied: this.#replied,
      repliesWithoutSource: this.#repliesWithoutSource,
      strangerReplies: this.#strangerReplies,
      fromOtherSources: this.#fromOtherSources,
      sourceChanges: this.#sourceChanges,
      overflowDrops: this.#forward.overflowDrops + this.#reply.overflowDrops,
      sendErrors: this.#sendErrors,
    };
  }

  /** Stops: sends what is still queued (holds and delays cut short), then closes the sockets. */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#enqueueSends(this.#forward.flush(), this.#reply.flush());
    this.#sending = this.#sending.then(() => {
      for (const conn of [this.#front, this.#back]) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    });
  }

  async #forwardLoop(): Promise<void> {
    const limit = this.#options.maxDatagrams ?? null;
    const buffer = new Uint8Array(RECEIVE_BUFFER_BYTES);
    while (!this.#stopping) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await this.#front.receive(buffer);
      } catch {
        break; // Closed by stop(), or the socket failed: either way the relay is over.
      }
      if (this.#stopping) break;
      // A copy of exactly the datagram's size: queued datagrams must not pin the receive buffer.
      const datagram = received[0].slice();
      const nowMs = this.#nowMs();
      this.#noteSource(received[1] as Deno.NetAddr, nowMs);
      this.#forward.send(datagram, datagram.length, nowMs);
      this.#pump();
      if (limit !== null && this.#forward.counts.datagrams >= limit) this.stop();
    }
  }

  async #replyLoop(): Promise<void> {
    const buffer = new Uint8Array(RECEIVE_BUFFER_BYTES);
    while (!this.#stopping) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await this.#back.receive(buffer);
      } catch {
        break;
      }
      if (this.#stopping) break;
      if (!this.#isDestination(received[1] as Deno.NetAddr)) {
        this.#strangerReplies++;
        continue;
      }
      if (this.#source === null) {
        this.#repliesWithoutSource++;
        continue;
      }
      const datagram = received[0].slice();
      this.#reply.send(datagram, datagram.length, this.#nowMs());
      this.#pump();
    }
  }

  /** Keeps the established source, or lets `from` take over from one silent for long enough. */
  #noteSource(from: Deno.NetAddr, nowMs: number): void {
    const source = this.#source;
    if (source !== null && from.port === source.port && sameAddress(from, source)) {
      this.#sourceSeenMs = nowMs;
      return;
    }
    if (source !== null && nowMs - this.#sourceSeenMs < this.#sourceIdleMs) {
      this.#fromOtherSources++;
      return;
    }
    if (source !== null) this.#sourceChanges++;
    this.#source = from;
    this.#sourceSeenMs = nowMs;
  }

  /** True when `from` is the destination's address and port. */
  #isDestination(from: Deno.NetAddr): boolean {
    if (from.port !== this.#destination.port) return false;
    const bytes = parseAddressBytes(from.hostname);
    return bytes !== null && bytes.every((byte, i) => byte === this.#destinationBytes[i]);
  }

  /** Milliseconds since the relay started: the links' clock. */
  #nowMs(): number {
    return performance.now() - this.#startMs;
  }

  /** Sends what is due now and sets a timer for the next item that will be. */
  #pump(): void {
    if (this.#stopping) return;
    const nowMs = this.#nowMs();
    this.#enqueueSends(this.#forward.due(nowMs), this.#reply.due(nowMs));
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const next = [this.#forward.nextDueMs(), this.#reply.nextDueMs()]
      .filter((at): at is number => at !== null);
    if (next.length > 0) {
      const waitMs = Math.max(0, Math.min(...next) - this.#nowMs());
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#pump();
      }, Math.ceil(waitMs));
    }
  }

  /** Chains the sends so datagrams leave in the order the links released them. */
  #enqueueSends(forward: Uint8Array[], reply: Uint8Array[]): void {
    if (forward.length === 0 && reply.length === 0) return;
    const replyTo = this.#source;
    this.#sending = this.#sending.then(async () => {
      for (const datagram of forward) {
        if (await this.#send(this.#back, datagram, this.#destination)) this.#forwarded++;
      }
      for (const datagram of reply) {
        if (replyTo !== null && await this.#send(this.#front, datagram, replyTo)) this.#replied++;
      }
    });
  }

  async #send(conn: Deno.DatagramConn, datagram: Uint8Array, to: Deno.NetAddr): Promise<boolean> {
    try {
      await conn.send(datagram, to);
      return true;
    } catch {
      this.#sendErrors++;
      return false;
    }
  }
}

/** True when `a` and `b` are one address, however written (`::ffff:10.0.0.1` is `10.0.0.1`). */
function sameAddress(a: Deno.NetAddr, b: Deno.NetAddr): boolean {
  if (a.hostname === b.hostname) return true;
  const aBytes = parseAddressBytes(a.hostname);
  const bBytes = parseAddressBytes(b.hostname);
  return aBytes !== null && bBytes !== null && aBytes.every((byte, i) => byte === bBytes[i]);
}

/**
 * The 16 bytes of `to`'s address.
 *
 * @throws {UserError} when `to` is a name, or the unspecified address (no one host replies from it).
 */
function destinationBytesOf(to: HostPort): Uint8Array {
  const bytes = parseAddressBytes(to.hostname);
  if (bytes === null) {
    throw new UserError(
      `Cannot relay to ${formatHostPort(to)}: the relay needs the IP address of --to, not the ` +
        `name "${to.hostname}", to accept replies from it alone. Resolve it first ` +
        `(resolveRelayDestination) or give the address.`,
    );
  }
  const unspecified = bytes.every((byte, i) => byte === (i === 10 || i === 11 ? 0xff : 0)) ||
    bytes.every((byte) => byte === 0);
  if (unspecified) {
    throw new UserError(
      `Cannot relay to ${formatHostPort(to)}, which is no one address replies could come from. ` +
        `Give the receiver's address, such as 127.0.0.1.`,
    );
  }
  return bytes;
}

/**
 * `to` with its host name resolved to an IP address (the first the system resolver gives, as
 * sending to the name would use), so {@linkcode UdpRelay.start} can bind the reply path to it.
 * Addresses come back unchanged.
 *
 * @throws {UserError} when the name does not resolve.
 */
export async function resolveRelayDestination(to: HostPort): Promise<HostPort> {
  if (parseAddressBytes(to.hostname) !== null) return to;
  try {
    const { address } = await lookup(to.hostname);
    return { hostname: address, port: to.port };
  } catch (error) {
    const failure = new UserError(
      `Cannot relay to ${formatHostPort(to)}: the name does not resolve. Check the name or give ` +
        `an IP address.`,
    );
    failure.cause = asError(error);
    throw failure;
  }
}

/**
 * One line summing up `report`, for the periodic and final output of tools/relay.ts. The queueing
 * delay is the forward path's wait in the rate cap's queue (max, and mean over what it queued).
 */
export function formatRelayReport(report: RelayReport): string {
  const f = report.forward;
  const meanQueueMs = f.enqueued > 0 ? f.queueDelayTotalMs / f.enqueued : 0;
  return `${(report.elapsedMs / 1000).toFixed(1)} s: in ${f.datagrams}, out ${report.forwarded}, ` +
    `lost ${f.lost} (${f.lossBursts} bursts), over rate ${f.overRate}, ` +
    `queue drops ${f.queueDrops}, queueing delay max ${f.queueDelayMaxMs.toFixed(1)} ms ` +
    `mean ${meanQueueMs.toFixed(1)} ms, duplicated ${f.duplicated}, ` +
    `reordered ${f.reordered}, delayed ${f.delayed}, overflow drops ${report.overflowDrops}, ` +
    `other sources ${report.fromOtherSources}, send errors ${report.sendErrors}; ` +
    `replies in ${report.reply.datagrams}, back ${report.replied}, lost ${report.reply.lost}, ` +
    `from strangers ${report.strangerReplies}`;
}
