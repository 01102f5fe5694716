/**
 * A small HTTP/1.1 server on a TCP listener, for the receiver's HTTP view: GET and HEAD, fixed
 * responses with keep-alive, and endless streamed responses, with every resource a client can
 * hold bounded in count and in time.
 *
 * Why not `Deno.serve`: in Deno 2.9 it has no header timeout, no idle timeout and no connection
 * cap (a connection that sends nothing, or one byte a second, stays open for good), and it gives a
 * handler no way to tell that a streamed response has stopped moving. Here:
 * - at most `maxConnections` are open; one more is answered `503` at once and closed (those
 *   refusals linger at most a second each, at most `maxConnections` of them at a time);
 * - a request head must arrive whole within `headerTimeoutMs` of the connection's start (or of its
 *   first byte, on a kept-alive connection), however it trickles in, and is capped in bytes
 *   (lib/http/request_head.ts);
 * - a kept-alive connection with no new request for `idleTimeoutMs` is closed;
 * - every response, and every part of a streamed one (a frame), must be taken by the client
 *   within `stallTimeoutMs`, else the connection is closed: a viewer that stops reading frees its
 *   place within that time once the socket buffers are full.
 *
 * @module
 */

import { bindError, type HostPort } from "../net/mod.ts";
import {
  BAD_REQUEST_REASONS,
  type BadRequestReason,
  type HeadReadResult,
  keepsAlive,
  type RequestHead,
  RequestHeadReader,
  responseHead,
} from "../http/mod.ts";

/** Default most open connections (stream viewers, pages polling stats, snapshots). */
export const DEFAULT_MAX_CONNECTIONS = 64;
/** Default time for a whole request head to arrive. */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
/** Default time a kept-alive connection may wait for its next request. */
export const DEFAULT_IDLE_TIMEOUT_MS = 5_000;
/** Default time a client has to take one response, or one part of a stream. */
export const DEFAULT_STALL_TIMEOUT_MS = 10_000;

/** How long a refused connection may take to read its 503 before it is closed. */
const REFUSAL_LINGER_MS = 1000;
/** Bytes read from a socket at a time. */
const READ_CHUNK_BYTES = 16_384;
/** Bytes a refused connection may send before it is closed (its request, probably). */
const REFUSAL_DRAIN_BYTES = 65_536;

/** A request as the handler sees it. */
export interface ServerRequest {
  /** The parsed head. */
  head: RequestHead;
  /** The client's address. */
  remote: HostPort;
}

/** A source of stream parts: {@linkcode StreamReply}. */
export interface StreamSource {
  /** The next part to send, or undefined when the stream is over. One call at a time. */
  next(): Promise<Uint8Array | undefined>;
  /** The client left or stalled: stop (a pending {@linkcode next} should then end). Idempotent. */
  close(): void;
}

/** A response with a known body. */
export interface FixedReply {
  /** Fixed. */
  kind: "fixed";
  /** The status. */
  status: number;
  /** Header fields (Content-Length, Date and Connection are added). */
  fields: Record<string, string>;
  /**
   * The body (left out for HEAD), or null for the answer to HEAD of a stream: no body, no
   * Content-Length, and the connection closes.
   */
  body: Uint8Array | null;
}

/**
 * A response whose body is parts sent as they come, until the stream or the connection ends (for
 * GET; answer HEAD with a {@linkcode FixedReply} whose body is null).
 */
export interface StreamReply {
  /** Stream. */
  kind: "stream";
  /** Header fields (Date and Connection: close are added). */
  fields: Record<string, string>;
  /** Sent right after the head. */
  preamble: Uint8Array;
  /** The parts. */
  source: StreamSource;
}

/** What a handler answers. */
export type Reply = FixedReply | StreamReply;

/** How {@linkcode HttpServer.start} serves. */
export interface HttpServerOptions {
  /** Address to bind. */
  hostname: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Answers each request; a throw is logged and answered 500. */
  handler: (request: ServerRequest) => Reply;
  /** The flag named when the address cannot be bound (`--http`). */
  flag: string;
  /** Logs an unexpected error (a bug: the handler threw). */
  onError: (error: unknown) => void;
  /** Most open connections; default {@linkcode DEFAULT_MAX_CONNECTIONS}. */
  maxConnections?: number;
  /** Default {@linkcode DEFAULT_HEADER_TIMEOUT_MS}. */
  headerTimeoutMs?: number;
  /** Default {@linkcode DEFAULT_IDLE_TIMEOUT_MS}. */
  idleTimeoutMs?: number;
  /** Default {@linkcode DEFAULT_STALL_TIMEOUT_MS}. */
  stallTimeoutMs?: number;
}

/** Totals since the server started. */
export interface HttpServerCounters {
  /** Connections taken (refused ones not included). */
  connectionsAccepted: number;
  /** Connections answered 503 because `maxConnections` were open. */
  connectionsRefused: number;
  /** Connections closed because a request head did not arrive whole in time. */
  headerTimeouts: number;
  /** Kept-alive connections closed after waiting `idleTimeoutMs` for a request. */
  idleTimeouts: number;
  /** Fixed responses the client did not take in time (the connection was closed). */
  responsesStalled: number;
  /** Streams closed because the client did not take a part in time. */
  streamsStalled: number;
  /** Request heads refused (400, 431, 505), by reason. */
  badRequests: Record<BadRequestReason, number>;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** Errors that only mean the connection is gone (reset, closed here or there). */
function isConnectionGone(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted || error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.UnexpectedEof;
}

/** `promise`, or "timeout" after `ms`; the timer never outlives the race. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One read: bytes read, null when the connection ended, or "timeout". A read still pending at the
 * timeout ends when the caller closes the connection; its rejection is taken care of here.
 */
function readWithin(conn: Deno.Conn, buffer: Uint8Array, ms: number) {
  const read = conn.read(buffer).catch((error) => {
    if (isConnectionGone(error)) return null;
    throw error;
  });
  return within(read, ms);
}

/** Writes all of `bytes` before `deadlineMs` (`performance.now()` time). */
async function writeAllBy(
  conn: Deno.Conn,
  bytes: Uint8Array,
  deadlineMs: number,
): Promise<"written" | "stalled" | "gone"> {
  for (let written = 0; written < bytes.length;) {
    const write = conn.write(bytes.subarray(written)).catch((error) => {
      if (isConnectionGone(error)) return -1;
      throw error;
    });
    const result = await within(write, deadlineMs - performance.now());
    if (result === "timeout") return "stalled";
    if (result < 0) return "gone";
    written += result;
  }
  return "written";
}

function closeQuietly(conn: { close(): void }): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}

function joinBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** A running server; see the module doc. */
export class HttpServer {
  /** Where the server listens (the real port when 0 was asked for). */
  readonly address: HostPort;
  readonly #listener: Deno.TcpListener;
  readonly #options: HttpServerOptions;
  readonly #maxConnections: number;
  readonly #headerTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #stallTimeoutMs: number;
  /** Open connections being served (not the lingering refusals). */
  readonly #connections = new Set<Deno.Conn>();
  /** Refused connections still open while they read their 503. */
  readonly #refusing = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  #closed: Promise<void> | null = null;
  #accepted = 0;
  #refused = 0;
  #headerTimeouts = 0;
  #idleTimeouts = 0;
  #responsesStalled = 0;
  #streamsStalled = 0;
  readonly #badRequests = Object.fromEntries(BAD_REQUEST_REASONS.map((r) => [r, 0])) as Record<
    BadRequestReason,
    number
  >;

  private constructor(options: HttpServerOptions) {
    this.#options = options;
    this.#maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.#headerTimeoutMs = options.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    try {
      this.#listener = Deno.listen({ hostname: options.hostname, port: options.port });
    } catch (error) {
      throw bindError({ action: "serve HTTP on", address: options, flag: options.flag }, error);
    }
    const addr = this.#listener.addr;
    this.address = { hostname: addr.hostname, port: addr.port };
    this.#accepting = this.#acceptLoop();
  }

  /**
   * Starts listening and serving.
   *
   * @throws {UserError} when the port is in use or the address cannot be bound (lib/net's
   * bindError words it, naming `options.flag`; the OS's error is the cause).
   */
  static start(options: HttpServerOptions): HttpServer {
    return new HttpServer(options);
  }

  /** Connections open now (refusals on their way out not included). */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Totals since start. */
  get counters(): HttpServerCounters {
    return {
      connectionsAccepted: this.#accepted,
      connectionsRefused: this.#refused,
      headerTimeouts: this.#headerTimeouts,
      idleTimeouts: this.#idleTimeouts,
      responsesStalled: this.#responsesStalled,
      streamsStalled: this.#streamsStalled,
      badRequests: { ...this.#badRequests },
    };
  }

  /** Stops listening and closes every connection; resolves when all are done. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      closeQuietly(this.#listener);
      for (const conn of [...this.#connections, ...this.#refusing]) closeQuietly(conn);
      this.#closed = (async () => {
        await this.#accepting;
        // Tasks end once their connections are closed; new ones cannot start any more.
        while (this.#tasks.size > 0) await Promise.all(this.#tasks);
      })();
    }
    return this.#closed;
  }

  #track(task: Promise<void>): void {
    const tracked = task.catch((error) => this.#options.onError(error)).finally(() => {
      this.#tasks.delete(tracked);
    });
    this.#tasks.add(tracked);
  }

  async #acceptLoop(): Promise<void> {
    // Bounded by the listener's life: close() makes accept() throw.
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closed || error instanceof Deno.errors.BadResource) return;
        // Out of file descriptors and the like: wait a moment rather than spin.
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (this.#closed) {
        closeQuietly(conn);
        return;
      }
      if (this.#connections.size >= this.#maxConnections) {
        this.#refuse(conn);
        continue;
      }
      this.#accepted++;
      this.#connections.add(conn);
      this.#track(
        this.#serve(conn).finally(() => {
          this.#connections.delete(conn);
          closeQuietly(conn);
        }),
      );
    }
  }

  /** Answers 503 and closes: at once, or after the client had a moment to read it. */
  #refuse(conn: Deno.Conn): void {
    this.#refused++;
    if (this.#refusing.size >= this.#maxConnections) {
      closeQuietly(conn);
      return;
    }
    this.#refusing.add(conn);
    const body = encoder.encode(
      `Cannot take another connection: this udpcam receiver already has ${this.#maxConnections} ` +
        "open. Close another viewer, then reload.\n",
    );
    const reply = joinBytes(
      responseHead(503, {
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Length": String(body.length),
        "Retry-After": "5",
        "Connection": "close",
      }),
      body,
    );
    this.#track((async () => {
      const deadlineMs = performance.now() + REFUSAL_LINGER_MS;
      try {
        if (await writeAllBy(conn, reply, deadlineMs) !== "written") return;
        // Closing with the client's request unread would reset the connection, and the client
        // could lose the answer: say we are done, take what it sent (bounded), then close.
        await conn.closeWrite().catch(() => {});
        const scratch = new Uint8Array(1024);
        for (let drained = 0; drained < REFUSAL_DRAIN_BYTES;) {
          const read = await readWithin(conn, scratch, deadlineMs - performance.now());
          if (read === "timeout" || read === null) break;
          drained += read;
        }
      } finally {
        this.#refusing.delete(conn);
        closeQuietly(conn);
      }
    })());
  }

  /** Serves the requests of one connection until it closes, times out or streams. */
  async #serve(conn: Deno.TcpConn): Promise<void> {
    const reader = new RequestHeadReader();
    const buffer = new Uint8Array(READ_CHUNK_BYTES);
    const remote = { hostname: conn.remoteAddr.hostname, port: conn.remoteAddr.port };
    for (let first = true;; first = false) {
      const read = await this.#readHead(conn, reader, buffer, first);
      if (read === null) return;
      if (read.kind === "bad") {
        this.#badRequests[read.reason]++;
        await this.#writeFixed(conn, "GET", badRequestReply(read.status, read.reason), false);
        return;
      }
      const { head } = read;
      let reply: Reply;
      try {
        reply = this.#options.handler({ head, remote });
      } catch (error) {
        this.#options.onError(error);
        reply = textReply(500, "Cannot answer: internal error in the udpcam HTTP viewer.");
      }
      if (reply.kind === "stream") {
        await this.#writeStream(conn, reply);
        return;
      }
      const keepAlive = keepsAlive(head) && reply.body !== null;
      if (!await this.#writeFixed(conn, head.method, reply, keepAlive) || !keepAlive) return;
    }
  }

  /**
   * The next request head: one already read (pipelined), or read within its deadline. Null when
   * the client closed, or timed out (counted).
   */
  async #readHead(
    conn: Deno.Conn,
    reader: RequestHeadReader,
    buffer: Uint8Array,
    first: boolean,
  ): Promise<Exclude<HeadReadResult, { kind: "incomplete" }> | null> {
    const held = reader.push(EMPTY);
    if (held.kind !== "incomplete") return held;
    // A new connection has the header timeout for its first head; a kept-alive one waits at most
    // the idle timeout for its next request to begin, then has the header timeout for the rest.
    let started = first || reader.bufferedBytes > 0;
    let deadlineMs = performance.now() + (started ? this.#headerTimeoutMs : this.#idleTimeoutMs);
    // Bounded: every round either reads bytes (capped by the head limit) or ends the connection.
    for (;;) {
      const read = await readWithin(conn, buffer, deadlineMs - performance.now());
      if (read === null) return null;
      if (read === "timeout") {
        if (started) {
          this.#headerTimeouts++;
          await this.#writeFixed(
            conn,
            "GET",
            textReply(408, "Cannot answer: the request did not arrive in time."),
            false,
          );
        } else {
          this.#idleTimeouts++;
        }
        return null;
      }
      if (!started) {
        started = true;
        deadlineMs = performance.now() + this.#headerTimeoutMs;
      }
      const result = reader.push(buffer.subarray(0, read));
      if (result.kind !== "incomplete") return result;
    }
  }

  /** Writes a fixed reply; false when the connection is gone or stalled (then counted). */
  async #writeFixed(
    conn: Deno.Conn,
    method: string,
    reply: FixedReply,
    keepAlive: boolean,
  ): Promise<boolean> {
    const body = reply.body;
    const head = responseHead(reply.status, {
      ...reply.fields,
      ...(body === null ? {} : { "Content-Length": String(body.length) }),
      "Date": new Date().toUTCString(),
      "Connection": keepAlive && body !== null ? "keep-alive" : "close",
    });
    const bytes = method === "HEAD" || body === null ? head : joinBytes(head, body);
    const written = await writeAllBy(conn, bytes, performance.now() + this.#stallTimeoutMs);
    if (written === "stalled") this.#responsesStalled++;
    return written === "written";
  }

  /** Streams `reply` until its source ends, the client leaves, or a part stalls. */
  async #writeStream(conn: Deno.Conn, reply: StreamReply): Promise<void> {
    const { source } = reply;
    try {
      const head = responseHead(200, {
        ...reply.fields,
        "Date": new Date().toUTCString(),
        "Connection": "close",
      });
      const started = await writeAllBy(
        conn,
        joinBytes(head, reply.preamble),
        performance.now() + this.#stallTimeoutMs,
      );
      if (started !== "written") {
        source.close();
        if (started === "stalled") this.#streamsStalled++;
        return;
      }
      // The client leaving (or resetting) ends the stream even while no part is due: a read stays
      // pending for the whole stream, and what the client sends meanwhile is read and dropped.
      const watching = (async () => {
        const scratch = new Uint8Array(1024);
        // Bounded by the connection's life: read() returns null or throws once it is closed.
        for (;;) {
          const read = await conn.read(scratch).catch(() => null);
          if (read === null) return source.close();
        }
      })();
      // Bounded by the source: it ends when the client leaves (above), or when the server closes.
      for (;;) {
        const part = await source.next();
        if (part === undefined) break;
        const written = await writeAllBy(conn, part, performance.now() + this.#stallTimeoutMs);
        if (written !== "written") {
          // Gone from the source before it is counted, so counters and sources always agree.
          source.close();
          if (written === "stalled") this.#streamsStalled++;
          break;
        }
      }
      closeQuietly(conn);
      await watching;
    } finally {
      source.close();
    }
  }
}

/** A plain-text reply (the body gets a final line feed). */
export function textReply(
  status: number,
  text: string,
  fields: Record<string, string> = {},
): FixedReply {
  return {
    kind: "fixed",
    status,
    fields: {
      "Content-Type": "text/plain; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      ...fields,
    },
    body: encoder.encode(`${text}\n`),
  };
}

/** What each refused head is told. */
function badRequestReply(status: number, reason: BadRequestReason): FixedReply {
  const why: Record<BadRequestReason, string> = {
    headTooLarge: "its head is larger than this server takes",
    tooManyHeaders: "it has more header fields than this server takes",
    badRequestLine: "its request line is not METHOD PATH HTTP/1.1",
    badVersion: "only HTTP/1.0 and HTTP/1.1 are served",
    badHeader: "a header field is malformed",
    missingHost: "an HTTP/1.1 request needs a Host field",
    duplicateHeader: "it has a Host, Content-Length or Transfer-Encoding field twice",
    hasBody: "this server takes no request body",
  };
  return textReply(status, `Cannot answer this request: ${why[reason]}.`);
}
