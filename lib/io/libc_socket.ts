/**
 * libc for what Deno's socket API does not offer: the one table of C functions udpcam calls on its
 * own UDP sockets, and the search for a Deno socket's file descriptor, which Deno does not expose:
 * each descriptor is asked for its local address and type (`getsockname`, `getsockopt(SO_TYPE)`).
 *
 * Linux and macOS only. Nothing is loaded until {@linkcode openLibc} is called.
 *
 * @module
 */

import { NativeLibrary } from "../ffi/native_library.ts";

/** Highest file descriptor searched for a socket. */
const MAX_FD = 4096;

/** Socket option numbers and sockaddr layout, which differ between Linux and the BSDs. */
export interface SocketConstants {
  /** SOL_SOCKET. */
  solSocket: number;
  /** SO_RCVBUF. */
  soRcvbuf: number;
  /** SO_TYPE. */
  soType: number;
  /** SOCK_DGRAM. */
  sockDgram: number;
  /** AF_INET. */
  afInet: number;
  /** AF_INET6. */
  afInet6: number;
  /** macOS sockaddrs start with a length byte, then a one-byte family; Linux has a u16 family. */
  familyOffset: number;
  /** Bytes of the family field. */
  familyBytes: 1 | 2;
}

const LINUX: SocketConstants = {
  solSocket: 1,
  soRcvbuf: 8,
  soType: 3,
  sockDgram: 2,
  afInet: 2,
  afInet6: 10,
  familyOffset: 0,
  familyBytes: 2,
};

const DARWIN: SocketConstants = {
  solSocket: 0xffff,
  soRcvbuf: 0x1002,
  soType: 0x1008,
  sockDgram: 2,
  afInet: 2,
  afInet6: 30,
  familyOffset: 1,
  familyBytes: 1,
};

/** The constants of `os`, or null where udpcam does not call libc. */
export function socketConstants(os: typeof Deno.build.os = Deno.build.os): SocketConstants | null {
  return os === "linux" ? LINUX : os === "darwin" ? DARWIN : null;
}

/** Every libc function udpcam calls, with its C prototype. */
export const LIBC_SYMBOLS = {
  /** int getsockname(int sockfd, struct sockaddr *addr, socklen_t *addrlen); */
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  /** int getsockopt(int sockfd, int level, int optname, void *optval, socklen_t *optlen); */
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  /** int setsockopt(int sockfd, int level, int optname, const void *optval, socklen_t optlen); */
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  /**
   * int recvmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags,
   *              struct timespec *timeout);
   * Linux only (optional: null on macOS).
   */
  recvmmsg: {
    parameters: ["i32", "buffer", "u32", "i32", "pointer"],
    result: "i32",
    optional: true,
  },
  /**
   * int sendmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags);
   * Linux only (optional: null on macOS).
   */
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32", optional: true },
} as const;

/** libc, opened with {@linkcode LIBC_SYMBOLS}. */
export type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>;

/** libc (libSystem on macOS); loaded once per thread, as each worker has its own modules. */
const LIBC: NativeLibrary<typeof LIBC_SYMBOLS> = new NativeLibrary({
  name: "C",
  candidates: { darwin: ["/usr/lib/libSystem.B.dylib"], default: ["libc.so.6"] },
  symbols: LIBC_SYMBOLS,
});

/**
 * Opens libc once per thread (each worker has its own).
 *
 * @throws {UserError} when it cannot be loaded: no `--allow-ffi` (which may prompt first, in a
 * terminal), or no libc. Its `cause` keeps `Deno.dlopen`'s error ({@linkcode loadAttemptsOf}).
 */
export function openLibc(os: typeof Deno.build.os = Deno.build.os): Libc {
  return LIBC.open(os).library;
}

/** Reads the int socket option `option` (at SOL_SOCKET) of `fd`, or null when that fails. */
export function readIntOption(
  sym: Libc["symbols"],
  constants: SocketConstants,
  fd: number,
  option: number,
): number | null {
  const value = new Int32Array(1);
  const length = new Uint32Array([4]);
  return sym.getsockopt(fd, constants.solSocket, option, value, length) === 0 ? value[0] : null;
}

/**
 * The descriptor of this process's UDP socket bound to local `port` (`ipv6`: an AF_INET6 socket),
 * or null when there is none.
 */
export function findUdpSocketFd(
  sym: Libc["symbols"],
  constants: SocketConstants,
  port: number,
  ipv6: boolean,
): number | null {
  const address = new Uint8Array(128);
  const length = new Uint32Array(1);
  const wantedFamily = ipv6 ? constants.afInet6 : constants.afInet;
  for (let fd = 3; fd < MAX_FD; fd++) {
    length[0] = address.length;
    // Not a socket (ENOTSOCK) or not open (EBADF): next.
    if (sym.getsockname(fd, address, length) !== 0) continue;
    const family = constants.familyBytes === 2
      ? new DataView(address.buffer).getUint16(constants.familyOffset, true)
      : address[constants.familyOffset];
    if (family !== wantedFamily) continue;
    // sin_port and sin6_port sit at offset 2, in network byte order, on both systems.
    if (((address[2] << 8) | address[3]) !== port) continue;
    if (readIntOption(sym, constants, fd, constants.soType) !== constants.sockDgram) continue;
    return fd;
  }
  return null;
}
