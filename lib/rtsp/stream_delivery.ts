/**
 * Who gets each frame of the RTSP stream, and when each session is due an RTCP sender report:
 * the policy the adapter (lib/io/rtsp_server.ts) follows, with the bytes a connection still
 * holds unsent and the time passed in.
 *
 * Every frame is packetized once and offered to every playing session:
 *
 * - A UDP session gets every frame the adapter sends out. UDP never waits for a client: a client
 *   that does not read loses datagrams in its own socket buffer, and its receiver reports say so.
 * - An interleaved (TCP) session gets a frame only while its connection holds fewer than
 *   `maxBacklogBytes` unsent bytes (what the adapter queued and the kernel has not taken yet);
 *   otherwise the frame is skipped for that session alone. A frame is queued whole or not at
 *   all, so a client never sees part of one, and the newest frame is the next one it gets
 *   ("latest wins"). The backlog is therefore bounded by `maxBacklogBytes` plus one frame.
 * - A TCP session that has skipped every frame for `maxStallMs` (its client stopped reading) is
 *   reported by {@linkcode StreamDelivery.stalled}, and the adapter closes its connection.
 *
 * Sender reports (RFC 3550 §6.4.1) go to a session after its first frame and then every
 * `senderReportIntervalMs`, with the packets and payload octets sent to that session (sessions
 * skip different frames, so each has its own counts).
 *
 * Accounting: for every session, each frame offered while it plays is either sent or skipped;
 * the counters sum them over sessions (`framesDelivered + framesSkipped` = the offers).
 *
 * Memory: one entry per session the server state set playing and has not dropped; the server
 * state caps sessions (`maxSessions`).
 *
 * @module
 */

import type { SessionTransport } from "./server_state.ts";

export type { SessionTransport };

/** Settings of a {@linkcode StreamDelivery}. */
export interface StreamDeliveryOptions {
  /**
   * A TCP session gets a new frame only while its connection holds fewer unsent bytes than this;
   * default {@linkcode DEFAULT_MAX_BACKLOG_BYTES}.
   */
  maxBacklogBytes?: number;
  /**
   * A TCP session that has skipped every frame for this long is stalled (its connection is
   * closed); default {@linkcode DEFAULT_MAX_STALL_MS}.
   */
  maxStallMs?: number;
  /** Time between sender reports to one session; default {@linkcode DEFAULT_SENDER_REPORT_MS}. */
  senderReportIntervalMs?: number;
}

/**
 * Default backlog bound: a few frames of 720p at usual qualities, beyond what the kernel's send
 * buffer already holds, so a client on a slow link still gets every frame it can take.
 */
export const DEFAULT_MAX_BACKLOG_BYTES = 512 * 1024;
/** Default stall limit: long enough for a player that pauses reading while it buffers. */
export const DEFAULT_MAX_STALL_MS = 10_000;
/** Default sender report interval: RFC 3550's recommended minimum of 5 s. */
export const DEFAULT_SENDER_REPORT_MS = 5_000;

/** A session that gets a frame, and where it goes. */
export interface DeliveryTarget {
  /** The session. */
  sessionId: string;
  /** Where its packets go. */
  transport: SessionTransport;
}

/** A sender report due to a session. */
export interface DueReport extends DeliveryTarget {
  /** RTP packets sent to this session, modulo 2^32. */
  packetCount: number;
  /** RTP payload octets sent to this session, modulo 2^32. */
  octetCount: number;
}

/** What one session has had. */
export interface DeliveryClient {
  /** The session. */
  sessionId: string;
  /** Where its packets go. */
  transport: SessionTransport;
  /** Whether it plays now (false while paused). */
  playing: boolean;
  /** Frames sent to it. */
  framesSent: number;
  /** Frames it skipped (its connection was still busy with earlier ones). */
  framesSkipped: number;
  /** RTP packets sent to it. */
  packetsSent: number;
  /** RTP payload octets sent to it. */
  octetsSent: number;
  /** Sender reports sent to it. */
  senderReports: number;
}

/** Totals of a {@linkcode StreamDelivery}. */
export interface StreamDeliveryCounters {
  /** Frames offered with {@linkcode StreamDelivery.frame}. */
  framesOffered: number;
  /** Sends of a frame to a session, summed over sessions. */
  framesDelivered: number;
  /** Frames skipped by a session, summed over sessions. */
  framesSkipped: number;
  /** Connections reported stalled. */
  stalledConnections: number;
  /** Sender reports due, summed over sessions. */
  senderReports: number;
}

interface SessionEntry {
  sessionId: string;
  transport: SessionTransport;
  playing: boolean;
  framesSent: number;
  framesSkipped: number;
  packetsSent: number;
  octetsSent: number;
  senderReports: number;
  /** When the next sender report is due; null before the first frame. */
  nextReportMs: number | null;
  /** Since when every frame was skipped; null while frames go out. */
  skippingSinceMs: number | null;
}

/**
 * The delivery policy of the RTSP stream; see the module documentation.
 *
 * @example A TCP client that stops reading skips frames, then is reported stalled
 * ```ts
 * import { StreamDelivery } from "./stream_delivery.ts";
 *
 * const delivery = new StreamDelivery({ maxBacklogBytes: 1000, maxStallMs: 5000 });
 * delivery.play("a", { lower: "tcp", connectionId: 1, rtpChannel: 0, rtcpChannel: 1 });
 * let unsent = 0;
 * const frame = { packets: 2, payloadOctets: 2000 };
 * const first = delivery.frame(frame, 0, () => unsent);
 * unsent += 2000; // the client reads nothing
 * const second = delivery.frame(frame, 100, () => unsent);
 * if (first.length !== 1 || second.length !== 0) throw new Error("not latest-wins");
 * if (delivery.stalled(5100).join() !== "1") throw new Error("the stall was not reported");
 * ```
 */
export class StreamDelivery {
  readonly #maxBacklogBytes: number;
  readonly #maxStallMs: number;
  readonly #reportIntervalMs: number;
  readonly #sessions = new Map<string, SessionEntry>();
  readonly #counters: StreamDeliveryCounters = {
    framesOffered: 0,
    framesDelivered: 0,
    framesSkipped: 0,
    stalledConnections: 0,
    senderReports: 0,
  };

  /**
   * A policy with no sessions.
   *
   * @param options Backlog bound, stall limit and report interval (defaults in the module doc).
   */
  constructor(options: StreamDeliveryOptions = {}) {
    this.#maxBacklogBytes = options.maxBacklogBytes ?? DEFAULT_MAX_BACKLOG_BYTES;
    this.#maxStallMs = options.maxStallMs ?? DEFAULT_MAX_STALL_MS;
    this.#reportIntervalMs = options.senderReportIntervalMs ?? DEFAULT_SENDER_REPORT_MS;
  }

  /** Totals since construction (a copy). */
  get counters(): StreamDeliveryCounters {
    return { ...this.#counters };
  }

  /** Sessions playing now. */
  get playingCount(): number {
    let count = 0;
    for (const session of this.#sessions.values()) if (session.playing) count++;
    return count;
  }

  /**
   * Starts (or, after {@linkcode pause}, resumes) sending frames to `sessionId` over
   * `transport`, from the next frame. A resumed session keeps its counts.
   */
  play(sessionId: string, transport: SessionTransport): void {
    const existing = this.#sessions.get(sessionId);
    if (existing !== undefined) {
      existing.playing = true;
      existing.transport = { ...transport };
      existing.skippingSinceMs = null;
      return;
    }
    this.#sessions.set(sessionId, {
      sessionId,
      transport: { ...transport },
      playing: true,
      framesSent: 0,
      framesSkipped: 0,
      packetsSent: 0,
      octetsSent: 0,
      senderReports: 0,
      nextReportMs: null,
      skippingSinceMs: null,
    });
  }

  /** Stops sending to `sessionId`, keeping its counts. Unknown ids are ignored. */
  pause(sessionId: string): void {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return;
    session.playing = false;
    session.skippingSinceMs = null;
  }

  /** Forgets `sessionId`. Unknown ids are ignored. */
  drop(sessionId: string): void {
    this.#sessions.delete(sessionId);
  }

  /**
   * Offers a frame of `frame.packets` RTP packets carrying `frame.payloadOctets` payload octets
   * at `nowMs`. Returns the sessions that get it; `unsentBytes(connectionId)` says what a TCP
   * session's connection still holds.
   */
  frame(
    frame: { packets: number; payloadOctets: number },
    nowMs: number,
    unsentBytes: (connectionId: number) => number,
  ): DeliveryTarget[] {
    this.#counters.framesOffered++;
    const targets: DeliveryTarget[] = [];
    for (const session of this.#sessions.values()) {
      if (!session.playing) continue;
      const transport = session.transport;
      if (
        transport.lower === "tcp" && unsentBytes(transport.connectionId) >= this.#maxBacklogBytes
      ) {
        session.framesSkipped++;
        session.skippingSinceMs ??= nowMs;
        this.#counters.framesSkipped++;
        continue;
      }
      session.framesSent++;
      session.packetsSent = (session.packetsSent + frame.packets) >>> 0;
      session.octetsSent = (session.octetsSent + frame.payloadOctets) >>> 0;
      session.skippingSinceMs = null;
      // The first report goes right after the first frame: players map time from the start.
      session.nextReportMs ??= nowMs;
      this.#counters.framesDelivered++;
      targets.push({ sessionId: session.sessionId, transport: { ...transport } });
    }
    return targets;
  }

  /** The playing sessions due a sender report at `nowMs`; each is due again an interval later. */
  dueReports(nowMs: number): DueReport[] {
    const due: DueReport[] = [];
    for (const session of this.#sessions.values()) {
      if (!session.playing || session.nextReportMs === null || nowMs < session.nextReportMs) {
        continue;
      }
      session.nextReportMs = nowMs + this.#reportIntervalMs;
      session.senderReports++;
      this.#counters.senderReports++;
      due.push({
        sessionId: session.sessionId,
        transport: { ...session.transport },
        packetCount: session.packetsSent,
        octetCount: session.octetsSent,
      });
    }
    return due;
  }

  /**
   * The connections whose TCP sessions have skipped every frame for `maxStallMs` at `nowMs`, each
   * once (its sessions stop skipping-time until they get a frame again, or are dropped).
   */
  stalled(nowMs: number): number[] {
    const connections = new Set<number>();
    for (const session of this.#sessions.values()) {
      const since = session.skippingSinceMs;
      if (session.transport.lower !== "tcp" || since === null) continue;
      if (nowMs - since < this.#maxStallMs) continue;
      session.skippingSinceMs = null;
      connections.add(session.transport.connectionId);
    }
    this.#counters.stalledConnections += connections.size;
    return [...connections];
  }

  /** What every known session has had (a snapshot). */
  clients(): DeliveryClient[] {
    return [...this.#sessions.values()].map((session) => ({
      sessionId: session.sessionId,
      transport: { ...session.transport },
      playing: session.playing,
      framesSent: session.framesSent,
      framesSkipped: session.framesSkipped,
      packetsSent: session.packetsSent,
      octetsSent: session.octetsSent,
      senderReports: session.senderReports,
    }));
  }
}
