/**
 * Enlarges a Deno UDP socket's kernel receive buffer (SO_RCVBUF) through libc, which Deno's API
 * cannot do. Deno does not expose the socket's file descriptor either, so it is found by asking
 * each descriptor for its type and local address (`lib/io/libc_socket.ts`).
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

import { describeError } from "../errors.ts";
import { loadAttemptsOf } from "../ffi/native_library.ts";
import { WANTED_RECEIVE_BUFFER_BYTES } from "../net/mod.ts";
import {
  findUdpSocketFd,
  type Libc,
  openLibc,
  readIntOption,
  socketConstants,
} from "./libc_socket.ts";

/** What {@linkcode enlargeReceiveBuffer} did. */
export type ReceiveBufferResult =
  | { ok: true; bytes: number; requestedBytes: number }
  | { ok: false; reason: string };

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
  const constants = socketConstants(os);
  if (constants === null) return { ok: false, reason: `not supported on ${os}` };
  let lib: Libc;
  try {
    lib = openLibc(os);
  } catch (error) {
    // Deno.dlopen's own words (no --allow-ffi, say) are the useful part.
    const first = loadAttemptsOf(error)?.attempts[0]?.error ?? error;
    return { ok: false, reason: `cannot load libc: ${describeError(first)}` };
  }
  const fd = findUdpSocketFd(lib.symbols, constants, port, ipv6);
  if (fd === null) return { ok: false, reason: "the socket's descriptor was not found" };
  const value = new Int32Array([wantedBytes]);
  if (lib.symbols.setsockopt(fd, constants.solSocket, constants.soRcvbuf, value, 4) !== 0) {
    return { ok: false, reason: "setsockopt(SO_RCVBUF) failed" };
  }
  const granted = readIntOption(lib.symbols, constants, fd, constants.soRcvbuf);
  if (granted === null) return { ok: false, reason: "getsockopt(SO_RCVBUF) failed" };
  return { ok: true, bytes: granted, requestedBytes: wantedBytes };
}

/**
 * Below this receive buffer (as the kernel reports it: Linux counts its bookkeeping too, so this
 * holds ~4 frames of 1080p), the receiver says how to raise the OS's cap.
 */
const MIN_GOOD_RECEIVE_BUFFER_BYTES = 1024 * 1024;

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
