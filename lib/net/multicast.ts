/**
 * Multicast addresses and the `--multicast-if` interface choice, as pure functions: which
 * destinations are groups, and what a user's interface text means for each address family.
 *
 * @module
 */

import { isIpv6 } from "./address.ts";

/** Most hops an IPv4 multicast datagram may take (IP_MULTICAST_TTL is one byte). */
export const MAX_MULTICAST_TTL = 255;

/** Default TTL: one hop, so the stream stays on the sender's LAN. */
export const DEFAULT_MULTICAST_TTL = 1;

/** True when `hostname` is an IPv4 multicast address (224.0.0.0/4). */
export function isMulticastV4(hostname: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(hostname);
  if (match === null) return false;
  const octets = match.slice(1).map(Number);
  return octets.every((octet) => octet <= 255) && octets[0] >= 224 && octets[0] <= 239;
}

/** True when `hostname` is an IPv6 multicast address (ff00::/8), zone or not. */
export function isMulticastV6(hostname: string): boolean {
  return isIpv6(hostname) && /^ff[0-9a-f]{2}:/i.test(hostname);
}

/** True when `hostname` is an IPv4 or IPv6 multicast group. */
export function isMulticast(hostname: string): boolean {
  return isMulticastV4(hostname) || isMulticastV6(hostname);
}

/** The parts of `Deno.NetworkInterfaceInfo` used to resolve interface names. */
export interface InterfaceAddress {
  /** Interface name (eth0, en0, ...). */
  name: string;
  /** "IPv4" or "IPv6". */
  family: "IPv4" | "IPv6";
  /** The address, without zone. */
  address: string;
  /** IPv6 scope id: the interface index for link-local addresses, else 0 or null. */
  scopeid: number | null;
}

/** How to use one interface for IPv4 multicast. */
export interface MulticastV4Interface {
  /** The interface's IPv4 address: joined on, and bound to when sending. */
  address: string;
}

/** How to use one interface for IPv6 multicast. */
export interface MulticastV6Interface {
  /** Interface index joined on (0: the OS's choice). */
  index: number;
  /**
   * Address to bind the sending socket to: a link-local address with its zone, which pins the
   * outgoing interface on Linux; null when none is known (the OS picks the interface).
   */
  bindAddress: string | null;
}

const IPV4_LITERAL = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * Resolves `--multicast-if` for IPv4: an IPv4 address, or an interface name with an IPv4 address.
 * Returns an error message instead of throwing, so the caller can name the flag.
 */
export function resolveMulticastV4Interface(
  text: string,
  interfaces: readonly InterfaceAddress[],
): MulticastV4Interface | string {
  if (IPV4_LITERAL.test(text)) return { address: text };
  const entry = interfaces.find((i) => i.name === text && i.family === "IPv4");
  if (entry !== undefined) return { address: entry.address };
  return `"${text}" is neither an IPv4 address nor an interface with one` +
    namesHint(interfaces, "IPv4");
}

/**
 * Resolves `--multicast-if` for IPv6: an interface index (`2`), a name (`eth0`), or an address of
 * this machine (`fe80::1%eth0`, `2001:db8::5`). The index comes from the interface's link-local
 * address, whose scope id is the index on every OS. Returns an error message instead of throwing.
 */
export function resolveMulticastV6Interface(
  text: string,
  interfaces: readonly InterfaceAddress[],
): MulticastV6Interface | string {
  const linkLocalOf = (name: string) =>
    interfaces.find((i) =>
      i.name === name && i.family === "IPv6" && (i.scopeid ?? 0) > 0 && /^fe80:/i.test(i.address)
    );
  const byName = (name: string): MulticastV6Interface | null => {
    const linkLocal = linkLocalOf(name);
    return linkLocal === undefined ? null : {
      index: linkLocal.scopeid!,
      bindAddress: `${linkLocal.address}%${linkLocal.scopeid}`,
    };
  };
  if (/^\d{1,10}$/.test(text)) {
    const index = Number(text);
    const named = interfaces.find((i) => i.family === "IPv6" && i.scopeid === index);
    return { index, bindAddress: named ? `${named.address}%${index}` : null };
  }
  if (!isIpv6(text)) {
    return byName(text) ??
      `"${text}" is not an interface with an IPv6 link-local address` +
        namesHint(interfaces, "IPv6");
  }
  const [address, zone] = text.split("%", 2);
  if (zone !== undefined) {
    const index = /^\d+$/.test(zone) ? Number(zone) : linkLocalOf(zone)?.scopeid ?? null;
    if (index === null) return `"${text}": no interface "${zone}" with IPv6 on this machine`;
    return { index, bindAddress: text };
  }
  const entry = interfaces.find((i) =>
    i.family === "IPv6" && i.address.toLowerCase() === address.toLowerCase()
  );
  if (entry === undefined) return `"${text}" is not an IPv6 address of this machine`;
  const linkLocal = linkLocalOf(entry.name);
  return { index: linkLocal?.scopeid ?? 0, bindAddress: text };
}

function namesHint(interfaces: readonly InterfaceAddress[], family: "IPv4" | "IPv6"): string {
  const names = [...new Set(interfaces.filter((i) => i.family === family).map((i) => i.name))];
  return names.length > 0 ? ` (this machine has: ${names.join(", ")})` : "";
}
