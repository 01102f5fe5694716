/**
 * The receiver's HTTP viewer (`--http`): serves the received JPEG frames, unchanged, as an MJPEG
 * stream that browsers, ffplay and VLC show, plus a page, a snapshot and the stats.
 *
 * Routes: `/` (the page), `/stream.mjpeg`, `/frame.jpg`, `/stats.json`. With a token every route
 * needs `?token=TOKEN`. Without one, only requests whose Host header names this machine (its
 * addresses, its host name, `localhost`, and the `--http-host` names) are served: see
 * lib/http/host_check.ts for the DNS-rebinding attack this stops.
 *
 * Each stream viewer pulls the newest frame it has not had yet (see lib/http/frame_fanout.ts):
 * it is handed a frame only when its connection has taken the previous one. A slow viewer
 * therefore skips frames; nothing queues up, and {@linkcode HttpViewer.publishFrame} never waits
 * for anybody. Connections, request heads and stalled viewers are bounded by lib/io/http_server.ts.
 *
 * @module
 */

import { formatHostPort, type HostPort } from "../net/mod.ts";
import {
  BAD_REQUEST_REASONS,
  type BadRequestReason,
  type FanoutViewer,
  FrameFanout,
  headerValue,
  HostAllowList,
  MJPEG_BOUNDARY,
  mjpegContentType,
  mjpegPart,
  mjpegPreamble,
  type RequestHead,
  tokenMatches,
  VIEWER_PAGE_CSP,
  viewerPageHtml,
} from "../http/mod.ts";
import {
  type FixedReply,
  HttpServer,
  type Reply,
  type ServerRequest,
  textReply,
} from "./http_server.ts";

/** Default cap on concurrent `/stream.mjpeg` viewers. */
export const DEFAULT_MAX_VIEWERS = 16;

/** How {@linkcode HttpViewer.start} serves. */
export interface HttpViewerOptions {
  /** Address to bind (the receiver binds 127.0.0.1 unless a host is given). */
  hostname: string;
  /** TCP port; 0 picks a free one (see {@linkcode HttpViewer.address}). */
  port: number;
  /** When set, every request must carry `?token=` with this value. */
  token?: string;
  /** Most concurrent stream viewers; more get 503. Default {@linkcode DEFAULT_MAX_VIEWERS}. */
  maxViewers?: number;
  /**
   * Without a token: names beyond this machine's own that a request's Host may carry (a DNS name
   * of the machine, a reverse proxy's name: `--http-host`).
   */
  extraHosts?: readonly string[];
  /** Most open connections; more get 503 (lib/io/http_server.ts's default). */
  maxConnections?: number;
  /** Time for a request head to arrive whole (lib/io/http_server.ts's default). */
  headerTimeoutMs?: number;
  /** Time a kept-alive connection may wait for its next request (lib/io/http_server.ts). */
  idleTimeoutMs?: number;
  /** Time a client has to take a response or a stream's frame (lib/io/http_server.ts). */
  stallTimeoutMs?: number;
}

/** What {@linkcode HttpViewer.publishFrame} knows about a frame. */
export interface HttpFrameInfo {
  /** The sender's frame sequence number. */
  frameSeq: number;
  /** Capture time in microseconds since the epoch, or null when unknown. */
  captureUs: number | null;
}

/** Totals since the viewer started. */
export interface HttpViewerCounters {
  /** HTTP requests answered (any route, any status, refused heads included). */
  requests: number;
  /** Frames given to {@linkcode HttpViewer.publishFrame}. */
  framesPublished: number;
  /** `/stream.mjpeg` responses started. */
  streamsOpened: number;
  /** `/stream.mjpeg` requests refused with 503 because the viewer cap was reached. */
  streamsRefused: number;
  /** Stream viewers dropped because they did not take a frame in time (stopped reading). */
  streamsStalled: number;
  /** Frames handed to stream viewers, summed over viewers. */
  framesSent: number;
  /** Frames slow viewers skipped, summed over viewers. */
  framesSkipped: number;
  /** Requests refused with 401 (missing or wrong token). */
  unauthorized: number;
  /** Requests answered 404. */
  notFound: number;
  /** Requests refused with 403 because, without a token, their Host is not this receiver's. */
  hostRefused: number;
  /** Connections taken. */
  connectionsAccepted: number;
  /** Connections answered 503 because the connection cap was reached. */
  connectionsRefused: number;
  /** Connections closed because a request head did not arrive whole in time. */
  headerTimeouts: number;
  /** Kept-alive connections closed after waiting too long for their next request. */
  idleTimeouts: number;
  /** Fixed responses (page, snapshot, stats) the client did not take in time. */
  responsesStalled: number;
  /** Request heads refused (400, 431, 505), by reason (lib/http/request_head.ts). */
  badRequests: Record<BadRequestReason, number>;
}

/** One current stream viewer. */
export interface HttpViewerInfo {
  /** Unique per viewer within this server. */
  id: number;
  /** The viewer's address as `host:port`. */
  remote: string;
  /** Frames handed to this viewer. */
  framesSent: number;
  /** Frames this viewer skipped because it was still busy with an earlier one. */
  framesSkipped: number;
}

/** A frame ready to send: its multipart part (shared by all viewers) and its metadata. */
interface PublishedFrame {
  part: Uint8Array<ArrayBuffer>;
  jpeg: Uint8Array<ArrayBuffer>;
  info: HttpFrameInfo;
}

/** The delimiter that ends each part: CRLF, `--`, the boundary, CRLF. */
const PART_TRAILER_BYTES = MJPEG_BOUNDARY.length + 6;
const COMMON_FIELDS = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};
const encoder = new TextEncoder();

function bytesReply(status: number, body: Uint8Array, fields: Record<string, string>): FixedReply {
  return { kind: "fixed", status, fields: { ...COMMON_FIELDS, ...fields }, body };
}

/** The request's URL: its target on this server (absolute-form targets name their own host). */
function requestUrl(head: RequestHead): URL | null {
  try {
    if (head.target.startsWith("/")) return new URL(head.target, "http://udpcam.invalid");
    const url = new URL(head.target);
    return url.protocol === "http:" ? url : null;
  } catch {
    return null;
  }
}

/** A running HTTP viewer; see the module doc. */
export class HttpViewer {
  /** Where the server listens (the real port when 0 was asked for). */
  readonly address: HostPort;
  readonly #server: HttpServer;
  readonly #token: string | undefined;
  readonly #fanout: FrameFanout<PublishedFrame>;
  readonly #remotes = new Map<FanoutViewer<PublishedFrame>, string>();
  #stats: unknown = null;
  #requests = 0;
  #unauthorized = 0;
  #notFound = 0;
  #hostRefused = 0;
  /** Without a token: the Host names served; null with a token (any Host). */
  readonly #hosts: HostAllowList | null;
  /** When the machine's names were last read (`performance.now()`), to re-read them on a miss. */
  #hostsReadMs = -Infinity;

  private constructor(options: HttpViewerOptions) {
    this.#token = options.token;
    this.#hosts = options.token === undefined
      ? new HostAllowList([
        // A wildcard bind is no address anyone opens: the interfaces' addresses are added below.
        ...(options.hostname === "0.0.0.0" || options.hostname === "::" ? [] : [options.hostname]),
        ...(options.extraHosts ?? []),
      ])
      : null;
    this.#readMachineHosts();
    this.#fanout = new FrameFanout(options.maxViewers ?? DEFAULT_MAX_VIEWERS);
    try {
      this.#server = HttpServer.start({
        hostname: options.hostname,
        port: options.port,
        flag: "--http",
        handler: (request) => this.#handle(request),
        onError: (error) => console.error(`udpcam-recv: HTTP viewer: ${error}`),
        maxConnections: options.maxConnections,
        headerTimeoutMs: options.headerTimeoutMs,
        idleTimeoutMs: options.idleTimeoutMs,
        stallTimeoutMs: options.stallTimeoutMs,
      });
    } catch (error) {
      this.#fanout.close();
      throw error;
    }
    this.address = this.#server.address;
  }

  /**
   * Starts serving.
   *
   * @throws {UserError} when the port is in use or the address cannot be bound (lib/net's
   * bindError words it; the OS's error is the cause).
   */
  static start(options: HttpViewerOptions): HttpViewer {
    return new HttpViewer(options);
  }

  /** Current `/stream.mjpeg` viewers. */
  get viewerCount(): number {
    return this.#fanout.viewerCount;
  }

  /** Open HTTP connections (stream viewers included). */
  get connectionCount(): number {
    return this.#server.connectionCount;
  }

  /** Totals since start. */
  get counters(): HttpViewerCounters {
    const fanout = this.#fanout.counters;
    const server = this.#server.counters;
    const refusedHeads = BAD_REQUEST_REASONS.reduce((n, r) => n + server.badRequests[r], 0);
    return {
      requests: this.#requests + refusedHeads,
      framesPublished: fanout.published,
      streamsOpened: fanout.joined,
      streamsRefused: fanout.refused,
      streamsStalled: server.streamsStalled,
      framesSent: fanout.sent,
      framesSkipped: fanout.skipped,
      unauthorized: this.#unauthorized,
      notFound: this.#notFound,
      hostRefused: this.#hostRefused,
      connectionsAccepted: server.connectionsAccepted,
      connectionsRefused: server.connectionsRefused,
      headerTimeouts: server.headerTimeouts,
      idleTimeouts: server.idleTimeouts,
      responsesStalled: server.responsesStalled,
      badRequests: server.badRequests,
    };
  }

  /** The current stream viewers and what each has had. */
  viewers(): HttpViewerInfo[] {
    return this.#fanout.viewers.map((viewer) => ({
      id: viewer.id,
      remote: this.#remotes.get(viewer) ?? "?",
      framesSent: viewer.counters.sent,
      framesSkipped: viewer.counters.skipped,
    }));
  }

  /**
   * Makes `jpeg` the newest frame: waiting viewers get it now, busy ones when they next ask.
   * The bytes are copied once (into the part all viewers share), so the caller may reuse them.
   */
  publishFrame(jpeg: Uint8Array, info: HttpFrameInfo): void {
    const headers: Record<string, string> = { "X-Frame-Seq": String(info.frameSeq) };
    if (info.captureUs !== null) headers["X-Capture-Us"] = String(Math.round(info.captureUs));
    const part = mjpegPart(jpeg, headers);
    const jpegStart = part.length - PART_TRAILER_BYTES - jpeg.length;
    this.#fanout.publish({
      part,
      jpeg: part.subarray(jpegStart, jpegStart + jpeg.length),
      // Only the two fields: the caller's object may be a whole frame message, bytes and all.
      info: { frameSeq: info.frameSeq, captureUs: info.captureUs },
    });
  }

  /** Sets what `/stats.json` returns under `receiver` (any JSON-serialisable value). */
  publishStats(stats: unknown): void {
    this.#stats = stats;
  }

  /** Ends every stream, stops listening and closes all connections. Idempotent. */
  close(): Promise<void> {
    this.#fanout.close();
    return this.#server.close();
  }

  #handle({ head, remote }: ServerRequest): Reply {
    this.#requests++;
    const url = requestUrl(head);
    // An absolute-form target names the host itself (RFC 9112 section 3.2.2), else Host does.
    const host = url !== null && !head.target.startsWith("/")
      ? url.host
      : headerValue(head, "host");
    if (!this.#hostAllowed(host)) {
      this.#hostRefused++;
      return textReply(
        403,
        "Cannot serve this request: its Host is not a name or address of this receiver, and the " +
          "receiver has no token. Open the view by this machine's address or name (as the " +
          "receiver prints it), or start the receiver with --http-host NAME or a token.",
      );
    }
    if (url === null) {
      return textReply(400, "Cannot answer: the request target is not a path on this server.");
    }
    if (head.method !== "GET" && head.method !== "HEAD") {
      return textReply(405, "Cannot answer: only GET and HEAD are served.", {
        "Allow": "GET, HEAD",
      });
    }
    if (this.#token !== undefined && !tokenMatches(url.searchParams.get("token"), this.#token)) {
      this.#unauthorized++;
      return textReply(
        401,
        "Cannot show the stream: this udpcam receiver needs a token. " +
          "Add ?token=TOKEN to the address (TOKEN is the receiver's token: its --http-token-file, " +
          "UDPCAM_HTTP_TOKEN or --http-token).",
      );
    }
    switch (url.pathname) {
      case "/":
      case "/index.html":
        return bytesReply(200, encoder.encode(viewerPageHtml({ token: this.#token })), {
          "Content-Type": "text/html; charset=utf-8",
          "Content-Security-Policy": VIEWER_PAGE_CSP,
        });
      case "/stream.mjpeg":
        return this.#stream(head, remote);
      case "/frame.jpg":
        return this.#snapshot();
      case "/stats.json":
        return bytesReply(
          200,
          encoder.encode(JSON.stringify({
            receiver: this.#stats,
            http: {
              viewers: this.viewerCount,
              connections: this.connectionCount,
              ...this.counters,
            },
          })),
          { "Content-Type": "application/json" },
        );
      default:
        this.#notFound++;
        return textReply(
          404,
          `Cannot find ${url.pathname}: this udpcam receiver serves / (the page), ` +
            "/stream.mjpeg, /frame.jpg and /stats.json.",
        );
    }
  }

  /**
   * Whether a request with this Host may be served: always with a token; else when it names this
   * machine. No Host at all (HTTP/1.0 tools; HTTP/1.1 requires one) is served: every browser
   * sends one, so a rebinding page cannot leave it out.
   */
  #hostAllowed(host: string | null): boolean {
    if (this.#hosts === null || host === null) return true;
    if (this.#hosts.allows(host)) return true;
    // An address may have come up since: read the machine's names again, at most once a second.
    if (performance.now() - this.#hostsReadMs < 1000) return false;
    this.#readMachineHosts();
    return this.#hosts.allows(host);
  }

  /** Adds this machine's host name and interface addresses to the Host allow list. */
  #readMachineHosts(): void {
    if (this.#hosts === null) return;
    this.#hostsReadMs = performance.now();
    const names: string[] = [];
    try {
      const hostname = Deno.hostname();
      // `NAME.local` is how mDNS (Bonjour, Avahi) spells it on the LAN.
      names.push(hostname, `${hostname}.local`);
    } catch { /* not allowed (--allow-sys): the addresses still work */ }
    try {
      for (const { address } of Deno.networkInterfaces()) names.push(address);
    } catch { /* not allowed: loopback and the bound address still work */ }
    this.#hosts.add(names);
  }

  #snapshot(): Reply {
    const latest = this.#fanout.latest;
    if (!latest) {
      return textReply(
        503,
        "Cannot show a frame yet: no complete frame has been received. Check that the sender " +
          "is running and sending to this receiver, then reload.",
        { "Retry-After": "1" },
      );
    }
    return bytesReply(200, latest.jpeg, {
      "Content-Type": "image/jpeg",
      "X-Frame-Seq": String(latest.info.frameSeq),
    });
  }

  #stream(head: RequestHead, remote: HostPort): Reply {
    const fields = { ...COMMON_FIELDS, "Content-Type": mjpegContentType() };
    if (head.method === "HEAD") return { kind: "fixed", status: 200, fields, body: null };
    const viewer = this.#fanout.join();
    if (!viewer) {
      return textReply(
        503,
        "Cannot add another viewer: this udpcam receiver already serves its maximum number of " +
          "streams. Close another viewer and reload.",
        { "Retry-After": "5" },
      );
    }
    this.#remotes.set(viewer, formatHostPort(remote));
    const leave = () => {
      viewer.close();
      this.#remotes.delete(viewer);
    };
    return {
      kind: "stream",
      fields,
      preamble: mjpegPreamble(),
      source: {
        next: async () => (await viewer.next())?.part,
        close: leave,
      },
    };
  }
}
