/**
 * UDP sockets for the sender and receiver, with the errors a user can act on.
 *
 * @module
 */

import {
  bindError,
  formatHostPort,
  type HostPort,
  isIpv6,
  type ReplySource,
  replySourceOf,
} from "../net/mod.ts";
import { UserError } from "../errors.ts";
import { type BatchDestination, BatchSender } from "./datagram_batch.ts";

// The types this module's API speaks in, so its documentation can name them.
export type { HostPort, ReplySource };

/**
 * Opens a socket to receive on `listen`.
 *
 * @throws {UserError} when the port is taken, needs privileges, or the address is not on this
 * machine (lib/net's bindError words it; the OS's error is the cause).
 */
export function listenUdp(listen: HostPort): Deno.DatagramConn {
  try {
    return Deno.listenDatagram({ transport: "udp", hostname: listen.hostname, port: listen.port });
  } catch (error) {
    throw bindError(
      {
        action: "listen on",
        address: listen,
        flag: "--listen",
        likelyHolder: "another udpcam-recv?",
      },
      error,
    );
  }
}

/** One destination, and how to reach it. */
interface Route {
  conn: Deno.DatagramConn;
  address: Deno.NetAddr;
  /** `conn`'s batch sender and the destination's sockaddr, or null: one datagram at a time. */
  batch: { sender: BatchSender; destination: BatchDestination } | null;
}

/** Sends every datagram to all destinations; counts what the OS refused instead of throwing. */
export class MultiDestinationSender {
  readonly #routes: Route[];
  readonly #conns: Deno.DatagramConn[];
  /** Set by close(): the batch senders' descriptors may then name other files. */
  #closed = false;
  /** Datagram sends the OS refused (no route, buffer full); the stream goes on. */
  sendErrors = 0;
  /** The last send error, for the status line. */
  lastError: string | null = null;

  private constructor(routes: Route[], conns: Deno.DatagramConn[]) {
    this.#routes = routes;
    this.#conns = conns;
  }

  /**
   * Opens one socket per address family needed by `destinations`, bound to `bind`'s address for
   * that family (default: any; an interface's address picks where multicast goes out).
   */
  static open(
    destinations: HostPort[],
    bind: { v4?: string; v6?: string } = {},
  ): MultiDestinationSender {
    let v4: Deno.DatagramConn | null = null;
    let v6: Deno.DatagramConn | null = null;
    const routes = destinations.map((destination): Route => {
      const ipv6 = isIpv6(destination.hostname);
      const local = ipv6 ? bind.v6 ?? "::" : bind.v4 ?? "0.0.0.0";
      let conn: Deno.DatagramConn;
      try {
        conn = ipv6
          ? (v6 ??= Deno.listenDatagram({ transport: "udp", hostname: local, port: 0 }))
          : (v4 ??= Deno.listenDatagram({ transport: "udp", hostname: local, port: 0 }));
      } catch (error) {
        throw new UserError(
          `Cannot open a UDP socket for ${formatHostPort(destination)}. ${
            local === "::" || local === "0.0.0.0"
              ? `Check that ${ipv6 ? "IPv6" : "IPv4"} is enabled on this machine.`
              : `Check that ${local} (--multicast-if) is an address of this machine.`
          }`,
          1,
          { cause: error },
        );
      }
      const address: Deno.NetAddr = {
        transport: "udp",
        hostname: destination.hostname,
        port: destination.port,
      };
      return { conn, address, batch: null };
    });
    // v4 and v6 were assigned in the callback above, where TypeScript cannot see it.
    const conns = ([v4, v6] as (Deno.DatagramConn | null)[]).filter((c) => c !== null);
    // sendmmsg where possible (64-bit Linux, --allow-ffi, an address rather than a host name).
    const senders = new Map(conns.map((conn) => [conn, BatchSender.open(conn)]));
    for (const route of routes) {
      const sender = senders.get(route.conn) ?? null;
      const destination = sender?.destination(route.address) ?? null;
      if (sender !== null && destination !== null) route.batch = { sender, destination };
    }
    return new MultiDestinationSender(routes, conns);
  }

  /** Sends `datagram` to every destination; resolves when the OS has taken it. */
  async send(datagram: Uint8Array): Promise<void> {
    for (const route of this.#routes) await this.#sendOne(route, datagram);
  }

  /** Sends one datagram on `route`; a refusal is counted, not thrown. */
  async #sendOne(route: Route, datagram: Uint8Array): Promise<void> {
    try {
      await route.conn.send(datagram, route.address);
    } catch (error) {
      this.sendErrors++;
      this.lastError = (error as Error).message;
    }
  }

  /**
   * Sends `datagrams`, in order, to every destination; resolves when the OS has taken them all.
   * Same result and counters as {@linkcode send} for each in turn, in fewer system calls.
   */
  async sendBurst(datagrams: readonly Uint8Array[]): Promise<void> {
    for (const route of this.#routes) {
      const batch = route.batch;
      // Each round sends at least one datagram (or the batch took all it was asked for).
      for (let next = 0; next < datagrams.length;) {
        if (batch !== null && !this.#closed) {
          const asked = Math.min(datagrams.length - next, batch.sender.batchDatagrams);
          const sent = batch.sender.send(datagrams, next, datagrams.length, batch.destination);
          next += sent;
          if (sent === asked) continue;
        }
        // What the batch did not take (a full buffer, an error) goes one at a time: Deno waits for
        // room, or throws the error to count.
        await this.#sendOne(route, datagrams[next]);
        next++;
      }
    }
  }

  /**
   * Receives datagrams on every socket (replies such as NACKs and receiver reports come back to
   * the socket that sent) until {@linkcode close}; `onDatagram` gets each with the destination it
   * belongs to by the source rule of lib/net/reply_source.ts (exact address and port; a member of
   * a group), and the address it came from. Resolves once every socket is closed.
   */
  async receive(
    onDatagram: (datagram: Uint8Array, source: ReplySource, from: HostPort) => void,
  ): Promise<void> {
    const destinations = this.#routes.map(({ address }) => address);
    await Promise.all(this.#conns.map(async (conn) => {
      const buffer = new Uint8Array(65_536);
      // Bounded by the socket's life: close() makes receive() throw BadResource.
      for (;;) {
        let received: [Uint8Array, Deno.Addr];
        try {
          received = await conn.receive(buffer);
        } catch (error) {
          if (
            error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted
          ) {
            return;
          }
          continue; // ICMP port unreachable and the like: the socket is still usable.
        }
        const from = received[1] as Deno.NetAddr;
        // Replies are only ever sent to our own destinations (for a group: to the group, never
        // to the source), so a forged source address cannot aim anything at a third party.
        onDatagram(received[0], replySourceOf(destinations, from), {
          hostname: from.hostname,
          port: from.port,
        });
      }
    }));
  }

  /** The socket that sends to destination `index`, or null (for multicast settings). */
  socketFor(index: number): Deno.DatagramConn | null {
    return this.#routes[index]?.conn ?? null;
  }

  /** Sends `datagram` to destination `index` only (see {@linkcode receive}). */
  async sendTo(datagram: Uint8Array, index: number): Promise<void> {
    const route = this.#routes[index];
    if (route !== undefined) await this.#sendOne(route, datagram);
  }

  /** Closes the sockets. */
  close(): void {
    this.#closed = true;
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  }
}
