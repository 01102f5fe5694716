/**
 * The addresses to print for the HTTP viewer: a wildcard bind (0.0.0.0, ::) is not something a
 * browser can open, so it is expanded into this machine's own addresses.
 *
 * @module
 */

import { formatHostPort, type HostPort, reachableHosts } from "../net/mod.ts";
import { tokenQuery } from "./viewer_page.ts";

/** One network address of this machine, as `Deno.networkInterfaces()` lists it. */
export interface InterfaceAddress {
  /** The address, without brackets or zone. */
  address: string;
  /** "IPv4" or "IPv6". */
  family: string;
}

/**
 * The page URLs to show for a server bound to `bound`: itself, or for a wildcard bind the
 * loopback address and every non-link-local address of the same family (IPv6 `::` also serves
 * IPv4 on most systems, but only IPv6 addresses are listed for it). Each carries `?token=`.
 */
export function viewerUrls(
  bound: HostPort,
  token: string | undefined,
  interfaces: InterfaceAddress[],
): string[] {
  const query = tokenQuery(token);
  return reachableHosts(bound, interfaces).map((hostname) =>
    `http://${formatHostPort({ hostname, port: bound.port })}/${query}`
  );
}
