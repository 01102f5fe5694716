import { deepStrictEqual } from "node:assert/strict";
import type { RtspServerCounters, RtspSessionInfo } from "./server_state.ts";
import { RtspServerState } from "./server_state.ts";
import { rtspStatsRecord } from "./stats_record.ts";
import { StreamDelivery } from "./stream_delivery.ts";

const FRAMES = { received: 5, replaced: 1, unwatched: 1, packetized: 3, reencoded: 0, unfit: {} };
const SOCKETS = {
  tcpBytesWritten: 10,
  tcpBytesQueued: 0,
  slowClientCloses: 0,
  udpDatagramsSent: 6,
  udpSendErrors: 0,
  rtpPortDatagrams: 2,
};

function session(overrides: Partial<RtspSessionInfo>): RtspSessionInfo {
  return {
    id: "s",
    state: "playing",
    transport: { lower: "udp", host: "127.0.0.1", rtpPort: 5000, rtcpPort: 5001 },
    connectionId: 1,
    username: null,
    createdMs: 0,
    lastSeenMs: 0,
    reception: null,
    receiverReports: 0,
    ...overrides,
  };
}

Deno.test("rtspStatsRecord joins sessions with what each was sent and what its reports say", () => {
  const server: RtspServerCounters = new RtspServerState({
    random: (n) => new Uint8Array(n),
    ssrc: 1,
  }).counters;
  const delivery = new StreamDelivery();
  delivery.play("u", { lower: "udp", host: "127.0.0.1", rtpPort: 5000, rtcpPort: 5001 });
  delivery.frame({ packets: 4, payloadOctets: 4000 }, 0, () => 0);
  const record = rtspStatsRecord({
    sessions: [
      session({
        id: "u",
        username: "cam",
        receiverReports: 2,
        reception: {
          fractionLost: 1 / 256,
          cumulativeLost: 3,
          extendedHighestSequence: 100,
          jitterMs: 1.23456,
          roundTripMs: 0.40001,
        },
      }),
      session({
        id: "t",
        state: "ready",
        connectionId: 2,
        transport: { lower: "tcp", connectionId: 2, rtpChannel: 0, rtcpChannel: 1 },
      }),
    ],
    clients: delivery.clients(),
    peers: new Map([[1, "127.0.0.1:40000"], [2, "127.0.0.1:40002"]]),
    connections: 2,
    server,
    auth: null,
    delivery: delivery.counters,
    frames: FRAMES,
    sockets: SOCKETS,
  });
  deepStrictEqual(record.clients, [
    {
      session: "u",
      transport: "udp",
      peer: "127.0.0.1:40000",
      state: "playing",
      user: "cam",
      framesSent: 1,
      framesSkipped: 0,
      packetsSent: 4,
      senderReports: 0,
      receiverReports: 2,
      fractionLost: 0.004,
      cumulativeLost: 3,
      jitterMs: 1.235,
      roundTripMs: 0.4,
    },
    {
      session: "t",
      transport: "tcp",
      peer: "127.0.0.1:40002",
      state: "ready",
      user: null,
      framesSent: 0,
      framesSkipped: 0,
      packetsSent: 0,
      senderReports: 0,
      receiverReports: 0,
      fractionLost: null,
      cumulativeLost: null,
      jitterMs: null,
      roundTripMs: null,
    },
  ]);
  deepStrictEqual(record.counters.frames, FRAMES);
  deepStrictEqual(record.counters.sockets, SOCKETS);
  deepStrictEqual(record.counters.delivery.framesDelivered, 1);
  deepStrictEqual(record.counters.server, server);
  deepStrictEqual(record.counters.connections, 2);
});
