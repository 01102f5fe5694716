/**
 * The RTSP server (`--rtsp` on udpcam-send and udpcam-recv): players, NVRs and media servers pull
 * `rtsp://HOST:PORT/PATH` and get the frames as RTP/JPEG (RFC 2435) over UDP or interleaved in
 * the RTSP connection. This adapter owns the sockets and carries out what the pure parts decide:
 * {@linkcode RtspServerState} (requests, sessions, authentication, timeouts) and
 * {@linkcode StreamDelivery} (who gets each frame, when sender reports are due).
 *
 * Sockets: one TCP listener; one UDP pair (RTP, RTCP) shared by all UDP sessions, bound to the
 * listener's address (an even RTP port with RTCP on the next one when the OS offers such a pair).
 * Datagrams on the RTP port (players' NAT punches) are read, counted and ignored; RTCP from
 * clients goes to the state machine, which keeps their sessions alive and tracks their reception
 * reports.
 *
 * Frames: each frame is packetized once by the one {@linkcode RtpJpegPacketizer}, whatever the
 * number of clients; interleaved sessions on the same channel share one buffer of the framed
 * packets. One frame waits at most: a frame given while the previous one is still going out to
 * UDP clients replaces the waiting one (latest wins). A frame RFC 2435 cannot carry is handed to
 * the injected re-encoder, or, without one (or when it fails), skipped and counted by reason with
 * one log line for the first.
 *
 * Slow clients: every connection writes through a {@linkcode ConnWriter} whose queue is capped
 * (`maxConnectionBytes`); the delivery policy skips frames for a session whose connection still
 * holds `maxBacklogBytes` unsent, and after `maxStallMs` of skipping the connection is closed. A
 * connection whose queue would overflow its cap (a client that pipelines requests and never
 * reads) is closed at once. Neither ever waits the others: writes return at once.
 *
 * One timer (1 s) drives the state machine's timeouts, the stall check and the DESCRIBE
 * dimensions (from the newest frame's header).
 *
 * @module
 */

import { bindError, formatHostPort, type HostPort } from "../net/mod.ts";
import { parseJpeg } from "../jpeg/mod.ts";
import { planBursts } from "../send/mod.ts";
import {
  type PresentationMedia,
  type RtspAction,
  RtspAuthenticator,
  type RtspCredentials,
  type RtspFrameCounters,
  type RtspFrameOrigin,
  type RtspServerOptions as RtspStateOptions,
  RtspServerState,
  type RtspSocketCounters,
  type RtspStatsRecord,
  rtspStatsRecord,
  rtspStatusText,
  StreamDelivery,
  type StreamDeliveryOptions,
  unfitFrameLine,
  writeInterleavedFrame,
} from "../rtsp/mod.ts";
import {
  ntpFromUnixMs,
  RTP_HEADER_BYTES,
  RtpJpegPacketizer,
  RtpJpegUnsupportedError,
  writeSenderReport,
} from "../wire/rtp/mod.ts";
import { epochMicros } from "./clock.ts";
import { ConnWriter } from "./conn_writer.ts";
import { type BatchDestination, BatchSender } from "./datagram_batch.ts";

/**
 * Makes a frame RFC 2435 cannot carry into one it can (baseline 4:2:0 with the standard Huffman
 * tables), or returns null when it cannot.
 */
export type FrameReencoder = (jpeg: Uint8Array) => Promise<Uint8Array | null>;

/** How {@linkcode RtspServer.start} serves. */
export interface RtspServerStartOptions {
  /** Address to bind (the programs bind 127.0.0.1 unless a host is given). */
  hostname: string;
  /** TCP port; 0 picks a free one (see {@linkcode RtspServer.address}). */
  port: number;
  /** The stream's path, starting with "/", e.g. "/udpcam". */
  path: string;
  /** Who may watch; empty: anyone who reaches the port. */
  users: readonly RtspCredentials[];
  /** The program, for log lines ("udpcam-send"). */
  program: string;
  /** Where frames come from, for the advice on frames RFC 2435 cannot carry. */
  origin: RtspFrameOrigin;
  /** Prints a line (the status line's log). */
  log: (line: string) => void;
  /** Frames per second, for DESCRIBE and the pacing of UDP bursts, when known. */
  framesPerSecond?: number;
  /** Largest RTP packet; default {@linkcode RTSP_DATAGRAM_BYTES}. */
  maxDatagramBytes?: number;
  /** Makes unfit frames fit; null or absent: they are skipped and counted. */
  reencode?: FrameReencoder | null;
  /** The RTCP CNAME; default "udpcam@" and the host bound. */
  cname?: string;
  /** Caps of each connection's write queue, in bytes; default 4 MiB. */
  maxConnectionBytes?: number;
  /** Caps and timeouts of the state machine (its defaults otherwise). */
  state?: Partial<
    Pick<
      RtspStateOptions,
      | "sessionTimeoutMs"
      | "requestTimeoutMs"
      | "idleConnectionMs"
      | "maxConnections"
      | "maxSessions"
      | "maxSessionsPerConnection"
    >
  >;
  /** The delivery policy's bounds (its defaults otherwise). */
  delivery?: StreamDeliveryOptions;
}

/**
 * Default RTP packet size: fits a 1500-byte Ethernet MTU with IPv6, UDP and a tunnel's headers to
 * spare; over TCP the size hardly matters.
 */
export const RTSP_DATAGRAM_BYTES = 1400;
/** How long a connection the server closes may take to flush what it was sent. */
const CLOSE_GRACE_MS = 1000;
const DEFAULT_MAX_CONNECTION_BYTES = 4 * 1024 * 1024;
const TICK_MS = 1000;
const READ_BUFFER_BYTES = 4096;
/** Attempts at an even RTP port with a free odd neighbour before any two ports do. */
const PORT_PAIR_ATTEMPTS = 16;
/** Pause after a failed accept (e.g. out of file descriptors) before the next. */
const ACCEPT_RETRY_MS = 100;
const FALLBACK_FPS = 30;

interface Connection {
  id: number;
  conn: Deno.Conn;
  writer: ConnWriter;
  peer: string;
  closing: boolean;
}

interface UdpRoute {
  rtp: Deno.NetAddr;
  rtcp: Deno.NetAddr;
  batch: BatchDestination | null;
}

interface PendingFrame {
  jpeg: Uint8Array;
  captureUs: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function closeQuietly(closable: { close(): void }): void {
  try {
    closable.close();
  } catch { /* already closed */ }
}

/** Binds the RTP and RTCP sockets on `hostname`: an even/odd pair when the OS gives one. */
function bindUdpPair(hostname: string): { rtp: Deno.DatagramConn; rtcp: Deno.DatagramConn } {
  const bind = (port: number) => Deno.listenDatagram({ transport: "udp", hostname, port });
  for (let attempt = 0; attempt < PORT_PAIR_ATTEMPTS; attempt++) {
    const rtp = bind(0);
    const port = (rtp.addr as Deno.NetAddr).port;
    if (port % 2 === 0 && port < 65535) {
      try {
        return { rtp, rtcp: bind(port + 1) };
      } catch { /* taken: try another pair */ }
    }
    closeQuietly(rtp);
  }
  const rtp = bind(0);
  try {
    return { rtp, rtcp: bind(0) };
  } catch (error) {
    closeQuietly(rtp);
    throw error;
  }
}

/** A running RTSP server; see the module documentation. */
export class RtspServer {
  /** Where the RTSP listener is bound (the real port when 0 was asked for). */
  readonly address: HostPort;
  /** The shared RTP and RTCP UDP ports. */
  readonly udpPorts: { rtpPort: number; rtcpPort: number };
  /** The stream's path. */
  readonly path: string;
  readonly #options: RtspServerStartOptions;
  readonly #listener: Deno.Listener;
  readonly #rtpSocket: Deno.DatagramConn;
  readonly #rtcpSocket: Deno.DatagramConn;
  readonly #batch: BatchSender | null;
  readonly #auth: RtspAuthenticator | null;
  readonly #state: RtspServerState;
  readonly #delivery: StreamDelivery;
  readonly #packetizer: RtpJpegPacketizer;
  readonly #connections = new Map<number, Connection>();
  readonly #routes = new Map<string, UdpRoute>();
  readonly #maxConnectionBytes: number;
  readonly #frameIntervalMs: number;
  readonly #cname: string;
  readonly #loops: Promise<void>[] = [];
  readonly #readers = new Set<Promise<void>>();
  /** Sender reports on their way over UDP (not awaited by the frame that sent them). */
  readonly #udpSends = new Set<Promise<void>>();
  readonly #timer: ReturnType<typeof setInterval>;
  #media: PresentationMedia;
  #pending: PendingFrame | null = null;
  #sending: Promise<void> | null = null;
  #newestJpeg: Uint8Array | null = null;
  #lastCaptureUs: number | null = null;
  #unfitLogged = false;
  #closed: Promise<void> | null = null;
  readonly #frames: RtspFrameCounters = {
    received: 0,
    replaced: 0,
    unwatched: 0,
    packetized: 0,
    reencoded: 0,
    unfit: {},
  };
  readonly #sockets: RtspSocketCounters = {
    tcpBytesWritten: 0,
    tcpBytesQueued: 0,
    slowClientCloses: 0,
    udpDatagramsSent: 0,
    udpSendErrors: 0,
    rtpPortDatagrams: 0,
  };
  /** Bytes written by connections already gone, so the total never goes down. */
  #closedBytesWritten = 0;

  private constructor(
    options: RtspServerStartOptions,
    listener: Deno.Listener,
    udp: { rtp: Deno.DatagramConn; rtcp: Deno.DatagramConn },
  ) {
    this.#options = options;
    this.#listener = listener;
    this.#rtpSocket = udp.rtp;
    this.#rtcpSocket = udp.rtcp;
    this.#batch = BatchSender.open(udp.rtp);
    const bound = listener.addr as Deno.NetAddr;
    this.address = { hostname: bound.hostname, port: bound.port };
    this.udpPorts = {
      rtpPort: (udp.rtp.addr as Deno.NetAddr).port,
      rtcpPort: (udp.rtcp.addr as Deno.NetAddr).port,
    };
    this.path = options.path;
    this.#maxConnectionBytes = options.maxConnectionBytes ?? DEFAULT_MAX_CONNECTION_BYTES;
    this.#frameIntervalMs = 1000 / (options.framesPerSecond ?? FALLBACK_FPS);
    this.#cname = options.cname ?? `udpcam@${bound.hostname}`;
    this.#packetizer = new RtpJpegPacketizer({
      maxDatagramBytes: options.maxDatagramBytes ?? RTSP_DATAGRAM_BYTES,
    });
    const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    this.#auth = options.users.length === 0
      ? null
      : new RtspAuthenticator({ users: options.users, basic: true, random });
    this.#media = { framesPerSecond: options.framesPerSecond };
    this.#state = new RtspServerState({
      ...options.state,
      random,
      ssrc: this.#packetizer.ssrc,
      path: options.path,
      auth: this.#auth,
      udpPorts: this.udpPorts,
      media: this.#media,
      // Round trips come from LSR/DLSR, stamped with the wall clock the reports carry.
      unixTimeOffsetMs: epochMicros() / 1000 - performance.now(),
    });
    this.#delivery = new StreamDelivery(options.delivery);
    // Before the first frame, the first packet carries the initial timestamp.
    this.#state.setStreamPosition({
      sequence: this.#packetizer.nextSequence,
      rtpTime: this.#packetizer.timestampFor(0),
    });
    this.#loops.push(this.#accept(), this.#readRtcp(), this.#readRtp());
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  /**
   * Binds and starts serving.
   *
   * @throws {UserError} when the TCP port or the UDP ports cannot be bound (lib/net's bindError
   * words it, naming `--rtsp`; the OS's error is the cause).
   * @throws {RangeError} for a path the state machine refuses (the command line checks first).
   */
  static start(options: RtspServerStartOptions): RtspServer {
    const address = { hostname: options.hostname, port: options.port };
    let listener: Deno.Listener;
    try {
      listener = Deno.listen({ transport: "tcp", hostname: options.hostname, port: options.port });
    } catch (error) {
      throw bindError({ action: "serve RTSP on", address, flag: "--rtsp" }, error);
    }
    let udp: { rtp: Deno.DatagramConn; rtcp: Deno.DatagramConn };
    try {
      udp = bindUdpPair(options.hostname);
    } catch (error) {
      listener.close();
      throw bindError({ action: "open the RTSP UDP ports on", address, flag: "--rtsp" }, error);
    }
    try {
      return new RtspServer(options, listener, udp);
    } catch (error) {
      listener.close();
      closeQuietly(udp.rtp);
      closeQuietly(udp.rtcp);
      throw error;
    }
  }

  /** Sessions playing now. */
  get playingCount(): number {
    return this.#delivery.playingCount;
  }

  /** The RTP SSRC of the stream. */
  get ssrc(): number {
    return this.#packetizer.ssrc;
  }

  /** The RTSP part of the status line. */
  statusText(): string {
    let playing = 0;
    let ready = 0;
    for (const session of this.#state.sessions()) {
      if (session.state === "playing") playing++;
      else ready++;
    }
    const { framesDelivered, framesSkipped } = this.#delivery.counters;
    return rtspStatusText({ playing, ready, framesSent: framesDelivered, framesSkipped });
  }

  /** The `rtsp` object of `--stats-json`. */
  stats(): RtspStatsRecord {
    const peers = new Map<number, string>();
    let written = this.#closedBytesWritten;
    let queued = 0;
    for (const connection of this.#connections.values()) {
      peers.set(connection.id, connection.peer);
      written += connection.writer.bytesWritten;
      queued += connection.writer.unsentBytes;
    }
    return rtspStatsRecord({
      sessions: this.#state.sessions(),
      clients: this.#delivery.clients(),
      peers,
      connections: this.#state.connectionCount,
      server: this.#state.counters,
      auth: this.#auth?.counters ?? null,
      delivery: this.#delivery.counters,
      frames: this.#frames,
      sockets: { ...this.#sockets, tcpBytesWritten: written, tcpBytesQueued: queued },
    });
  }

  /**
   * A frame the receiver accepted (lib/receive/frame_sink.ts's FramePublisher): copied when it is
   * kept, since the caller may hand the bytes on. Its capture time sets its RTP timestamp (the
   * receiver's clock when the wire format does not carry one).
   */
  publishFrame(jpeg: Uint8Array, info: { frameSeq: number; captureUs: number | null }): void {
    const watched = this.#delivery.playingCount > 0;
    this.offer(watched ? jpeg.slice() : jpeg, info.captureUs ?? epochMicros());
  }

  /**
   * A frame read at `captureUs` (µs since the Unix epoch), kept by reference (the sender's
   * frames are not reused). Never waits: it replaces a frame still waiting to go out.
   */
  offer(jpeg: Uint8Array, captureUs: number): void {
    if (this.#closed !== null) return;
    this.#frames.received++;
    if (this.#media.widthPx === undefined) this.#updateMedia(jpeg);
    if (this.#delivery.playingCount === 0) {
      // Nobody watches: no packetizing. One frame a tick is kept (a copy: the caller may reuse
      // the bytes) for DESCRIBE's size.
      this.#frames.unwatched++;
      this.#newestJpeg ??= jpeg.slice();
      this.#setPosition(captureUs);
      return;
    }
    if (this.#pending !== null) this.#frames.replaced++;
    this.#pending = { jpeg, captureUs };
    this.#sending ??= this.#drain().finally(() => this.#sending = null);
  }

  /** Resolves when no frame is waiting or going out. */
  async idle(): Promise<void> {
    // Bounded: each pass awaits a drain that ends when no frame is pending.
    while (this.#sending !== null) await this.#sending;
  }

  /** Stops serving: closes every connection and socket. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    clearInterval(this.#timer);
    this.#pending = null;
    await this.idle();
    closeQuietly(this.#listener);
    closeQuietly(this.#rtpSocket);
    closeQuietly(this.#rtcpSocket);
    await Promise.all([...this.#connections.values()].map((c) => c.writer.close()));
    await Promise.all([...this.#loops, ...this.#readers, ...this.#udpSends]);
  }

  #now(): number {
    return performance.now();
  }

  async #accept(): Promise<void> {
    // Bounded by the listener's life: close() makes accept() throw BadResource.
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closed !== null || error instanceof Deno.errors.BadResource) return;
        // Out of descriptors and the like: the listener still works once some are freed.
        await sleep(ACCEPT_RETRY_MS);
        continue;
      }
      if (this.#closed !== null) {
        closeQuietly(conn);
        return;
      }
      this.#open(conn);
    }
  }

  #open(conn: Deno.Conn): void {
    const remote = conn.remoteAddr as Deno.NetAddr;
    const local = conn.localAddr as Deno.NetAddr;
    const { connectionId, actions } = this.#state.open(
      { peerHost: remote.hostname, localHost: local.hostname },
      this.#now(),
    );
    try {
      // Replies and sender reports are small: Nagle's algorithm would hold them back.
      (conn as Deno.TcpConn).setNoDelay(true);
    } catch { /* not a TCP socket option here */ }
    const connection: Connection = {
      id: connectionId,
      conn,
      writer: new ConnWriter(conn, this.#maxConnectionBytes),
      peer: formatHostPort(remote),
      closing: false,
    };
    this.#connections.set(connectionId, connection);
    this.#apply(actions);
    const reading = this.#read(connection).finally(() => this.#readers.delete(reading));
    this.#readers.add(reading);
  }

  async #read(connection: Connection): Promise<void> {
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    try {
      // Bounded by the connection's life: closing it makes read() throw or return null.
      for (;;) {
        const n = await connection.conn.read(buffer);
        if (n === null) break;
        this.#apply(this.#state.receive(connection.id, buffer.subarray(0, n), this.#now()));
      }
    } catch { /* reset by the peer, or closed by us */ }
    this.#apply(this.#state.closed(connection.id));
    connection.closing = true;
    await connection.writer.close();
    this.#closedBytesWritten += connection.writer.bytesWritten;
    this.#connections.delete(connection.id);
  }

  async #readRtcp(): Promise<void> {
    const buffer = new Uint8Array(2048);
    // Bounded by the socket's life: close() makes receive() throw BadResource.
    for (;;) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await this.#rtcpSocket.receive(buffer);
      } catch (error) {
        if (this.#closed !== null || error instanceof Deno.errors.BadResource) return;
        continue; // ICMP port unreachable and the like: the socket is still usable.
      }
      const [datagram, from] = received;
      const { hostname, port } = from as Deno.NetAddr;
      this.#apply(this.#state.receiveUdpRtcp(hostname, port, datagram, this.#now()));
    }
  }

  async #readRtp(): Promise<void> {
    const buffer = new Uint8Array(2048);
    for (;;) {
      try {
        await this.#rtpSocket.receive(buffer);
        this.#sockets.rtpPortDatagrams++;
      } catch (error) {
        if (this.#closed !== null || error instanceof Deno.errors.BadResource) return;
      }
    }
  }

  #apply(actions: RtspAction[]): void {
    for (const action of actions) {
      switch (action.type) {
        case "send": {
          const connection = this.#connections.get(action.connectionId);
          if (connection === undefined || connection.closing) break;
          if (!connection.writer.write(action.bytes)) this.#closeSlow(connection);
          break;
        }
        case "close": {
          const connection = this.#connections.get(action.connectionId);
          if (connection === undefined || connection.closing) break;
          connection.closing = true;
          // The reply before it (401, 408, 503...) is flushed first, within the grace.
          connection.writer.close(CLOSE_GRACE_MS);
          break;
        }
        case "play": {
          const transport = action.transport;
          if (transport.lower === "udp") {
            const rtp: Deno.NetAddr = {
              transport: "udp",
              hostname: transport.host,
              port: transport.rtpPort,
            };
            const rtcp: Deno.NetAddr = { ...rtp, port: transport.rtcpPort };
            this.#routes.set(action.sessionId, {
              rtp,
              rtcp,
              batch: this.#batch?.destination(rtp) ?? null,
            });
          }
          this.#delivery.play(action.sessionId, transport);
          break;
        }
        case "pause":
          this.#delivery.pause(action.sessionId);
          break;
        case "drop":
          this.#delivery.drop(action.sessionId);
          this.#routes.delete(action.sessionId);
          break;
      }
    }
  }

  /** Closes a connection whose client does not read: at once, whatever it still holds. */
  #closeSlow(connection: Connection): void {
    if (connection.closing) return;
    connection.closing = true;
    this.#sockets.slowClientCloses++;
    this.#apply(this.#state.closed(connection.id));
    connection.writer.close();
  }

  #tick(): void {
    const nowMs = this.#now();
    this.#apply(this.#state.tick(nowMs));
    for (const id of this.#delivery.stalled(nowMs)) {
      const connection = this.#connections.get(id);
      if (connection !== undefined) this.#closeSlow(connection);
    }
    const newest = this.#newestJpeg;
    this.#newestJpeg = null;
    if (newest !== null) this.#updateMedia(newest);
  }

  /** DESCRIBE says the size of the newest frame; the SDP's version changes with it. */
  #updateMedia(jpeg: Uint8Array): void {
    const parsed = parseJpeg(jpeg);
    if (!parsed.ok) return;
    const { width, height } = parsed.info;
    if (width === this.#media.widthPx && height === this.#media.heightPx) return;
    this.#media = { ...this.#media, widthPx: width, heightPx: height };
    this.#state.setMedia(this.#media);
  }

  async #drain(): Promise<void> {
    while (this.#pending !== null) {
      const frame = this.#pending;
      this.#pending = null;
      const packets = await this.#packetize(frame);
      if (packets !== null) await this.#send(packets, frame.captureUs);
    }
  }

  /** The frame's packets, re-encoded if it must be and can be; null when it is skipped. */
  async #packetize(frame: PendingFrame): Promise<Uint8Array[] | null> {
    let unfit: RtpJpegUnsupportedError;
    try {
      const packets = this.#packetizer.packetize(frame.jpeg, frame.captureUs);
      this.#newestJpeg = frame.jpeg;
      return packets;
    } catch (error) {
      unfit = asUnfit(error);
    }
    const reencode = this.#options.reencode ?? null;
    if (reencode !== null) {
      let fitted: Uint8Array | null = null;
      try {
        fitted = await reencode(frame.jpeg);
      } catch { /* counted as unfit below */ }
      if (fitted !== null) {
        try {
          const packets = this.#packetizer.packetize(fitted, frame.captureUs);
          this.#frames.reencoded++;
          this.#newestJpeg = fitted;
          return packets;
        } catch (error) {
          unfit = asUnfit(error);
        }
      }
    }
    this.#frames.unfit[unfit.reason] = (this.#frames.unfit[unfit.reason] ?? 0) + 1;
    if (!this.#unfitLogged) {
      this.#unfitLogged = true;
      this.#options.log(unfitFrameLine(this.#options.program, this.#options.origin, unfit));
    }
    return null;
  }

  async #send(packets: Uint8Array[], captureUs: number): Promise<void> {
    this.#frames.packetized++;
    this.#setPosition(captureUs);
    let payloadOctets = 0;
    for (const packet of packets) payloadOctets += packet.length - RTP_HEADER_BYTES;
    const targets = this.#delivery.frame(
      { packets: packets.length, payloadOctets },
      this.#now(),
      (id) => this.#connections.get(id)?.writer.unsentBytes ?? 0,
    );
    const udpRoutes: UdpRoute[] = [];
    const framed = new Map<number, Uint8Array>();
    for (const { sessionId, transport } of targets) {
      if (transport.lower === "udp") {
        const route = this.#routes.get(sessionId);
        if (route !== undefined) udpRoutes.push(route);
        continue;
      }
      const connection = this.#connections.get(transport.connectionId);
      if (connection === undefined || connection.closing) continue;
      let bytes = framed.get(transport.rtpChannel);
      if (bytes === undefined) {
        bytes = interleave(transport.rtpChannel, packets);
        framed.set(transport.rtpChannel, bytes);
      }
      if (!connection.writer.write(bytes)) this.#closeSlow(connection);
    }
    if (udpRoutes.length > 0) await this.#sendUdp(packets, udpRoutes);
    this.#sendReports();
  }

  /** Sends a frame to the UDP sessions in the bursts the sender paces its own datagrams in. */
  async #sendUdp(packets: Uint8Array[], routes: UdpRoute[]): Promise<void> {
    let largestBytes = 0;
    for (const packet of packets) largestBytes = Math.max(largestBytes, packet.length);
    const plan = planBursts(packets.length, largestBytes, this.#frameIntervalMs);
    const startMs = this.#now();
    for (let burst = 0; burst < plan.bursts; burst++) {
      if (burst > 0) {
        const waitMs = startMs + burst * plan.gapMs - this.#now();
        if (waitMs > 0) await sleep(waitMs);
      }
      if (this.#closed !== null) return;
      const start = burst * plan.burstDatagrams;
      const end = Math.min(packets.length, start + plan.burstDatagrams);
      for (const route of routes) await this.#sendUdpRange(route, packets, start, end);
    }
  }

  async #sendUdpRange(
    route: UdpRoute,
    packets: Uint8Array[],
    start: number,
    end: number,
  ): Promise<void> {
    // Each round sends at least one packet (or the batch took all it was asked for).
    for (let next = start; next < end;) {
      if (this.#batch !== null && route.batch !== null && this.#closed === null) {
        const asked = Math.min(end - next, this.#batch.batchDatagrams);
        const sent = this.#batch.send(packets, next, end, route.batch);
        next += sent;
        this.#sockets.udpDatagramsSent += sent;
        if (sent === asked) continue;
      }
      await this.#sendUdpOne(this.#rtpSocket, packets[next], route.rtp);
      next++;
    }
  }

  async #sendUdpOne(socket: Deno.DatagramConn, datagram: Uint8Array, to: Deno.NetAddr) {
    try {
      await socket.send(datagram, to);
      this.#sockets.udpDatagramsSent++;
    } catch {
      this.#sockets.udpSendErrors++;
    }
  }

  /**
   * PLAY replies say where a new session starts (RTP-Info): the next sequence number, and the
   * timestamp of a frame one interval after the one captured at `captureUs`.
   */
  #setPosition(captureUs: number): void {
    const intervalUs = this.#lastCaptureUs === null
      ? this.#frameIntervalMs * 1000
      : Math.min(Math.max(0, captureUs - this.#lastCaptureUs), 1_000_000);
    this.#lastCaptureUs = captureUs;
    this.#state.setStreamPosition({
      sequence: this.#packetizer.nextSequence,
      rtpTime: this.#packetizer.timestampFor(captureUs + intervalUs),
    });
  }

  /** RTCP sender reports to the sessions due one: NTP time now and the RTP time it maps to. */
  #sendReports(): void {
    const due = this.#delivery.dueReports(this.#now());
    if (due.length === 0) return;
    const nowUs = epochMicros();
    const ntp = ntpFromUnixMs(nowUs / 1000);
    const rtpTimestamp = this.#packetizer.timestampFor(nowUs);
    for (const report of due) {
      const bytes = writeSenderReport({
        ssrc: this.#packetizer.ssrc,
        ntp,
        rtpTimestamp,
        packetCount: report.packetCount,
        octetCount: report.octetCount,
        cname: this.#cname,
      });
      const transport = report.transport;
      if (transport.lower === "udp") {
        const route = this.#routes.get(report.sessionId);
        if (route === undefined) continue;
        // Not awaited: a report never holds up the next frame.
        const sending = this.#sendUdpOne(this.#rtcpSocket, bytes, route.rtcp)
          .finally(() => this.#udpSends.delete(sending));
        this.#udpSends.add(sending);
        continue;
      }
      const connection = this.#connections.get(transport.connectionId);
      if (connection === undefined || connection.closing) continue;
      if (!connection.writer.write(writeInterleavedFrame(transport.rtcpChannel, bytes))) {
        this.#closeSlow(connection);
      }
    }
  }
}

/** The packetizer's refusal; anything else it throws counts as a malformed frame. */
function asUnfit(error: unknown): RtpJpegUnsupportedError {
  if (error instanceof RtpJpegUnsupportedError) return error;
  return new RtpJpegUnsupportedError("malformed", `the packetizer failed (${error})`);
}

/** The packets framed for an interleaved channel (RFC 2326 §10.12), in one buffer. */
function interleave(channel: number, packets: readonly Uint8Array[]): Uint8Array {
  const frames = packets.map((packet) => writeInterleavedFrame(channel, packet));
  let total = 0;
  for (const frame of frames) total += frame.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
  }
  return out;
}
