/**
 * Which of the sender's destinations a reply (a NACK, a receiver report) comes from: the source
 * rule of docs/protocol.md, "Trust". Pure: addresses in, an index out.
 *
 * A reply belongs to a unicast destination only when it comes from exactly that destination's
 * address and port (IPv4 and its IPv4-mapped IPv6 form are the same address; an IPv6 zone is
 * ignored). Another address on the same port is a stranger: before this rule a NACK from
 * 127.0.0.2 was answered as if 127.0.0.1 had sent it (issue #19, finding 5). A multicast group
 * is not an address replies come from: its members answer from their own addresses, from the
 * socket listening on the group's port, so a reply on the port of exactly one group destination
 * is that group's (whatever the sender does with it goes to the group, never to the source).
 *
 * @module
 */

import type { HostPort } from "./address.ts";
// The address type the rule speaks in, for its documentation.
export type { HostPort };
import { parseAddressBytes } from "./address_filter.ts";
import { isMulticast } from "./multicast.ts";

/** Where a reply came from, as the sender's sockets see it. */
export interface ReplySource {
  /** Index of the destination it belongs to, or -1: a stranger. */
  destination: number;
  /** True when that destination is a multicast group (the source is one of its members). */
  group: boolean;
}

function sameAddress(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return false;
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Looks `from` up among `destinations` (see the module docs).
 *
 * @example
 * ```ts
 * import { replySourceOf } from "./reply_source.ts";
 *
 * const to = [{ hostname: "127.0.0.1", port: 5000 }, { hostname: "239.1.2.3", port: 6000 }];
 * console.log(replySourceOf(to, { hostname: "127.0.0.1", port: 5000 })); // destination 0
 * console.log(replySourceOf(to, { hostname: "127.0.0.2", port: 5000 })); // -1: a stranger
 * console.log(replySourceOf(to, { hostname: "10.0.0.7", port: 6000 })); // 1, a group member
 * ```
 */
export function replySourceOf(destinations: readonly HostPort[], from: HostPort): ReplySource {
  const fromBytes = parseAddressBytes(from.hostname);
  const exact = destinations.findIndex((destination) =>
    destination.port === from.port && !isMulticast(destination.hostname) &&
    sameAddress(parseAddressBytes(destination.hostname), fromBytes)
  );
  if (exact >= 0) return { destination: exact, group: false };
  let group = -1;
  for (const [index, destination] of destinations.entries()) {
    if (destination.port !== from.port || !isMulticast(destination.hostname)) continue;
    // Two groups on one port: the reply cannot say whose member it is.
    if (group >= 0) return { destination: -1, group: false };
    group = index;
  }
  return group >= 0 ? { destination: group, group: true } : { destination: -1, group: false };
}
