/**
 * Batched UDP I/O on Linux: many datagrams per system call (`recvmmsg`, `sendmmsg`) on a Deno
 * socket's file descriptor, through libc. Deno's `receive()`/`send()` cost one async op per
 * datagram; a 720p frame is ~40 datagrams. What a batch saves per datagram is in docs/benchmarks.md
 * ("Figures behind design choices"); on loopback most of what is left is the kernel's.
 *
 * Deno keeps the socket: it stays registered with Deno's event loop, which callers still use to
 * wait for data (`await conn.receive()`) and to send what the batch did not take. The batch calls
 * are synchronous and never block: they pass MSG_DONTWAIT (Deno's sockets are non-blocking too).
 *
 * Only on 64-bit Linux, with `--allow-ffi` already granted (never prompts), and when the socket's
 * descriptor is found: otherwise `open` returns null and callers keep Deno's per-datagram path.
 *
 * Struct layouts, 64-bit Linux (x86_64 and aarch64: LP64, little-endian), from `<bits/socket.h>`,
 * `<sys/socket.h>`, `<netinet/in.h>` and `<bits/types/struct_iovec.h>`:
 *
 * ```text
 * struct iovec    { void *iov_base; size_t iov_len; }                   // 16 bytes: 0, 8
 * struct msghdr   { void *msg_name;          // 0
 *                   socklen_t msg_namelen;   // 8  (u32, then 4 bytes of padding)
 *                   struct iovec *msg_iov;   // 16
 *                   size_t msg_iovlen;       // 24
 *                   void *msg_control;       // 32
 *                   size_t msg_controllen;   // 40
 *                   int msg_flags; }         // 48 (then 4 bytes of padding): 56 bytes
 * struct mmsghdr  { struct msghdr msg_hdr; unsigned int msg_len; }      // msg_len at 56: 64 bytes
 * struct sockaddr_in  { u16 family; u16 port (big-endian); u8 addr[4]; u8 zero[8]; }   // 16 bytes
 * struct sockaddr_in6 { u16 family; u16 port (big-endian); u32 flowinfo; u8 addr[16];
 *                       u32 scope_id; }                                                // 28 bytes
 * ```
 *
 * @module
 */

import { parseAddressBytes } from "../net/mod.ts";
import { findUdpSocketFd, type Libc, openLibc, socketConstants } from "./libc_socket.ts";

/** Datagrams per system call, unless a caller asks otherwise. */
export const BATCH_DATAGRAMS = 32;
/** Bytes per receive slot: more than the largest UDP payload (65,507 bytes over IPv4). */
export const SLOT_BYTES = 65536;

const MSG_TRUNC = 0x20;
const MSG_DONTWAIT = 0x40;
const AF_INET = 2;
const AF_INET6 = 10;

const MMSGHDR_BYTES = 64;
const IOVEC_BYTES = 16;
/** sizeof(struct sockaddr_storage): room for any address the kernel reports. */
const SOCKADDR_STORAGE_BYTES = 128;
const SOCKADDR_IN_BYTES = 16;
const SOCKADDR_IN6_BYTES = 28;

// Field offsets in 32-bit words (the structs are filled through Uint32Arrays).
const MSG_NAME_WORD = 0;
const MSG_NAMELEN_WORD = 2;
const MSG_IOV_WORD = 4;
const MSG_IOVLEN_WORD = 6;
const MSG_FLAGS_WORD = 12;
const MSG_LEN_WORD = 14;
const MMSGHDR_WORDS = MMSGHDR_BYTES / 4;
const IOVEC_WORDS = IOVEC_BYTES / 4;
const SOCKADDR_STORAGE_WORDS = SOCKADDR_STORAGE_BYTES / 4;

/** Sizes of a batch. */
export interface BatchOptions {
  /** Datagrams per call (default {@linkcode BATCH_DATAGRAMS}). */
  batchDatagrams?: number;
  /** Receive only: bytes per datagram slot (default {@linkcode SLOT_BYTES}); longer are dropped. */
  slotBytes?: number;
}

interface BatchSocket {
  lib: Libc;
  fd: number;
}

/** libc and `conn`'s descriptor, or null when batching is not possible here. */
function batchSocket(conn: Deno.DatagramConn): BatchSocket | null {
  if (Deno.build.os !== "linux") return null;
  // The struct layouts above are those of LP64 Linux.
  if (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") return null;
  // Asking would prompt in a terminal: batching is an optimisation, not worth a question.
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
  let lib: Libc;
  try {
    lib = openLibc("linux");
  } catch {
    return null;
  }
  if (lib.symbols.recvmmsg === null || lib.symbols.sendmmsg === null) return null;
  const address = conn.addr as Deno.NetAddr;
  const constants = socketConstants("linux")!;
  const fd = findUdpSocketFd(lib.symbols, constants, address.port, address.hostname.includes(":"));
  return fd === null ? null : { lib, fd };
}

/** Writes the 64-bit `value` (an address or a size) at word `index` of `words`. */
function setU64(words: Uint32Array, index: number, value: number): void {
  words[index] = value % 0x1_0000_0000;
  words[index + 1] = Math.floor(value / 0x1_0000_0000);
}

/** The address of `bytes`' first byte (0 for an empty view). */
function addressOf(bytes: Uint8Array): number {
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
}

function validCount(count: number | undefined): number {
  const value = count ?? BATCH_DATAGRAMS;
  if (!Number.isInteger(value) || value < 1 || value > 1024) {
    throw new RangeError(`Cannot batch ${value} datagrams: use 1..1024.`);
  }
  return value;
}

/**
 * An IPv6 address (16 bytes at `offset`) as Deno reports it (Rust's `Ipv6Addr` display, RFC 5952):
 * IPv4-mapped as `::ffff:a.b.c.d`, otherwise lowercase hex groups with the longest run (two or
 * more, the first of equals) of zero groups written `::`.
 */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i] << 8) | bytes[offset + 2 * i + 1]);
  if (
    groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    const at = offset + 12;
    return `::ffff:${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
  }
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength) [bestStart, bestLength] = [i, end - i];
    i = end;
  }
  const hex = (from: number, to: number) =>
    groups.slice(from, to).map((group) => group.toString(16)).join(":");
  if (bestLength < 2) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/**
 * Receives up to a batch of datagrams per call into preallocated slots. Datagram `i` of the last
 * call is a view into its slot, valid until the next call.
 */
export class BatchReceiver {
  readonly #recvmmsg: NonNullable<Libc["symbols"]["recvmmsg"]>;
  readonly #fd: number;
  readonly #batchDatagrams: number;
  readonly #slotBytes: number;
  /** struct mmsghdr[batchDatagrams]. */
  readonly #headers: Uint8Array;
  readonly #headerWords: Uint32Array;
  /** struct iovec[batchDatagrams], one per slot; referenced by the headers. */
  readonly #iovecs: Uint8Array;
  /** struct sockaddr_storage[batchDatagrams]; referenced by the headers. */
  readonly #names: Uint8Array;
  readonly #nameWords: Uint32Array;
  readonly #slots: Uint8Array;
  /** Bytes of each datagram of the last call; -1 when it was truncated. */
  readonly #lengths: Int32Array;
  #count = 0;
  /** The last source decoded, and the sockaddr words it came from (family and port, address). */
  #lastSource: Deno.NetAddr | null = null;
  readonly #lastKey = new Uint32Array(5);
  /** Datagrams longer than a slot: dropped, never delivered. */
  datagramsTruncated = 0;

  private constructor(socket: BatchSocket, options: BatchOptions) {
    this.#recvmmsg = socket.lib.symbols.recvmmsg!;
    this.#fd = socket.fd;
    const count = validCount(options.batchDatagrams);
    const slotBytes = options.slotBytes ?? SLOT_BYTES;
    if (!Number.isInteger(slotBytes) || slotBytes < 1 || slotBytes > SLOT_BYTES) {
      throw new RangeError(`Cannot use receive slots of ${slotBytes} bytes: use 1..${SLOT_BYTES}.`);
    }
    this.#batchDatagrams = count;
    this.#slotBytes = slotBytes;
    // Buffers made with `new ArrayBuffer` live outside V8's heap and never move: the kernel is
    // given their addresses once.
    this.#headers = new Uint8Array(new ArrayBuffer(count * MMSGHDR_BYTES));
    this.#headerWords = new Uint32Array(this.#headers.buffer);
    this.#iovecs = new Uint8Array(new ArrayBuffer(count * IOVEC_BYTES));
    this.#names = new Uint8Array(new ArrayBuffer(count * SOCKADDR_STORAGE_BYTES));
    this.#nameWords = new Uint32Array(this.#names.buffer);
    this.#slots = new Uint8Array(new ArrayBuffer(count * slotBytes));
    this.#lengths = new Int32Array(count);
    const iovecWords = new Uint32Array(this.#iovecs.buffer);
    const slotsAt = addressOf(this.#slots);
    const iovecsAt = addressOf(this.#iovecs);
    const namesAt = addressOf(this.#names);
    for (let i = 0; i < count; i++) {
      setU64(iovecWords, i * IOVEC_WORDS, slotsAt + i * slotBytes);
      setU64(iovecWords, i * IOVEC_WORDS + 2, slotBytes);
      const header = i * MMSGHDR_WORDS;
      setU64(this.#headerWords, header + MSG_NAME_WORD, namesAt + i * SOCKADDR_STORAGE_BYTES);
      setU64(this.#headerWords, header + MSG_IOV_WORD, iovecsAt + i * IOVEC_BYTES);
      setU64(this.#headerWords, header + MSG_IOVLEN_WORD, 1);
      // msg_control stays NULL, msg_controllen 0.
    }
  }

  /**
   * A batch receiver on `conn`'s descriptor, or null where batching is not possible (not 64-bit
   * Linux, no `--allow-ffi`, descriptor not found): keep using `conn.receive()` then.
   *
   * @throws {RangeError} when `options` are out of range.
   */
  static open(conn: Deno.DatagramConn, options: BatchOptions = {}): BatchReceiver | null {
    const socket = batchSocket(conn);
    return socket === null ? null : new BatchReceiver(socket, options);
  }

  /** Most datagrams one {@linkcode receive} returns. */
  get batchDatagrams(): number {
    return this.#batchDatagrams;
  }

  /**
   * Takes up to `maxDatagrams` (at most a batch) datagrams already queued on the socket, without
   * waiting, and returns how many: 0 when none is queued (or on any error; the socket's next
   * `receive()` reports what is wrong). Indexes `0..count-1` then name them, truncated ones too.
   */
  receive(maxDatagrams: number = this.#batchDatagrams): number {
    const wanted = Math.min(maxDatagrams, this.#batchDatagrams);
    this.#count = 0;
    if (wanted < 1) return 0;
    const words = this.#headerWords;
    // msg_namelen is in and out: the room for the address, then its length.
    for (let i = 0; i < wanted; i++) {
      words[i * MMSGHDR_WORDS + MSG_NAMELEN_WORD] = SOCKADDR_STORAGE_BYTES;
    }
    const got = this.#recvmmsg(this.#fd, this.#headers, wanted, MSG_DONTWAIT, null);
    if (got <= 0) return 0;
    for (let i = 0; i < got; i++) {
      const length = words[i * MMSGHDR_WORDS + MSG_LEN_WORD];
      const flags = words[i * MMSGHDR_WORDS + MSG_FLAGS_WORD];
      if ((flags & MSG_TRUNC) !== 0 || length > this.#slotBytes) {
        this.#lengths[i] = -1;
        this.datagramsTruncated++;
      } else this.#lengths[i] = length;
    }
    this.#count = got;
    return got;
  }

  /**
   * Datagram `index` of the last {@linkcode receive}: a view into its slot, overwritten by the
   * next call; null when it was truncated (longer than a slot), or out of range.
   */
  datagram(index: number): Uint8Array | null {
    if (index < 0 || index >= this.#count) return null;
    const length = this.#lengths[index];
    if (length < 0) return null;
    const start = index * this.#slotBytes;
    return this.#slots.subarray(start, start + length);
  }

  /**
   * Where datagram `index` of the last {@linkcode receive} came from, as Deno would report it.
   * Consecutive datagrams from one source share one object: never change it.
   */
  source(index: number): Deno.NetAddr {
    const words = this.#nameWords;
    const at = index * SOCKADDR_STORAGE_WORDS;
    const head = words[at];
    const key = this.#lastKey;
    const last = this.#lastSource;
    const family = head & 0xffff;
    // Word 1 of a sockaddr_in6 is the flow label, which Deno does not report.
    if (last !== null && head === key[0]) {
      if (family === AF_INET && words[at + 1] === key[1]) return last;
      if (
        family === AF_INET6 && words[at + 2] === key[1] && words[at + 3] === key[2] &&
        words[at + 4] === key[3] && words[at + 5] === key[4]
      ) return last;
    }
    const bytes = this.#names;
    const base = at * 4;
    const port = (bytes[base + 2] << 8) | bytes[base + 3];
    let hostname: string;
    key[0] = head;
    if (family === AF_INET) {
      hostname = `${bytes[base + 4]}.${bytes[base + 5]}.${bytes[base + 6]}.${bytes[base + 7]}`;
      key[1] = words[at + 1];
    } else if (family === AF_INET6) {
      hostname = formatIpv6(bytes, base + 8);
      for (let i = 1; i < 5; i++) key[i] = words[at + 1 + i];
    } else {
      // Not an IP socket: nothing to compare with next time.
      this.#lastSource = null;
      return { transport: "udp", hostname: "", port: 0 };
    }
    this.#lastSource = { transport: "udp", hostname, port };
    return this.#lastSource;
  }
}

/** A destination's sockaddr, built once by {@linkcode BatchSender.destination}. */
export interface BatchDestination {
  /** struct sockaddr_in or sockaddr_in6. */
  readonly sockaddr: Uint8Array;
  /** Its address, for msg_name. */
  readonly address: number;
}

/** Sends up to a batch of datagrams per call, to one destination. */
export class BatchSender {
  readonly #sendmmsg: NonNullable<Libc["symbols"]["sendmmsg"]>;
  readonly #fd: number;
  readonly #ipv6: boolean;
  readonly #batchDatagrams: number;
  /** struct mmsghdr[batchDatagrams]. */
  readonly #headers: Uint8Array;
  readonly #headerWords: Uint32Array;
  /** struct iovec[batchDatagrams]: pointed at the datagrams of each call. */
  readonly #iovecWords: Uint32Array;

  private constructor(socket: BatchSocket, ipv6: boolean, options: BatchOptions) {
    this.#sendmmsg = socket.lib.symbols.sendmmsg!;
    this.#fd = socket.fd;
    this.#ipv6 = ipv6;
    const count = validCount(options.batchDatagrams);
    this.#batchDatagrams = count;
    this.#headers = new Uint8Array(new ArrayBuffer(count * MMSGHDR_BYTES));
    this.#headerWords = new Uint32Array(this.#headers.buffer);
    const iovecs = new Uint8Array(new ArrayBuffer(count * IOVEC_BYTES));
    this.#iovecWords = new Uint32Array(iovecs.buffer);
    const iovecsAt = addressOf(iovecs);
    for (let i = 0; i < count; i++) {
      const header = i * MMSGHDR_WORDS;
      setU64(this.#headerWords, header + MSG_IOV_WORD, iovecsAt + i * IOVEC_BYTES);
      setU64(this.#headerWords, header + MSG_IOVLEN_WORD, 1);
    }
  }

  /**
   * A batch sender on `conn`'s descriptor, or null where batching is not possible (not 64-bit
   * Linux, no `--allow-ffi`, descriptor not found): keep using `conn.send()` then.
   *
   * @throws {RangeError} when `options` are out of range.
   */
  static open(conn: Deno.DatagramConn, options: BatchOptions = {}): BatchSender | null {
    const socket = batchSocket(conn);
    if (socket === null) return null;
    return new BatchSender(socket, (conn.addr as Deno.NetAddr).hostname.includes(":"), options);
  }

  /** Most datagrams one {@linkcode send} takes. */
  get batchDatagrams(): number {
    return this.#batchDatagrams;
  }

  /**
   * The sockaddr for `to`, or null when `to` is not an IP address of this socket's family (a host
   * name, an IPv6 zone): send to it with `conn.send()`. Keep it for every {@linkcode send} to `to`.
   */
  destination(to: Deno.NetAddr): BatchDestination | null {
    if (to.hostname.includes("%") || to.port < 0 || to.port > 65535) return null;
    const bytes = parseAddressBytes(to.hostname);
    if (bytes === null) return null;
    const ipv6 = to.hostname.includes(":");
    if (ipv6 !== this.#ipv6) return null;
    const sockaddr = new Uint8Array(new ArrayBuffer(ipv6 ? SOCKADDR_IN6_BYTES : SOCKADDR_IN_BYTES));
    new DataView(sockaddr.buffer).setUint16(0, ipv6 ? AF_INET6 : AF_INET, true);
    sockaddr[2] = to.port >> 8;
    sockaddr[3] = to.port & 0xff;
    // parseAddressBytes gives IPv4 as IPv4-mapped IPv6: its last 4 bytes.
    if (ipv6) sockaddr.set(bytes, 8);
    else sockaddr.set(bytes.subarray(12), 4);
    return { sockaddr, address: addressOf(sockaddr) };
  }

  /**
   * Hands `datagrams[start..end)` (at most a batch) to the kernel for `to`, without waiting, and
   * returns how many it took, in order: fewer than asked (0 included) when the socket's buffer is
   * full or a send fails. Send the next one with `conn.send()`, which waits or reports the error.
   */
  send(
    datagrams: readonly Uint8Array[],
    start: number,
    end: number,
    to: BatchDestination,
  ): number {
    const count = Math.min(end - start, this.#batchDatagrams);
    if (count < 1) return 0;
    const headers = this.#headerWords;
    const iovecs = this.#iovecWords;
    const nameBytes = to.sockaddr.length;
    for (let i = 0; i < count; i++) {
      const datagram = datagrams[start + i];
      const header = i * MMSGHDR_WORDS;
      setU64(headers, header + MSG_NAME_WORD, to.address);
      headers[header + MSG_NAMELEN_WORD] = nameBytes;
      setU64(iovecs, i * IOVEC_WORDS, addressOf(datagram));
      setU64(iovecs, i * IOVEC_WORDS + 2, datagram.length);
    }
    // `datagrams` and `to` stay referenced by the caller during this synchronous call.
    const sent = this.#sendmmsg(this.#fd, this.#headers, count, MSG_DONTWAIT);
    return sent > 0 ? sent : 0;
  }
}
