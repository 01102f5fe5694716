/**
 * Network values: host:port parsing, `--allow-from` address rules, the wording of a failed bind,
 * multicast addresses and interfaces, and the size limits of UDP datagrams and sockets.
 *
 * @module
 */

export { formatHostPort, isIpv6, parseHostPort } from "./address.ts";
export type { HostPort } from "./address.ts";
export { AddressFilter, parseAddressBytes, parseAddressRule } from "./address_filter.ts";
export type { AddressRule } from "./address_filter.ts";
export {
  bindError,
  bindFailureOf,
  UNPRIVILEGED_PORT_START,
  unprivilegedPortAdvice,
} from "./bind_error.ts";
export type { BindFailure, BindTarget } from "./bind_error.ts";
export {
  DEFAULT_DATAGRAM_BYTES,
  MACOS_MAX_DATAGRAM_BYTES,
  MAX_UDP_PAYLOAD_BYTES,
  MIN_DATAGRAM_BYTES,
  WANTED_RECEIVE_BUFFER_BYTES,
} from "./limits.ts";
export {
  DEFAULT_MULTICAST_TTL,
  isMulticast,
  isMulticastV4,
  isMulticastV6,
  MAX_MULTICAST_TTL,
  resolveMulticastV4Interface,
  resolveMulticastV6Interface,
} from "./multicast.ts";
export type { InterfaceAddress, MulticastV4Interface, MulticastV6Interface } from "./multicast.ts";
export { isLoopbackHost, reachableHosts } from "./reachable_hosts.ts";
export { replySourceOf } from "./reply_source.ts";
export type { ReplySource } from "./reply_source.ts";
export type { HostInterfaceAddress } from "./reachable_hosts.ts";
