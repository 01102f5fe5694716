/**
 * The multicast flags of both programs: `--ttl` and `--multicast-if` on the sender,
 * `--multicast-if` on the receiver, checked against the destinations or listen address.
 *
 * @module
 */

import {
  DEFAULT_MULTICAST_TTL,
  type HostPort,
  isMulticast,
  isMulticastV4,
  MAX_MULTICAST_TTL,
} from "../net/mod.ts";
import { intFlag, usageError } from "./flags.ts";

/** The sender's multicast settings. */
export interface SenderMulticastOptions {
  /** Hops datagrams to IPv4 groups may take (0: this machine only, 1: the LAN). */
  multicastTtl: number;
  /** Interface (address or name) multicast goes out of, or null: the OS's choice. */
  multicastInterface: string | null;
}

/** The receiver's multicast settings. */
export interface ReceiverMulticastOptions {
  /** Interface (address, name or IPv6 index) the group is joined on, or null: the OS's. */
  multicastInterface: string | null;
}

/** `--help` lines for the sender's Destination section. */
export const SENDER_MULTICAST_HELP =
  `  --ttl N               hops for a multicast --to (224.0.0.0/4 or ff00::/8), 0..255
                        (default 1: the LAN only); IPv6 groups always get 1
  --multicast-if ADDR   send multicast from this interface (its address, or its name)`;

/** `--help` lines for the receiver's Network section. */
export const RECEIVER_MULTICAST_HELP =
  `  --multicast-if ADDR   with a multicast --listen group: join it on this interface (IPv4
                        address or name; IPv6: name, index or address)`;

/** Checks `--ttl` and `--multicast-if` against `destinations`. */
export function senderMulticastOptions(
  program: string,
  destinations: readonly HostPort[],
  ttlText: string | undefined,
  interfaceText: string | undefined,
): SenderMulticastOptions {
  const groups = destinations.filter((d) => isMulticast(d.hostname));
  if (groups.length === 0 && (ttlText !== undefined || interfaceText !== undefined)) {
    throw usageError(
      program,
      `${ttlText !== undefined ? "--ttl" : "--multicast-if"} only applies to a multicast --to ` +
        "(224.0.0.0/4, e.g. 239.1.2.3:12345, or ff00::/8, e.g. [ff15::1]:12345)",
    );
  }
  const multicastTtl = intFlag(
    program,
    "ttl",
    ttlText,
    DEFAULT_MULTICAST_TTL,
    0,
    MAX_MULTICAST_TTL,
  );
  if (multicastTtl !== 1 && groups.some((d) => !isMulticastV4(d.hostname))) {
    throw usageError(
      program,
      "--ttl only applies to IPv4 groups: Deno has no way to set the IPv6 hop limit, so IPv6 " +
        "groups always go 1 hop (the LAN)",
    );
  }
  if (interfaceText !== undefined && interfaceText.trim() === "") {
    throw usageError(program, "--multicast-if needs an interface address or name");
  }
  return { multicastTtl, multicastInterface: interfaceText?.trim() ?? null };
}

/** Checks `--multicast-if` against `listen`. */
export function receiverMulticastOptions(
  program: string,
  listen: HostPort,
  interfaceText: string | undefined,
): ReceiverMulticastOptions {
  if (interfaceText === undefined) return { multicastInterface: null };
  if (!isMulticast(listen.hostname)) {
    throw usageError(
      program,
      "--multicast-if only applies to a multicast --listen group (e.g. 239.1.2.3:12345)",
    );
  }
  if (interfaceText.trim() === "") {
    throw usageError(program, "--multicast-if needs an interface address, name or index");
  }
  return { multicastInterface: interfaceText.trim() };
}
