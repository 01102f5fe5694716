/**
 * The host addresses to print for a server a user should open (`--http`, `--rtsp`): a wildcard
 * bind (0.0.0.0, ::) is not an address a browser or player can open, so it is expanded into this
 * machine's own addresses.
 *
 * @module
 */

import type { HostPort } from "./address.ts";

export type { HostPort };

/** One network address of this machine, as `Deno.networkInterfaces()` lists it. */
export interface HostInterfaceAddress {
  /** The address, without brackets or zone. */
  address: string;
  /** "IPv4" or "IPv6". */
  family: string;
}

/**
 * The hosts a server bound to `bound` is reached at: its own host, or for a wildcard bind the
 * loopback address and every non-link-local address of the same family (IPv6 `::` also serves
 * IPv4 on most systems, but only IPv6 addresses are listed for it), loopback first.
 *
 * @example A wildcard IPv4 bind on a machine with one LAN address
 * ```ts
 * import { reachableHosts } from "./reachable_hosts.ts";
 *
 * const hosts = reachableHosts({ hostname: "0.0.0.0", port: 8554 }, [
 *   { address: "127.0.0.1", family: "IPv4" },
 *   { address: "192.168.1.20", family: "IPv4" },
 *   { address: "fe80::1", family: "IPv6" },
 * ]);
 * if (hosts.join(" ") !== "127.0.0.1 192.168.1.20") throw new Error(hosts.join(" "));
 * ```
 */
export function reachableHosts(
  bound: HostPort,
  interfaces: readonly HostInterfaceAddress[],
): string[] {
  const wildcardFamily = bound.hostname === "0.0.0.0"
    ? "IPv4"
    : bound.hostname === "::"
    ? "IPv6"
    : null;
  if (!wildcardFamily) return [bound.hostname];
  const hosts = [wildcardFamily === "IPv4" ? "127.0.0.1" : "::1"];
  for (const { address, family } of interfaces) {
    if (family !== wildcardFamily || /^fe80:/i.test(address) || hosts.includes(address)) continue;
    if (/^127\./.test(address)) continue;
    hosts.push(address);
  }
  return hosts;
}

/**
 * Whether `hostname` only reaches this machine: 127.0.0.0/8, ::1, or `localhost`. A server bound
 * anywhere else can be reached from the network.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^::ffff:/, "");
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === "::1" || host === "localhost";
}
