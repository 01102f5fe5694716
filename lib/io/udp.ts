/**
 * UDP sockets for the sender and receiver, with the errors a user can act on.
 *
 * @module
 */

import { formatHostPort, type HostPort, isIpv6 } from "../address.ts";
import { UserError } from "../errors.ts";

/**
 * Opens a socket to receive on `listen`.
 *
 * @throws {UserError} when the port is taken or the address is not on this machine.
 */
export function listenUdp(listen: HostPort): Deno.DatagramConn {
  try {
    return Deno.listenDatagram({ transport: "udp", hostname: listen.hostname, port: listen.port });
  } catch (error) {
    const where = formatHostPort(listen);
    if (error instanceof Deno.errors.AddrInUse) {
      throw new UserError(
        `Cannot listen on ${where}: the port is in use (another udpcam-recv?). Stop that program ` +
          `or pick another port with --listen.`,
      );
    }
    if (error instanceof Deno.errors.AddrNotAvailable) {
      throw new UserError(
        `Cannot listen on ${where}: that address is not on this machine. Use 0.0.0.0 (all IPv4) ` +
          `or [::] (all IPv6), or one of this machine's addresses.`,
      );
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new UserError(
        `Cannot listen on ${where}: permission denied (ports below 1024 need privileges). Use a ` +
          `port above 1024.`,
      );
    }
    throw new UserError(`Cannot listen on ${where}: ${(error as Error).message}.`);
  }
}

/** Sends every datagram to all destinations; counts what the OS refused instead of throwing. */
export class MultiDestinationSender {
  readonly #routes: { conn: Deno.DatagramConn; address: Deno.NetAddr }[];
  readonly #conns: Deno.DatagramConn[];
  /** Datagram sends the OS refused (no route, buffer full); the stream goes on. */
  sendErrors = 0;
  /** The last send error, for the status line. */
  lastError: string | null = null;

  private constructor(
    routes: { conn: Deno.DatagramConn; address: Deno.NetAddr }[],
    conns: Deno.DatagramConn[],
  ) {
    this.#routes = routes;
    this.#conns = conns;
  }

  /** Opens one socket per address family needed by `destinations`. */
  static open(destinations: HostPort[]): MultiDestinationSender {
    let v4: Deno.DatagramConn | null = null;
    let v6: Deno.DatagramConn | null = null;
    const routes = destinations.map((destination) => {
      const ipv6 = isIpv6(destination.hostname);
      const bind = ipv6 ? "::" : "0.0.0.0";
      let conn: Deno.DatagramConn;
      try {
        conn = ipv6
          ? (v6 ??= Deno.listenDatagram({ transport: "udp", hostname: bind, port: 0 }))
          : (v4 ??= Deno.listenDatagram({ transport: "udp", hostname: bind, port: 0 }));
      } catch (error) {
        throw new UserError(
          `Cannot open a UDP socket for ${formatHostPort(destination)}: ${
            (error as Error).message
          }. Check that ${ipv6 ? "IPv6" : "IPv4"} is enabled on this machine.`,
        );
      }
      const address: Deno.NetAddr = {
        transport: "udp",
        hostname: destination.hostname,
        port: destination.port,
      };
      return { conn, address };
    });
    return new MultiDestinationSender(routes, [v4, v6].filter((c) => c !== null));
  }

  /** Sends `datagram` to every destination; resolves when the OS has taken it. */
  async send(datagram: Uint8Array): Promise<void> {
    for (const { conn, address } of this.#routes) {
      try {
        await conn.send(datagram, address);
      } catch (error) {
        this.sendErrors++;
        this.lastError = (error as Error).message;
      }
    }
  }

  /** Closes the sockets. */
  close(): void {
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  }
}
