/**
 * Resolves the host names among the sender's `--to` destinations once, at start: the sockets then
 * send to addresses, so a name that does not resolve stops the sender with a clear error instead
 * of turning every datagram into a send error, and nothing is looked up per datagram.
 *
 * Names go through the system resolver (getaddrinfo: /etc/hosts, then DNS), as other programs on
 * the machine see them. The address is fixed for the run: a name that moves to another address
 * needs a restart.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { formatHostPort, type HostPort, isIpv6 } from "../net/mod.ts";
import { UserError } from "../errors.ts";

/** A `--to` destination with the address it resolved to. */
export interface ResolvedDestination {
  /** What the user gave (name or address), for messages. */
  given: HostPort;
  /** Where the datagrams go: `given` with an IP address as its hostname. */
  address: HostPort;
}

/** One address of a name, as the resolver lists it. */
export interface ResolvedAddress {
  /** The IP address. */
  address: string;
  /** 4 or 6. */
  family: number;
}

/**
 * The address to send to among a name's addresses: the first IPv4 one, else the first IPv6 one,
 * else null. IPv4 first because a name used to reach the sender's IPv4 socket (`localhost`,
 * a camera's DHCP name) should keep doing so on dual-stack machines; write `[::1]:PORT` for IPv6.
 */
export function preferredAddress(addresses: readonly ResolvedAddress[]): string | null {
  return (addresses.find((a) => a.family === 4) ?? addresses.find((a) => a.family === 6))
    ?.address ?? null;
}

function isAddressLiteral(hostname: string): boolean {
  return isIpv6(hostname) || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Resolves every destination that is a name; addresses pass unchanged.
 *
 * @throws {UserError} naming the `--to` value when a name does not resolve; the resolver's error
 * is the cause.
 */
export async function resolveDestinations(
  destinations: readonly HostPort[],
): Promise<ResolvedDestination[]> {
  return await Promise.all(destinations.map(async (given) => {
    if (isAddressLiteral(given.hostname)) return { given, address: given };
    let addresses: ResolvedAddress[];
    try {
      addresses = await lookup(given.hostname, { all: true });
    } catch (error) {
      throw new UserError(
        `Cannot resolve --to ${formatHostPort(given)}. Check the name (or give the receiver's ` +
          "IP address, e.g. --to 192.168.1.20:12345).",
        1,
        { cause: error },
      );
    }
    const address = preferredAddress(addresses);
    if (address === null) {
      throw new UserError(
        `Cannot resolve --to ${formatHostPort(given)}: the name has no IPv4 or IPv6 address. ` +
          "Give the receiver's IP address instead.",
      );
    }
    return { given, address: { hostname: address, port: given.port } };
  }));
}

/** `name:port (address)` for a resolved name, `address:port` for an address. */
export function describeDestination({ given, address }: ResolvedDestination): string {
  const text = formatHostPort(given);
  return given.hostname === address.hostname ? text : `${text} (${address.hostname})`;
}
