/**
 * The `rtsp` object of `--stats-json` (sender and receiver): one entry per RTSP session with what
 * it was sent and what its client's RTCP receiver reports say (loss, jitter, round trip), and the
 * server's counters. Pure: it joins the snapshots the adapter takes.
 *
 * @module
 */

import type { RtspAuthCounters } from "./auth.ts";
import type { RtspServerCounters, RtspSessionInfo } from "./server_state.ts";
import type { DeliveryClient, StreamDeliveryCounters } from "./stream_delivery.ts";

/** What happened to the frames the server was given. */
export interface RtspFrameCounters {
  /** Frames given to the server. */
  received: number;
  /** Frames replaced by a newer one before they were packetized (the server was still busy). */
  replaced: number;
  /** Frames given while nobody played (not packetized). */
  unwatched: number;
  /** Frames packetized and offered to the playing sessions. */
  packetized: number;
  /** Frames RFC 2435 cannot carry that the re-encoder made carriable. */
  reencoded: number;
  /** Frames skipped because RFC 2435 cannot carry them, by the packetizer's reason. */
  unfit: Record<string, number>;
}

/** What the adapter counted on its sockets. */
export interface RtspSocketCounters {
  /** Bytes written into RTSP connections (responses and interleaved packets). */
  tcpBytesWritten: number;
  /** Bytes queued for RTSP connections and not yet taken by the kernel, now (bounded). */
  tcpBytesQueued: number;
  /** Connections closed because their client stopped reading (stalled or over the hard cap). */
  slowClientCloses: number;
  /** RTP and RTCP datagrams sent over UDP. */
  udpDatagramsSent: number;
  /** UDP sends the OS refused. */
  udpSendErrors: number;
  /** Datagrams that arrived on the server's RTP port (players' NAT punches): read and ignored. */
  rtpPortDatagrams: number;
}

/** Everything {@linkcode rtspStatsRecord} joins. */
export interface RtspStatsInput {
  /** The server state's sessions. */
  sessions: readonly RtspSessionInfo[];
  /** The delivery policy's sessions. */
  clients: readonly DeliveryClient[];
  /** The peer `host:port` of each open RTSP connection, by connection id. */
  peers: ReadonlyMap<number, string>;
  /** Connections open now. */
  connections: number;
  /** The server state's counters. */
  server: RtspServerCounters;
  /** The authenticator's counters, or null without credentials. */
  auth: RtspAuthCounters | null;
  /** The delivery policy's counters. */
  delivery: StreamDeliveryCounters;
  /** The frame counters. */
  frames: RtspFrameCounters;
  /** The socket counters. */
  sockets: RtspSocketCounters;
}

/** One session in `--stats-json`. */
export interface RtspClientRecord {
  /** Session id. */
  session: string;
  /** "udp" or "tcp" (interleaved). */
  transport: "udp" | "tcp";
  /** The client: its RTSP connection's `host:port`. */
  peer: string;
  /** "ready" (set up or paused) or "playing". */
  state: "ready" | "playing";
  /** Who authenticated, or null without credentials. */
  user: string | null;
  /** Frames sent to it. */
  framesSent: number;
  /** Frames it skipped because its connection was still busy. */
  framesSkipped: number;
  /** RTP packets sent to it. */
  packetsSent: number;
  /** Sender reports sent to it. */
  senderReports: number;
  /** Reception report blocks its client sent about this stream. */
  receiverReports: number;
  /** Share of packets lost in the latest report interval (0..1), or null before a report. */
  fractionLost: number | null;
  /** Packets lost since it began (its latest report), or null before a report. */
  cumulativeLost: number | null;
  /** Interarrival jitter in ms, or null before a report. */
  jitterMs: number | null;
  /** Round trip from the latest report (LSR/DLSR), or null when unknown. */
  roundTripMs: number | null;
}

/** The `rtsp` object of `--stats-json`. */
export interface RtspStatsRecord {
  /** One entry per session, in the order they were set up. */
  clients: RtspClientRecord[];
  /** The server's totals. */
  counters: {
    /** Connections open now. */
    connections: number;
    /** The server state's counters (requests, responses, sessions, RTCP). */
    server: RtspServerCounters;
    /** Authentication counters, or null without credentials. */
    auth: RtspAuthCounters | null;
    /** Frames offered, sent and skipped per session. */
    delivery: StreamDeliveryCounters;
    /** What happened to the frames given to the server. */
    frames: RtspFrameCounters;
    /** Socket counters. */
    sockets: RtspSocketCounters;
  };
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/**
 * The `rtsp` object for `--stats-json`: each session of the server state joined with what the
 * delivery policy sent it (zeros for one that never played). Counters are copied.
 *
 * @example
 * ```ts
 * import { rtspStatsRecord } from "./stats_record.ts";
 * import { RtspServerState } from "./server_state.ts";
 * import { StreamDelivery } from "./stream_delivery.ts";
 *
 * const server = new RtspServerState({ random: (n) => new Uint8Array(n), ssrc: 1 });
 * const delivery = new StreamDelivery();
 * const record = rtspStatsRecord({
 *   sessions: server.sessions(),
 *   clients: delivery.clients(),
 *   peers: new Map(),
 *   connections: server.connectionCount,
 *   server: server.counters,
 *   auth: null,
 *   delivery: delivery.counters,
 *   frames: { received: 0, replaced: 0, unwatched: 0, packetized: 0, reencoded: 0, unfit: {} },
 *   sockets: {
 *     tcpBytesWritten: 0,
 *     tcpBytesQueued: 0,
 *     slowClientCloses: 0,
 *     udpDatagramsSent: 0,
 *     udpSendErrors: 0,
 *     rtpPortDatagrams: 0,
 *   },
 * });
 * if (record.clients.length !== 0 || record.counters.connections !== 0) throw new Error("?");
 * ```
 */
export function rtspStatsRecord(input: RtspStatsInput): RtspStatsRecord {
  const clients = new Map(input.clients.map((client) => [client.sessionId, client]));
  return {
    clients: input.sessions.map((session): RtspClientRecord => {
      const sent = clients.get(session.id);
      const reception = session.reception;
      const transport = session.transport;
      const peer = transport.lower === "udp"
        ? (input.peers.get(session.connectionId) ?? transport.host)
        : (input.peers.get(transport.connectionId) ?? "?");
      return {
        session: session.id,
        transport: transport.lower,
        peer,
        state: session.state,
        user: session.username,
        framesSent: sent?.framesSent ?? 0,
        framesSkipped: sent?.framesSkipped ?? 0,
        packetsSent: sent?.packetsSent ?? 0,
        senderReports: sent?.senderReports ?? 0,
        receiverReports: session.receiverReports,
        fractionLost: reception === null ? null : round3(reception.fractionLost),
        cumulativeLost: reception?.cumulativeLost ?? null,
        jitterMs: reception === null ? null : round3(reception.jitterMs),
        roundTripMs: reception?.roundTripMs == null ? null : round3(reception.roundTripMs),
      };
    }),
    counters: {
      connections: input.connections,
      server: structuredClone(input.server),
      auth: input.auth === null ? null : structuredClone(input.auth),
      delivery: { ...input.delivery },
      frames: { ...input.frames, unfit: { ...input.frames.unfit } },
      sockets: { ...input.sockets },
    },
  };
}
