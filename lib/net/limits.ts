/**
 * Size limits of UDP datagrams and sockets that every wire format and the doctor share: what IPv4
 * carries, the smallest size we allow, what macOS sends by default, and our default.
 *
 * @module
 */

/** Largest UDP payload over IPv4. */
export const MAX_UDP_PAYLOAD_BYTES = 65507;

/** Smallest datagram size we allow: the IPv4 minimum reassembly size. */
export const MIN_DATAGRAM_BYTES = 576;

/** Largest UDP datagram macOS sends by default (sysctl net.inet.udp.maxdgram). */
export const MACOS_MAX_DATAGRAM_BYTES = 9216;

/** Default datagram size: fits the 1280-byte IPv6 minimum MTU with room for tunnels. */
export const DEFAULT_DATAGRAM_BYTES = 1200;

/**
 * The receive buffer the receiver asks for (lib/io/socket_buffer.ts): room for dozens of 1080p
 * frames, so a slow moment of the receive thread loses nothing. The doctor warns when the OS caps
 * buffers below it.
 */
export const WANTED_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
