/**
 * The receiver's HTTP viewer (`--http`): serves the received JPEG frames, unchanged, as an MJPEG
 * stream that browsers, ffplay and VLC show, plus a page, a snapshot and the stats.
 *
 * Routes: `/` (the page), `/stream.mjpeg`, `/frame.jpg`, `/stats.json`. With a token every route
 * needs `?token=TOKEN`. Without one, only requests whose Host header names this machine (its
 * addresses, its host name, `localhost`, and the `--http-host` names) are served: see
 * lib/http/host_check.ts for the DNS-rebinding attack this stops.
 *
 * Each stream viewer pulls the newest frame it has not had yet (see `../frame_fanout.ts`): its
 * response body is a pull-based ReadableStream that asks for a frame only when the connection
 * has taken the previous one. A slow viewer therefore skips frames; nothing queues up, and
 * {@linkcode HttpViewer.publishFrame} never waits for anybody.
 *
 * @module
 */

import { bindError, formatHostPort, type HostPort } from "../net/mod.ts";
import {
  type FanoutViewer,
  FrameFanout,
  HostAllowList,
  MJPEG_BOUNDARY,
  mjpegContentType,
  mjpegPart,
  mjpegPreamble,
  tokenMatches,
  VIEWER_PAGE_CSP,
  viewerPageHtml,
} from "../http/mod.ts";

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
  /** HTTP requests answered (any route, any status). */
  requests: number;
  /** Frames given to {@linkcode HttpViewer.publishFrame}. */
  framesPublished: number;
  /** `/stream.mjpeg` responses started. */
  streamsOpened: number;
  /** `/stream.mjpeg` requests refused with 503 because the viewer cap was reached. */
  streamsRefused: number;
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
const NO_STORE = "no-store";
const COMMON_HEADERS = {
  "cache-control": NO_STORE,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function textResponse(status: number, body: string, extra: Record<string, string> = {}) {
  return new Response(`${body}\n`, {
    status,
    headers: { ...COMMON_HEADERS, "content-type": "text/plain; charset=utf-8", ...extra },
  });
}

/** A running HTTP viewer; see the module doc. */
export class HttpViewer {
  /** Where the server listens (the real port when 0 was asked for). */
  readonly address: HostPort;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #token: string | undefined;
  readonly #fanout: FrameFanout<PublishedFrame>;
  readonly #remotes = new Map<FanoutViewer<PublishedFrame>, string>();
  readonly #abort = new AbortController();
  #stats: unknown = null;
  #requests = 0;
  #unauthorized = 0;
  #notFound = 0;
  #hostRefused = 0;
  /** Without a token: the Host names served; null with a token (any Host). */
  readonly #hosts: HostAllowList | null;
  /** When the machine's names were last read (`performance.now()`), to re-read them on a miss. */
  #hostsReadMs = -Infinity;
  #closed: Promise<void> | null = null;

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
      this.#server = Deno.serve({
        hostname: options.hostname,
        port: options.port,
        signal: this.#abort.signal,
        onListen: () => {},
        onError: (error) => {
          console.error(`udpcam-recv: HTTP viewer: ${error}`);
          return textResponse(500, "Cannot answer: internal error in the udpcam HTTP viewer.");
        },
      }, (request, info) => this.#handle(request, info));
    } catch (error) {
      this.#fanout.close();
      throw bindError({ action: "serve HTTP on", address: options, flag: "--http" }, error);
    }
    this.address = { hostname: this.#server.addr.hostname, port: this.#server.addr.port };
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

  /** Totals since start. */
  get counters(): HttpViewerCounters {
    const fanout = this.#fanout.counters;
    return {
      requests: this.#requests,
      framesPublished: fanout.published,
      streamsOpened: fanout.joined,
      streamsRefused: fanout.refused,
      framesSent: fanout.sent,
      framesSkipped: fanout.skipped,
      unauthorized: this.#unauthorized,
      notFound: this.#notFound,
      hostRefused: this.#hostRefused,
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
    if (!this.#closed) {
      this.#fanout.close();
      // Aborting (rather than shutdown(), which waits for every response to drain) also drops
      // connections of clients that stopped reading, which would otherwise never finish.
      this.#abort.abort();
      this.#closed = this.#server.finished;
    }
    return this.#closed;
  }

  #handle(request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Response {
    this.#requests++;
    // Before anything else reads the request: its URL is built from the Host header.
    if (!this.#hostAllowed(request.headers.get("host"))) {
      this.#hostRefused++;
      return textResponse(
        403,
        "Cannot serve this request: its Host is not a name or address of this receiver, and the " +
          "receiver has no token. Open the view by this machine's address or name (as the " +
          "receiver prints it), or start the receiver with --http-host NAME or a token.",
      );
    }
    const url = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return textResponse(405, "Cannot answer: only GET and HEAD are served.", {
        allow: "GET, HEAD",
      });
    }
    if (this.#token !== undefined && !tokenMatches(url.searchParams.get("token"), this.#token)) {
      this.#unauthorized++;
      return textResponse(
        401,
        "Cannot show the stream: this udpcam receiver needs a token. " +
          "Add ?token=TOKEN to the address (TOKEN is the receiver's token: its --http-token-file, " +
          "UDPCAM_HTTP_TOKEN or --http-token).",
      );
    }
    switch (url.pathname) {
      case "/":
      case "/index.html":
        return new Response(viewerPageHtml({ token: this.#token }), {
          headers: {
            ...COMMON_HEADERS,
            "content-type": "text/html; charset=utf-8",
            "content-security-policy": VIEWER_PAGE_CSP,
          },
        });
      case "/stream.mjpeg":
        return this.#stream(request, info);
      case "/frame.jpg":
        return this.#snapshot();
      case "/stats.json":
        return new Response(
          JSON.stringify({
            receiver: this.#stats,
            http: { viewers: this.viewerCount, ...this.counters },
          }),
          { headers: { ...COMMON_HEADERS, "content-type": "application/json" } },
        );
      default:
        this.#notFound++;
        return textResponse(
          404,
          `Cannot find ${url.pathname}: this udpcam receiver serves / (the page), ` +
            "/stream.mjpeg, /frame.jpg and /stats.json.",
        );
    }
  }

  /**
   * Whether a request with this Host may be served: always with a token; else when it names this
   * machine. No Host at all (HTTP/1.0 tools) is served: every browser sends one, so a rebinding
   * page cannot leave it out.
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

  #snapshot(): Response {
    const latest = this.#fanout.latest;
    if (!latest) {
      return textResponse(
        503,
        "Cannot show a frame yet: no complete frame has been received. Check that the sender " +
          "is running and sending to this receiver, then reload.",
        { "retry-after": "1" },
      );
    }
    return new Response(latest.jpeg, {
      headers: {
        ...COMMON_HEADERS,
        "content-type": "image/jpeg",
        "x-frame-seq": String(latest.info.frameSeq),
      },
    });
  }

  #stream(request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Response {
    const headers = { ...COMMON_HEADERS, "content-type": mjpegContentType() };
    if (request.method === "HEAD") return new Response(null, { headers });
    const viewer = this.#fanout.join();
    if (!viewer) {
      return textResponse(
        503,
        "Cannot add another viewer: this udpcam receiver already serves its maximum number of " +
          "streams. Close another viewer and reload.",
        { "retry-after": "5" },
      );
    }
    this.#remotes.set(viewer, formatHostPort(info.remoteAddr));
    const leave = () => {
      viewer.close();
      this.#remotes.delete(viewer);
    };
    // Settles when the response ends, also when the client goes away while we wait for a frame.
    info.completed.then(leave, leave);
    const body = new ReadableStream<Uint8Array>({
      start: (c) => c.enqueue(mjpegPreamble()),
      pull: async (c) => {
        const frame = await viewer.next();
        if (frame) {
          c.enqueue(frame.part);
        } else {
          leave();
          c.close();
        }
      },
      cancel: leave,
    }, { highWaterMark: 0 });
    return new Response(body, { headers });
  }
}
