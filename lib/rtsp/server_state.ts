/**
 * The RTSP server (RFC 2326) as a pure state machine: one per server, fed connection events,
 * bytes and the time, answering with actions for the adapter that owns the sockets. It serves one
 * live RTP/JPEG stream at one path (e.g. rtsp://host:8554/udpcam) to any number of sessions, up
 * to the caps, over UDP unicast or interleaved in the RTSP connection.
 *
 * Inputs: {@linkcode RtspServerState.open}, {@linkcode RtspServerState.receive},
 * {@linkcode RtspServerState.closed}, {@linkcode RtspServerState.receiveUdpRtcp},
 * {@linkcode RtspServerState.tick}. Outputs ({@linkcode RtspAction}): `send` bytes on a
 * connection, `close` a connection (after sending what came before), `play` (start sending the
 * stream's RTP to a session's transport, from the next frame), `pause` (stop, keep the session),
 * `drop` (stop and forget the session).
 *
 * Session states (RFC 2326 Appendix A, server side, one track):
 *
 * ```text
 *                SETUP               PLAY
 *    (none) -----------> Ready -----------------> Playing
 *                        |  ^  <-----------------   |
 *          SETUP (a new  |  |        PAUSE          |
 *          transport) ---+--+                       |
 *                        |                          |
 *                        +-- TEARDOWN, timeout, ----+--> (gone)
 *                            RTCP BYE, its connection closed
 * ```
 *
 * | method        | without session   | Ready                 | Playing              |
 * | ------------- | ----------------- | --------------------- | -------------------- |
 * | OPTIONS       | 200 Public        | 200, keeps alive      | 200, keeps alive     |
 * | DESCRIBE      | 200 SDP           | 200 SDP               | 200 SDP              |
 * | SETUP (track) | 200, new session  | 200, new transport    | 455                  |
 * | PLAY          | 454               | 200 RTP-Info, `play`  | 200                  |
 * | PAUSE         | 454               | 200                   | `pause`, 200         |
 * | TEARDOWN      | 454               | `drop`, 200           | `drop`, 200          |
 * | GET_PARAMETER | 200 (451 w/ body) | 200, keeps alive      | 200, keeps alive     |
 * | SET_PARAMETER | 200 (451 w/ body) | 200 (451 with a body) | 200 (451 w/ body)    |
 *
 * Every request is answered exactly once, in order, with its CSeq echoed. Before a method runs:
 * a missing, repeated or non-numeric CSeq gets 400; a Request-URI over `maxUriBytes` 414; an
 * unknown method 501; ANNOUNCE, RECORD and REDIRECT 405 with Allow; a Require header 551; then
 * everything but OPTIONS must authenticate (401, with stale=true when only the nonce was wrong);
 * then the URL must be the presentation (rtsp://host[:port]/path, any host, trailing slash
 * allowed) or its track (path/stream=0), else 404. SETUP on the presentation URL gets 459 (the
 * aggregate cannot be set up; its track can), an unusable Transport 461 (multicast, RECORD, no
 * client_port, UDP when the server has no UDP ports), an unknown session 454, a full server or
 * connection 453. A byte stream that cannot be parsed is answered with the parser's status
 * (400, 413, 431, 505) and the connection closed.
 *
 * Liveness: a session is kept by any authenticated request naming it and by RTCP from its client
 * (GStreamer over TCP sends no keep-alive request at all, only RTCP); one silent for
 * `sessionTimeoutMs` is dropped by `tick`. A session lives no longer than the connection that set
 * it up. Connections are closed when a request stays incomplete for `requestTimeoutMs` (408), when
 * idle for `idleConnectionMs` without sessions, and after `maxAuthFailuresPerConnection` wrong
 * passwords. UDP streams always go to the RTSP connection's peer address.
 *
 * @module
 */

import type { RtspAuthenticator } from "./auth.ts";
import {
  DEFAULT_RTSP_PARSER_OPTIONS,
  headerValue,
  headerValues,
  RTSP_PARSE_ERROR_REASONS,
  type RtspParseErrorReason,
  type RtspRequest,
  RtspRequestParser,
  type RtspRequestParserOptions,
} from "./request.ts";
import { rtpInfoHeader, sessionHeader, writeResponse } from "./response.ts";
import { type PresentationMedia, TRACK_CONTROL, writePresentationSdp } from "./presentation_sdp.ts";
import {
  chooseTransport,
  formatTransport,
  freeChannelPair,
  type ServedTransport,
  TRANSPORT_REFUSALS,
  type TransportRefusal,
} from "./transport.ts";
import {
  ntpFromUnixMs,
  ntpMiddle32,
  type ReceptionSummary,
  ReceptionTracker,
} from "../wire/rtp/mod.ts";

/** Where a session's RTP goes. */
export type SessionTransport =
  | {
    /** UDP to the RTSP peer's address. */
    lower: "udp";
    /** The client's address (the RTSP connection's peer). */
    host: string;
    /** Client RTP port. */
    rtpPort: number;
    /** Client RTCP port (sender reports go here; receiver reports come from here). */
    rtcpPort: number;
  }
  | {
    /** Interleaved frames in an RTSP connection. */
    lower: "tcp";
    /** The connection to write frames into. */
    connectionId: number;
    /** Channel for RTP packets. */
    rtpChannel: number;
    /** Channel for RTCP packets. */
    rtcpChannel: number;
  };

/** Why the server asks the adapter to close a connection. */
export const CLOSE_REASONS = [
  "tooManyConnections",
  "parseError",
  "requestTimeout",
  "idle",
  "authFailures",
  "clientAsked",
] as const;
/** A reason to close a connection. */
export type CloseReason = typeof CLOSE_REASONS[number];

/** Why a session ended. */
export const SESSION_DROP_REASONS = ["teardown", "timeout", "bye", "connectionClosed"] as const;
/** A reason a session ended. */
export type SessionDropReason = typeof SESSION_DROP_REASONS[number];

/** What the adapter must do, in order. */
export type RtspAction =
  | { type: "send"; connectionId: number; bytes: Uint8Array }
  | { type: "close"; connectionId: number; reason: CloseReason }
  | { type: "play"; sessionId: string; transport: SessionTransport }
  | { type: "pause"; sessionId: string }
  | { type: "drop"; sessionId: string; reason: SessionDropReason };

/** Settings of a {@linkcode RtspServerState}. */
export interface RtspServerOptions {
  /** Random bytes for session ids, e.g. `(n) => crypto.getRandomValues(new Uint8Array(n))`. */
  random: (bytes: number) => Uint8Array;
  /** SSRC of the stream's RTP packets (the packetizer's), for Transport and RTCP matching. */
  ssrc: number;
  /** Path of the stream; default "/udpcam". */
  path?: string;
  /** Who may watch; null or absent: anyone. */
  auth?: RtspAuthenticator | null;
  /** The server's RTP and RTCP UDP ports (the adapter binds them); null or absent: TCP only. */
  udpPorts?: { rtpPort: number; rtcpPort: number } | null;
  /** What DESCRIBE says about the stream; see also {@linkcode RtspServerState.setMedia}. */
  media?: PresentationMedia;
  /** A session silent this long is dropped, and the Session header says so; default 60 s. */
  sessionTimeoutMs?: number;
  /** A request started but not finished this long closes the connection (408); default 10 s. */
  requestTimeoutMs?: number;
  /** A connection without sessions silent this long is closed; default 60 s. */
  idleConnectionMs?: number;
  /** Most connections at once; past it a connection gets 503 and is closed; default 32. */
  maxConnections?: number;
  /** Most sessions at once; past it SETUP gets 453; default 16. */
  maxSessions?: number;
  /** Most sessions one connection may set up; default 4. */
  maxSessionsPerConnection?: number;
  /** Longest Request-URI in UTF-8 bytes; past it 414; default 1024. */
  maxUriBytes?: number;
  /** Wrong passwords one connection may try before it is closed; default 8. */
  maxAuthFailuresPerConnection?: number;
  /** Caps of each connection's request parser. */
  parser?: Partial<RtspRequestParserOptions>;
  /** The Server header; default "udpcam". */
  serverName?: string;
  /**
   * Unix milliseconds minus `nowMs`, so RTCP round trips are computed in the clock the sender
   * reports were stamped with; default 0 (nowMs is Unix time).
   */
  unixTimeOffsetMs?: number;
}

/** The methods this server implements, as Public lists them. */
export const PUBLIC_METHODS = [
  "OPTIONS",
  "DESCRIBE",
  "SETUP",
  "PLAY",
  "PAUSE",
  "TEARDOWN",
  "GET_PARAMETER",
  "SET_PARAMETER",
] as const;
/** RTSP methods this server knows but refuses with 405 (it only serves, never records). */
export const REFUSED_METHODS = ["ANNOUNCE", "RECORD", "REDIRECT"] as const;

/** Counters of a {@linkcode RtspServerState}. */
export interface RtspServerCounters {
  /** Connections accepted by `open`. */
  connectionsOpened: number;
  /** Connections refused by `open` (over `maxConnections`). */
  connectionsRefused: number;
  /** Accepted connections the adapter reported gone (`closed`). */
  connectionsClosed: number;
  /** Close actions issued, by reason. */
  closes: Record<CloseReason, number>;
  /** Requests, by method (unknown ones under "other"). */
  requests: Record<string, number>;
  /** Responses, by status code. */
  responses: Record<number, number>;
  /** Parse errors of connections' byte streams, by reason. */
  parseErrors: Record<RtspParseErrorReason, number>;
  /** Transport refusals (461), by reason. */
  transportRefusals: Record<TransportRefusal | "udpDisabled" | "missing" | "channels", number>;
  /** Sessions set up. */
  sessionsCreated: number;
  /** Sessions ended, by reason. */
  sessionsDropped: Record<SessionDropReason, number>;
  /** RTCP compounds from a session's client that parsed (UDP or interleaved). */
  rtcpReceived: number;
  /** RTCP from a session's client that did not parse (counted by reason in its tracker). */
  rtcpInvalid: number;
  /** RTCP from a UDP source or interleaved channel no session owns. */
  rtcpUnmatched: number;
  /** Bytes received on connections already closing or unknown. */
  bytesIgnored: number;
}

/** A snapshot of one session, for stats. */
export interface RtspSessionInfo {
  /** Session id. */
  id: string;
  /** "ready" (set up or paused) or "playing". */
  state: "ready" | "playing";
  /** Where its RTP goes. */
  transport: SessionTransport;
  /** The connection that set it up. */
  connectionId: number;
  /** Who authenticated, or null without authentication. */
  username: string | null;
  /** When it was set up. */
  createdMs: number;
  /** Its last sign of life. */
  lastSeenMs: number;
  /** Its client's latest reception report, or null before the first. */
  reception: ReceptionSummary | null;
  /** Report blocks about this stream its client sent (RTCP RR or SR). */
  receiverReports: number;
}

interface Connection {
  id: number;
  peerHost: string;
  localHost: string;
  parser: RtspRequestParser;
  closing: boolean;
  lastActivityMs: number;
  /** When the parser began holding an incomplete request, or null when it holds none. */
  partialSinceMs: number | null;
  authFailures: number;
  sessions: Set<string>;
  /** Interleaved channel → session id, for both channels of each TCP session. */
  channels: Map<number, string>;
}

interface Session {
  id: string;
  connectionId: number;
  state: "ready" | "playing";
  transport: SessionTransport;
  username: string | null;
  createdMs: number;
  lastSeenMs: number;
  reception: ReceptionTracker;
}

type Target = { kind: "presentation" | "track"; origin: string } | { kind: "notFound" };
type Reply = (
  status: number,
  headers?: [string, string][],
  body?: { text: string; contentType: string },
) => void;

const KNOWN_METHODS: ReadonlySet<string> = new Set<string>([
  ...PUBLIC_METHODS,
  ...REFUSED_METHODS,
]);
const CSEQ = /^[0-9]{1,10}$/;
const SESSION_ID_BYTES = 8;

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function zeroed<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

/** Splits an rtsp:// Request-URI into origin and decoded path, or null when it is not one. */
function splitUri(uri: string): { origin: string; path: string } | null {
  // Userinfo (VLC's SAT>IP module leaves the credentials there) is dropped, never echoed.
  const match = /^(rtsps?):\/\/(?:[^@/?#]*@)?([^/?#@]+)([^?#]*)/i.exec(uri);
  if (match === null) return null;
  let path: string;
  try {
    path = decodeURIComponent(match[3] === "" ? "/" : match[3]);
  } catch {
    return null;
  }
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  return { origin: `${match[1].toLowerCase()}://${match[2]}`, path };
}

/**
 * The RTSP server state machine. See the module documentation for the state diagram and the
 * status codes.
 *
 * @example A client over TCP: SETUP then PLAY, and the actions the adapter gets
 * ```ts
 * import { RtspServerState } from "./server_state.ts";
 *
 * const server = new RtspServerState({
 *   random: (n) => crypto.getRandomValues(new Uint8Array(n)),
 *   ssrc: 0x1234_5678,
 * });
 * const { connectionId } = server.open({ peerHost: "192.0.2.7", localHost: "192.0.2.1" }, 0);
 * const ask = (text: string) => server.receive(connectionId, new TextEncoder().encode(text), 1);
 * const setup = ask(
 *   "SETUP rtsp://192.0.2.1:8554/udpcam/stream=0 RTSP/1.0\r\nCSeq: 1\r\n" +
 *     "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n",
 * );
 * const reply = setup[0].type === "send" ? new TextDecoder().decode(setup[0].bytes) : "";
 * const sessionId = /Session: ([0-9a-f]+)/.exec(reply)![1];
 * const play = ask(
 *   `PLAY rtsp://192.0.2.1:8554/udpcam/ RTSP/1.0\r\nCSeq: 2\r\nSession: ${sessionId}\r\n\r\n`,
 * );
 * console.log(play.map((action) => action.type)); // ["send", "play"]
 * ```
 */
export class RtspServerState {
  readonly #random: (bytes: number) => Uint8Array;
  readonly #ssrc: number;
  readonly #path: string;
  readonly #trackPath: string;
  readonly #auth: RtspAuthenticator | null;
  readonly #udpPorts: { rtpPort: number; rtcpPort: number } | null;
  readonly #sessionTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #idleConnectionMs: number;
  readonly #maxConnections: number;
  readonly #maxSessions: number;
  readonly #maxSessionsPerConnection: number;
  readonly #maxUriBytes: number;
  readonly #maxAuthFailures: number;
  readonly #parserOptions: RtspRequestParserOptions;
  readonly #serverName: string;
  readonly #unixTimeOffsetMs: number;
  #media: PresentationMedia;
  #sdpVersion = 1;
  #position: { sequence: number; rtpTime: number } | null = null;
  #nextConnectionId = 1;
  readonly #connections = new Map<number, Connection>();
  readonly #sessions = new Map<string, Session>();
  /** "host|rtcpPort" → session id, for receiver reports arriving over UDP. */
  readonly #udpRtcpSources = new Map<string, string>();
  readonly #counters: RtspServerCounters = {
    connectionsOpened: 0,
    connectionsRefused: 0,
    connectionsClosed: 0,
    closes: zeroed(CLOSE_REASONS),
    requests: {},
    responses: {},
    parseErrors: zeroed(RTSP_PARSE_ERROR_REASONS),
    transportRefusals: zeroed([...TRANSPORT_REFUSALS, "udpDisabled", "missing", "channels"]),
    sessionsCreated: 0,
    sessionsDropped: zeroed(SESSION_DROP_REASONS),
    rtcpReceived: 0,
    rtcpInvalid: 0,
    rtcpUnmatched: 0,
    bytesIgnored: 0,
  };

  /**
   * A server with no connections or sessions.
   *
   * @throws {RangeError} for a path that does not start with "/" or has characters a URL path
   * cannot carry as is.
   */
  constructor(options: RtspServerOptions) {
    const path = options.path ?? "/udpcam";
    if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/.test(path) || path.includes("//")) {
      throw new RangeError(
        `Cannot serve RTSP at path ${JSON.stringify(path)}: start it with "/" and use URL path ` +
          "characters only.",
      );
    }
    this.#path = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
    this.#trackPath = `${this.#path === "/" ? "" : this.#path}/${TRACK_CONTROL}`;
    this.#random = options.random;
    this.#ssrc = options.ssrc >>> 0;
    this.#auth = options.auth ?? null;
    this.#udpPorts = options.udpPorts ?? null;
    this.#media = { ...options.media };
    this.#sessionTimeoutMs = options.sessionTimeoutMs ?? 60_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#idleConnectionMs = options.idleConnectionMs ?? 60_000;
    this.#maxConnections = options.maxConnections ?? 32;
    this.#maxSessions = options.maxSessions ?? 16;
    this.#maxSessionsPerConnection = options.maxSessionsPerConnection ?? 4;
    this.#maxUriBytes = options.maxUriBytes ?? 1024;
    this.#maxAuthFailures = options.maxAuthFailuresPerConnection ?? 8;
    this.#parserOptions = { ...DEFAULT_RTSP_PARSER_OPTIONS, ...options.parser };
    this.#serverName = options.serverName ?? "udpcam";
    this.#unixTimeOffsetMs = options.unixTimeOffsetMs ?? 0;
  }

  /** Counters since construction (a copy). */
  get counters(): RtspServerCounters {
    const c = this.#counters;
    return {
      ...c,
      closes: { ...c.closes },
      requests: { ...c.requests },
      responses: { ...c.responses },
      parseErrors: { ...c.parseErrors },
      transportRefusals: { ...c.transportRefusals },
      sessionsDropped: { ...c.sessionsDropped },
    };
  }

  /** Connections open (accepted and not yet reported closed). */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Bytes held by the request parsers of all connections. */
  get pendingBytes(): number {
    let bytes = 0;
    for (const connection of this.#connections.values()) bytes += connection.parser.pendingBytes;
    return bytes;
  }

  /** A snapshot of every session. */
  sessions(): RtspSessionInfo[] {
    return [...this.#sessions.values()].map((s) => ({
      id: s.id,
      state: s.state,
      transport: { ...s.transport },
      connectionId: s.connectionId,
      username: s.username,
      createdMs: s.createdMs,
      lastSeenMs: s.lastSeenMs,
      reception: s.reception.latest,
      receiverReports: s.reception.counters.reportBlocks,
    }));
  }

  /** Updates what DESCRIBE says (e.g. once the first frame shows the dimensions). */
  setMedia(media: PresentationMedia): void {
    this.#media = { ...media };
    this.#sdpVersion++;
  }

  /**
   * Tells the server the sequence number and RTP timestamp the next packet will carry, for the
   * RTP-Info header of PLAY replies; null leaves RTP-Info out.
   */
  setStreamPosition(position: { sequence: number; rtpTime: number } | null): void {
    this.#position = position === null ? null : { ...position };
  }

  /**
   * A new TCP connection from `peerHost` to the server's `localHost`. Returns its id; over
   * `maxConnections` the actions answer 503 and close it at once.
   */
  open(
    addresses: { peerHost: string; localHost: string },
    nowMs: number,
  ): { connectionId: number; actions: RtspAction[] } {
    const connectionId = this.#nextConnectionId++;
    if (this.#connections.size >= this.#maxConnections) {
      this.#counters.connectionsRefused++;
      this.#counters.closes.tooManyConnections++;
      this.#countResponse(503);
      return {
        connectionId,
        actions: [
          {
            type: "send",
            connectionId,
            bytes: writeResponse({ status: 503, cseq: null, headers: this.#baseHeaders() }),
          },
          { type: "close", connectionId, reason: "tooManyConnections" },
        ],
      };
    }
    this.#connections.set(connectionId, {
      id: connectionId,
      peerHost: addresses.peerHost,
      localHost: addresses.localHost,
      parser: new RtspRequestParser(this.#parserOptions),
      closing: false,
      lastActivityMs: nowMs,
      partialSinceMs: null,
      authFailures: 0,
      sessions: new Set(),
      channels: new Map(),
    });
    this.#counters.connectionsOpened++;
    return { connectionId, actions: [] };
  }

  /** Bytes the client wrote into connection `connectionId`. Never throws. */
  receive(connectionId: number, bytes: Uint8Array, nowMs: number): RtspAction[] {
    const connection = this.#connections.get(connectionId);
    if (connection === undefined || connection.closing) {
      this.#counters.bytesIgnored += bytes.length;
      return [];
    }
    connection.lastActivityMs = nowMs;
    const actions: RtspAction[] = [];
    const items = connection.parser.push(bytes);
    for (const item of items) {
      if (connection.closing) break;
      if (item.type === "request") this.#handleRequest(connection, item.request, nowMs, actions);
      else if (item.type === "interleaved") {
        this.#handleInterleaved(connection, item.channel, item.payload, nowMs, actions);
      } else {
        this.#counters.parseErrors[item.error.reason]++;
        const cseq = item.error.cseq !== null && CSEQ.test(item.error.cseq)
          ? item.error.cseq
          : null;
        this.#reply(connection, actions, item.error.status, cseq);
        this.#close(connection, "parseError", actions);
      }
    }
    if (connection.parser.pendingBytes === 0) connection.partialSinceMs = null;
    else if (items.length > 0 || connection.partialSinceMs === null) {
      connection.partialSinceMs = nowMs;
    }
    return actions;
  }

  /**
   * The connection is gone (the peer closed it, it failed, or the adapter closed it after a
   * `close` action). Its sessions end. Unknown ids are ignored.
   */
  closed(connectionId: number): RtspAction[] {
    const connection = this.#connections.get(connectionId);
    if (connection === undefined) return [];
    const actions: RtspAction[] = [];
    this.#dropSessionsOf(connection, actions);
    this.#connections.delete(connectionId);
    this.#counters.connectionsClosed++;
    return actions;
  }

  /**
   * An RTCP datagram that arrived on the server's RTCP port from `host:port`. It keeps alive the
   * session whose client RTCP port that is; a BYE ends it.
   */
  receiveUdpRtcp(host: string, port: number, bytes: Uint8Array, nowMs: number): RtspAction[] {
    const sessionId = this.#udpRtcpSources.get(`${host}|${port}`);
    const session = sessionId === undefined ? undefined : this.#sessions.get(sessionId);
    if (session === undefined) {
      this.#counters.rtcpUnmatched++;
      return [];
    }
    const actions: RtspAction[] = [];
    this.#takeRtcp(session, bytes, nowMs, actions);
    return actions;
  }

  /**
   * Advances time: drops silent sessions, closes stalled and idle connections, forgets idle
   * nonces. Call it about once a second.
   */
  tick(nowMs: number): RtspAction[] {
    const actions: RtspAction[] = [];
    for (const session of [...this.#sessions.values()]) {
      if (nowMs - session.lastSeenMs > this.#sessionTimeoutMs) {
        this.#dropSession(session, "timeout", actions);
      }
    }
    for (const connection of this.#connections.values()) {
      if (connection.closing) continue;
      if (
        connection.partialSinceMs !== null &&
        nowMs - connection.partialSinceMs > this.#requestTimeoutMs
      ) {
        this.#reply(connection, actions, 408, null);
        this.#close(connection, "requestTimeout", actions);
      } else if (
        connection.sessions.size === 0 && nowMs - connection.lastActivityMs > this.#idleConnectionMs
      ) {
        this.#close(connection, "idle", actions);
      }
    }
    this.#auth?.prune(nowMs);
    return actions;
  }

  #baseHeaders(): [string, string][] {
    return [["Server", this.#serverName]];
  }

  #countResponse(status: number): void {
    this.#counters.responses[status] = (this.#counters.responses[status] ?? 0) + 1;
  }

  #reply(
    connection: Connection,
    actions: RtspAction[],
    status: number,
    cseq: string | null,
    headers: [string, string][] = [],
    body?: { text: string; contentType: string },
  ): void {
    this.#countResponse(status);
    actions.push({
      type: "send",
      connectionId: connection.id,
      bytes: writeResponse({
        status,
        cseq,
        headers: [...this.#baseHeaders(), ...headers],
        body: body?.text,
        contentType: body?.contentType,
      }),
    });
  }

  #close(connection: Connection, reason: CloseReason, actions: RtspAction[]): void {
    connection.closing = true;
    this.#counters.closes[reason]++;
    // Its sessions cannot outlive it; the adapter stops sending before it closes.
    this.#dropSessionsOf(connection, actions);
    actions.push({ type: "close", connectionId: connection.id, reason });
  }

  #dropSessionsOf(connection: Connection, actions: RtspAction[]): void {
    for (const sessionId of [...connection.sessions]) {
      const session = this.#sessions.get(sessionId);
      if (session !== undefined) this.#dropSession(session, "connectionClosed", actions);
    }
  }

  #dropSession(session: Session, reason: SessionDropReason, actions: RtspAction[]): void {
    this.#releaseTransport(session);
    this.#sessions.delete(session.id);
    this.#connections.get(session.connectionId)?.sessions.delete(session.id);
    this.#counters.sessionsDropped[reason]++;
    actions.push({ type: "drop", sessionId: session.id, reason });
  }

  #releaseTransport(session: Session): void {
    const transport = session.transport;
    if (transport.lower === "tcp") {
      const connection = this.#connections.get(transport.connectionId);
      for (const channel of [transport.rtpChannel, transport.rtcpChannel]) {
        if (connection?.channels.get(channel) === session.id) connection.channels.delete(channel);
      }
    } else {
      const key = `${transport.host}|${transport.rtcpPort}`;
      if (this.#udpRtcpSources.get(key) === session.id) this.#udpRtcpSources.delete(key);
    }
  }

  #takeRtcp(session: Session, bytes: Uint8Array, nowMs: number, actions: RtspAction[]): void {
    const arrival = ntpMiddle32(ntpFromUnixMs(nowMs + this.#unixTimeOffsetMs));
    const packets = session.reception.push(bytes, arrival);
    if (packets === null) {
      this.#counters.rtcpInvalid++;
      return;
    }
    this.#counters.rtcpReceived++;
    session.lastSeenMs = nowMs;
    if (packets.some((packet) => packet.type === "bye")) {
      this.#dropSession(session, "bye", actions);
    }
  }

  #handleInterleaved(
    connection: Connection,
    channel: number,
    payload: Uint8Array,
    nowMs: number,
    actions: RtspAction[],
  ): void {
    const sessionId = connection.channels.get(channel);
    const session = sessionId === undefined ? undefined : this.#sessions.get(sessionId);
    if (
      session === undefined || session.transport.lower !== "tcp" ||
      session.transport.rtcpChannel !== channel
    ) {
      this.#counters.rtcpUnmatched++;
      return;
    }
    this.#takeRtcp(session, payload, nowMs, actions);
  }

  #resolve(uri: string): Target {
    const parts = splitUri(uri);
    if (parts === null) return { kind: "notFound" };
    if (parts.path === this.#path) return { kind: "presentation", origin: parts.origin };
    if (parts.path === this.#trackPath) return { kind: "track", origin: parts.origin };
    return { kind: "notFound" };
  }

  #presentationUrl(origin: string): string {
    return `${origin}${this.#path === "/" ? "" : this.#path}`;
  }

  #handleRequest(
    connection: Connection,
    request: RtspRequest,
    nowMs: number,
    actions: RtspAction[],
  ): void {
    const method = request.method;
    const counted = KNOWN_METHODS.has(method) ? method : "other";
    this.#counters.requests[counted] = (this.#counters.requests[counted] ?? 0) + 1;
    const cseqs = headerValues(request, "cseq");
    if (cseqs.length !== 1 || !CSEQ.test(cseqs[0])) {
      this.#reply(connection, actions, 400, null);
      return;
    }
    const reply: Reply = (status, headers = [], body) =>
      this.#reply(connection, actions, status, cseqs[0], headers, body);
    this.#dispatch(connection, request, nowMs, actions, reply);
    if (headerValue(request, "connection")?.toLowerCase() === "close" && !connection.closing) {
      this.#close(connection, "clientAsked", actions);
    }
  }

  #dispatch(
    connection: Connection,
    request: RtspRequest,
    nowMs: number,
    actions: RtspAction[],
    reply: Reply,
  ): void {
    const method = request.method;
    if (new TextEncoder().encode(request.uri).length > this.#maxUriBytes) return reply(414);
    if (!KNOWN_METHODS.has(method)) return reply(501);
    if ((REFUSED_METHODS as readonly string[]).includes(method)) {
      return reply(405, [["Allow", PUBLIC_METHODS.join(", ")]]);
    }
    const required = [
      ...headerValues(request, "require"),
      ...headerValues(request, "proxy-require"),
    ];
    if (required.length > 0) return reply(551, [["Unsupported", required.join(", ")]]);
    const sessionId = headerValue(request, "session")?.split(";")[0].trim() ?? null;
    const session = sessionId === null ? undefined : this.#sessions.get(sessionId);

    let username: string | null = null;
    let authenticated = this.#auth === null;
    if (this.#auth !== null) {
      const result = this.#auth.verify(
        { method, uri: request.uri, authorization: headerValue(request, "authorization") },
        connection.peerHost,
        nowMs,
      );
      if (result.ok) {
        username = result.username;
        authenticated = true;
      } else if (method !== "OPTIONS") {
        if (result.reason !== "missing" && !result.stale) connection.authFailures++;
        const challenges = this.#auth.challenge(connection.peerHost, nowMs, result.stale);
        reply(401, challenges.map((value): [string, string] => ["WWW-Authenticate", value]));
        if (connection.authFailures >= this.#maxAuthFailures) {
          this.#close(connection, "authFailures", actions);
        }
        return;
      }
    }
    if (session !== undefined && authenticated) session.lastSeenMs = nowMs;
    const withSession = (headers: [string, string][] = []): [string, string][] =>
      session === undefined
        ? headers
        : [["Session", sessionHeader(session.id, this.#sessionTimeoutMs)], ...headers];

    // Answered without authentication and for any URL: it describes the server, not the stream.
    if (method === "OPTIONS") {
      return reply(200, withSession([["Public", PUBLIC_METHODS.join(", ")]]));
    }
    const target = this.#resolve(request.uri);
    if (target.kind === "notFound") return reply(404);
    if (sessionId !== null && session === undefined) return reply(454);
    switch (method) {
      case "DESCRIBE":
        return reply(200, [["Content-Base", `${this.#presentationUrl(target.origin)}/`]], {
          text: writePresentationSdp({
            originHost: connection.localHost,
            sessionId: 1,
            sessionVersion: this.#sdpVersion,
            ...this.#media,
          }),
          contentType: "application/sdp",
        });
      case "SETUP":
        return this.#setup(connection, request, target, session, username, nowMs, reply);
      case "GET_PARAMETER":
      case "SET_PARAMETER":
        // Keep-alives: this server has no parameters to get or set.
        return reply(request.body.length === 0 ? 200 : 451, withSession());
    }
    // PLAY, PAUSE, TEARDOWN act on a session.
    if (session === undefined) return reply(454);
    if (method === "PLAY") {
      const headers = withSession([["Range", "npt=0.000-"]]);
      if (this.#position !== null) {
        const url = `${this.#presentationUrl(target.origin)}/${TRACK_CONTROL}`;
        headers.push([
          "RTP-Info",
          rtpInfoHeader(url, this.#position.sequence, this.#position.rtpTime),
        ]);
      }
      // The reply goes out before the first packet, so RTP-Info arrives first.
      reply(200, headers);
      if (session.state === "ready") {
        session.state = "playing";
        actions.push({ type: "play", sessionId: session.id, transport: { ...session.transport } });
      }
      return;
    }
    if (method === "PAUSE") {
      // Stopped before the reply, so no packet follows it.
      if (session.state === "playing") {
        session.state = "ready";
        actions.push({ type: "pause", sessionId: session.id });
      }
      return reply(200, withSession());
    }
    this.#dropSession(session, "teardown", actions);
    reply(200);
  }

  #setup(
    connection: Connection,
    request: RtspRequest,
    target: Target & { kind: "presentation" | "track" },
    existing: Session | undefined,
    username: string | null,
    nowMs: number,
    reply: Reply,
  ): void {
    // The aggregate has one stream; SETUP names it by its track URL (Content-Base + control).
    if (target.kind === "presentation") return reply(459);
    const refuse = (reason: keyof RtspServerCounters["transportRefusals"]) => {
      this.#counters.transportRefusals[reason]++;
      reply(461);
    };
    const choice = chooseTransport(headerValue(request, "transport") ?? "", {
      udp: this.#udpPorts !== null,
    });
    if (!choice.ok) return refuse(choice.reason);
    if (existing !== undefined) {
      if (existing.state === "playing" || existing.connectionId !== connection.id) {
        return reply(455);
      }
    } else if (
      this.#sessions.size >= this.#maxSessions ||
      connection.sessions.size >= this.#maxSessionsPerConnection
    ) {
      return reply(453);
    }
    let transport: SessionTransport;
    let served: ServedTransport;
    if (choice.transport.lower === "udp") {
      // chooseTransport only picks UDP when the server has UDP ports.
      const ports = this.#udpPorts ?? { rtpPort: 0, rtcpPort: 0 };
      transport = {
        lower: "udp",
        host: connection.peerHost,
        rtpPort: choice.transport.clientRtpPort,
        rtcpPort: choice.transport.clientRtcpPort,
      };
      served = {
        lower: "udp",
        clientRtpPort: transport.rtpPort,
        clientRtcpPort: transport.rtcpPort,
        serverRtpPort: ports.rtpPort,
        serverRtcpPort: ports.rtcpPort,
      };
    } else {
      const used = new Set(
        [...connection.channels].filter(([, id]) => id !== existing?.id).map(([channel]) =>
          channel
        ),
      );
      let pair = choice.transport.channels;
      // Channels taken by another session (or one channel for both) are replaced by free ones,
      // which the reply names; RFC 2326 §12.39 lets the server choose.
      if (pair === null || used.has(pair.rtp) || used.has(pair.rtcp) || pair.rtp === pair.rtcp) {
        pair = freeChannelPair(used);
      }
      if (pair === null) return refuse("channels");
      transport = {
        lower: "tcp",
        connectionId: connection.id,
        rtpChannel: pair.rtp,
        rtcpChannel: pair.rtcp,
      };
      served = { lower: "tcp", rtpChannel: pair.rtp, rtcpChannel: pair.rtcp };
    }
    let session = existing;
    if (session === undefined) {
      const id = this.#newSessionId();
      if (id === null) return reply(503);
      session = {
        id,
        connectionId: connection.id,
        state: "ready",
        transport,
        username,
        createdMs: nowMs,
        lastSeenMs: nowMs,
        reception: new ReceptionTracker(this.#ssrc),
      };
      this.#sessions.set(id, session);
      connection.sessions.add(id);
      this.#counters.sessionsCreated++;
    } else {
      this.#releaseTransport(session);
      session.transport = transport;
    }
    if (transport.lower === "tcp") {
      connection.channels.set(transport.rtpChannel, session.id);
      connection.channels.set(transport.rtcpChannel, session.id);
    } else {
      this.#udpRtcpSources.set(`${transport.host}|${transport.rtcpPort}`, session.id);
    }
    reply(200, [
      ["Session", sessionHeader(session.id, this.#sessionTimeoutMs)],
      ["Transport", formatTransport(served, this.#ssrc)],
    ]);
  }

  /** A fresh session id, or null if the random source keeps repeating itself. */
  #newSessionId(): string | null {
    for (let attempt = 0; attempt < 4; attempt++) {
      const id = hex(this.#random(SESSION_ID_BYTES).subarray(0, SESSION_ID_BYTES));
      if (id.length === 2 * SESSION_ID_BYTES && !this.#sessions.has(id)) return id;
    }
    return null;
  }
}
