/**
 * Multicast sockets with Deno's unstable datagram API (`--unstable-net`): joining a group to
 * receive, and the TTL and interface of what is sent to a group.
 *
 * What Deno 2.9 offers, and so what udpcam can do:
 * - `DatagramConn.joinMulticastV4(group, interfaceAddress)` → a membership with `setTTL` (sets
 *   IP_MULTICAST_TTL on the socket, 0..255) and `setLoopback`, and `leave`.
 * - `DatagramConn.joinMulticastV6(group, interfaceIndex)` → a membership with `setLoopback` and
 *   `leave` only: there is no hop-limit setter, so IPv6 groups get the OS default of 1 hop.
 * - `Deno.listenDatagram({ reuseAddress: true })` lets several receivers on one machine share
 *   the group's port.
 * - No setter for the outgoing interface (IP_MULTICAST_IF / IPV6_MULTICAST_IF): the sender binds
 *   its socket to the interface's address instead, which selects the interface on Linux (IPv4:
 *   the kernel routes multicast out of the interface owning the bound source address; IPv6: a
 *   link-local address with its zone binds the socket to that interface).
 *
 * @module
 */

import {
  formatHostPort,
  type HostPort,
  type InterfaceAddress,
  isIpv6,
  isMulticastV4,
  isMulticastV6,
  type MulticastV4Interface,
  type MulticastV6Interface,
  resolveMulticastV4Interface,
  resolveMulticastV6Interface,
} from "../net/mod.ts";
import { UserError } from "../errors.ts";
import { MultiDestinationSender } from "./udp.ts";

/** This machine's interface addresses, or none when the OS will not say. */
function localInterfaceAddresses(): InterfaceAddress[] {
  try {
    return Deno.networkInterfaces().map(({ name, family, address, scopeid }) => ({
      name,
      family,
      address,
      scopeid,
    }));
  } catch {
    return [];
  }
}

/**
 * Resolves `--multicast-if` for the family of `group`.
 *
 * @throws {UserError} naming the flag when the text names no usable interface.
 */
function resolveInterfaceFor(
  group: string,
  text: string,
  interfaces: () => InterfaceAddress[] = localInterfaceAddresses,
): MulticastV4Interface | MulticastV6Interface {
  const resolved = isIpv6(group)
    ? resolveMulticastV6Interface(text, interfaces())
    : resolveMulticastV4Interface(text, /^[\d.]+$/.test(text) ? [] : interfaces());
  if (typeof resolved === "string") {
    throw new UserError(
      `Cannot use --multicast-if ${text}: ${resolved}. Give an address or interface name of ` +
        "this machine (see `ip addr`, `ifconfig` or `ipconfig`).",
    );
  }
  return resolved;
}

/**
 * Opens a socket on `listen.port` that receives the group `listen.hostname`: bound to the
 * wildcard address with address reuse (so other receivers on this machine can join too, and
 * NACKs can be sent from it, which a socket bound to the group address cannot), then joined on
 * `interfaceText`'s interface, or the one the OS picks.
 *
 * @throws {UserError} when the port cannot be shared or the group cannot be joined.
 */
export async function listenMulticast(
  listen: HostPort,
  interfaceText: string | null,
): Promise<Deno.DatagramConn> {
  const ipv6 = isMulticastV6(listen.hostname);
  const where = formatHostPort(listen);
  const chosen = interfaceText === null
    ? null
    : resolveInterfaceFor(listen.hostname, interfaceText);
  let conn: Deno.DatagramConn;
  try {
    conn = Deno.listenDatagram({
      transport: "udp",
      hostname: ipv6 ? "::" : "0.0.0.0",
      port: listen.port,
      reuseAddress: true,
    });
  } catch (error) {
    throw new UserError(
      `Cannot listen on ${where}. Another program holds port ${listen.port} without sharing ` +
        "it: stop it, or use another group port.",
      1,
      { cause: error },
    );
  }
  try {
    if (ipv6) {
      await conn.joinMulticastV6(
        listen.hostname,
        (chosen as MulticastV6Interface | null)?.index ?? 0,
      );
    } else {
      await conn.joinMulticastV4(
        listen.hostname,
        (chosen as MulticastV4Interface | null)?.address ?? "0.0.0.0",
      );
    }
  } catch (error) {
    conn.close();
    throw new UserError(
      `Cannot join the multicast group ${listen.hostname}. ` +
        (interfaceText === null
          ? "This machine may have no multicast route: pick the interface with --multicast-if."
          : `Check that ${interfaceText} is up and multicast-capable (ip link).`),
      1,
      { cause: error },
    );
  }
  return conn;
}

/**
 * Sets the TTL of datagrams `conn` sends to the IPv4 group `group`. Deno only exposes
 * IP_MULTICAST_TTL through a group membership, so the sending socket joins the group (on the
 * sending interface); it is bound to another port, so it receives none of the stream.
 *
 * @throws {UserError} when the OS refuses.
 */
async function setMulticastTtlV4(
  conn: Deno.DatagramConn,
  group: string,
  ttl: number,
  interfaceAddress: string | null,
): Promise<void> {
  if (!isMulticastV4(group)) return;
  try {
    const membership = await conn.joinMulticastV4(group, interfaceAddress ?? "0.0.0.0");
    await membership.setTTL(ttl);
    // Local receivers (several windows on the sending machine) see the stream too.
    await membership.setLoopback(true);
  } catch (error) {
    throw new UserError(
      `Cannot set the multicast TTL for ${group}. ` +
        (interfaceAddress === null
          ? "This machine may have no multicast route: pick the interface with --multicast-if."
          : `Check that ${interfaceAddress} is an up, multicast-capable interface (ip addr).`),
      1,
      { cause: error },
    );
  }
}

/** What {@linkcode openSenderSockets} needs from the sender's options. */
export interface SenderSocketOptions {
  /** Where to send. */
  destinations: HostPort[];
  /** TTL for IPv4 groups. */
  multicastTtl: number;
  /** `--multicast-if`, or null. */
  multicastInterface: string | null;
}

/**
 * Opens the sender's sockets: bound to `--multicast-if`'s address for the families that have a
 * group among the destinations, with the TTL set for every IPv4 group.
 *
 * @throws {UserError} when the interface is unknown or the OS refuses a setting.
 */
export async function openSenderSockets(
  options: SenderSocketOptions,
): Promise<MultiDestinationSender> {
  const groups = options.destinations.filter((d) =>
    isMulticastV4(d.hostname) || isMulticastV6(d.hostname)
  );
  const text = options.multicastInterface;
  let v4: MulticastV4Interface | null = null;
  let v6: MulticastV6Interface | null = null;
  if (text !== null) {
    const v4Group = groups.find((d) => isMulticastV4(d.hostname));
    const v6Group = groups.find((d) => isMulticastV6(d.hostname));
    if (v4Group) v4 = resolveInterfaceFor(v4Group.hostname, text) as MulticastV4Interface;
    if (v6Group) v6 = resolveInterfaceFor(v6Group.hostname, text) as MulticastV6Interface;
  }
  const sockets = MultiDestinationSender.open(options.destinations, {
    v4: v4?.address,
    v6: v6?.bindAddress ?? undefined,
  });
  try {
    const joined = new Set<string>();
    for (const [index, destination] of options.destinations.entries()) {
      // One membership per group: joining twice on one socket is an error.
      if (!isMulticastV4(destination.hostname) || joined.has(destination.hostname)) continue;
      joined.add(destination.hostname);
      const conn = sockets.socketFor(index);
      if (conn === null) continue;
      await setMulticastTtlV4(
        conn,
        destination.hostname,
        options.multicastTtl,
        v4?.address ?? null,
      );
    }
  } catch (error) {
    sockets.close();
    throw error;
  }
  return sockets;
}
