/**
 * Enlarges a Deno UDP socket's kernel receive buffer (SO_RCVBUF) through libc, which Deno's API
 * cannot do. Deno does not expose the socket's file descriptor either, so it is found by asking
 * each descriptor for its type and local address (`getsockopt(SO_TYPE)`, `getsockname`).
 *
 * Why: Linux's default receive buffer (212,992 bytes) holds ~92 datagrams of 1200 bytes, about one
 * 1080p frame; a receive worker paused for a few ms by the scheduler or a garbage collection at
 * 150 fps overflows it. The kernel caps the request at `net.core.rmem_max` (Linux) or
 * `kern.ipc.maxsockbuf` (macOS) without error, so the size granted is read back and reported.
 *
 * Linux and macOS only (libc); elsewhere, or without `--allow-ffi`, it reports why it did nothing.
 *
 * @module
 */

import { MIN_RECEIVE_BUFFER_BYTES } from "../doctor.ts";

/** The receive buffer udpcam asks for: the doctor's threshold for the OS cap. */
export const WANTED_RECEIVE_BUFFER_BYTES = MIN_RECEIVE_BUFFER_BYTES;

/** Highest file descriptor searched for the socket. */
const MAX_FD = 4096;

/** What {@linkcode enlargeReceiveBuffer} did. */
export type ReceiveBufferResult =
  | { ok: true; bytes: number; requestedBytes: number }
  | { ok: false; reason: string };

/** Socket option numbers, which differ between Linux and the BSDs. */
interface SocketConstants {
  solSocket: number;
  soRcvbuf: number;
  soType: number;
  sockDgram: number;
  afInet: number;
  afInet6: number;
  /** macOS sockaddrs start with a length byte, then a one-byte family; Linux has a u16 family. */
  familyOffset: number;
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

const LIBC_SYMBOLS = {
  /** int getsockname(int sockfd, struct sockaddr *addr, socklen_t *addrlen); */
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  /** int getsockopt(int sockfd, int level, int optname, void *optval, socklen_t *optlen); */
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  /** int setsockopt(int sockfd, int level, int optname, const void *optval, socklen_t optlen); */
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>;

let libc: Libc | null = null;

function openLibc(os: typeof Deno.build.os): Libc {
  libc ??= Deno.dlopen(
    os === "darwin" ? "/usr/lib/libSystem.B.dylib" : "libc.so.6",
    LIBC_SYMBOLS,
  );
  return libc;
}

/**
 * Sets SO_RCVBUF of the UDP socket bound to local `port` (`ipv6`: an AF_INET6 socket) to
 * `wantedBytes`, and returns the size the kernel granted. Never throws.
 */
export function enlargeReceiveBuffer(
  port: number,
  ipv6: boolean,
  wantedBytes: number = WANTED_RECEIVE_BUFFER_BYTES,
): ReceiveBufferResult {
  const os = Deno.build.os;
  const constants = os === "linux" ? LINUX : os === "darwin" ? DARWIN : null;
  if (constants === null) return { ok: false, reason: `not supported on ${os}` };
  let lib: Libc;
  try {
    lib = openLibc(os);
  } catch (error) {
    return { ok: false, reason: `cannot load libc: ${(error as Error).message}` };
  }
  const fd = findUdpSocket(lib.symbols, constants, port, ipv6);
  if (fd === null) return { ok: false, reason: "the socket's descriptor was not found" };
  const value = new Int32Array([wantedBytes]);
  if (lib.symbols.setsockopt(fd, constants.solSocket, constants.soRcvbuf, value, 4) !== 0) {
    return { ok: false, reason: "setsockopt(SO_RCVBUF) failed" };
  }
  const granted = readIntOption(lib.symbols, constants, fd, constants.soRcvbuf);
  if (granted === null) return { ok: false, reason: "getsockopt(SO_RCVBUF) failed" };
  return { ok: true, bytes: granted, requestedBytes: wantedBytes };
}

function readIntOption(
  sym: Libc["symbols"],
  constants: SocketConstants,
  fd: number,
  option: number,
): number | null {
  const value = new Int32Array(1);
  const length = new Uint32Array([4]);
  return sym.getsockopt(fd, constants.solSocket, option, value, length) === 0 ? value[0] : null;
}

function findUdpSocket(
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

/**
 * Below this receive buffer (as the kernel reports it: Linux counts its bookkeeping too, so this
 * holds ~4 frames of 1080p), the receiver says how to raise the OS's cap.
 */
export const MIN_GOOD_RECEIVE_BUFFER_BYTES = 1024 * 1024;

/**
 * A warning with the fix when the receive buffer stayed small (bursts of big frames may then be
 * dropped by the kernel); null when it is big enough, and on Windows, which this does not tune.
 */
export function receiveBufferWarning(
  result: ReceiveBufferResult,
  os: typeof Deno.build.os = Deno.build.os,
): string | null {
  if (result.ok && result.bytes >= MIN_GOOD_RECEIVE_BUFFER_BYTES) return null;
  if (os === "windows") return null;
  const why = result.ok
    ? `the OS granted ${(result.bytes / 1024).toFixed(0)} KiB of the ${
      (result.requestedBytes / 1048576).toFixed(0)
    } MiB asked for`
    : result.reason;
  const fix = os === "darwin"
    ? "sudo sysctl -w kern.ipc.maxsockbuf=8388608"
    : `sudo sysctl -w net.core.rmem_max=${WANTED_RECEIVE_BUFFER_BYTES}`;
  return `small UDP receive buffer (${why}): big frames at high rates may lose datagrams; ` +
    `fix: ${fix}`;
}
