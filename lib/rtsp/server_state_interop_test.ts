/**
 * Real players against {@linkcode RtspServerState} on loopback: ffmpeg and GStreamer pull the
 * stream over UDP and over TCP, with Digest authentication, and must decode frames. The sockets
 * are wired to the state machine by a few lines of test glue (not the product adapter): it obeys
 * the actions and sends RTP/JPEG from the existing packetizer, with an RTCP SR each second.
 *
 * @module
 */

import { equal, ok } from "node:assert/strict";
import { RtspAuthenticator } from "./auth.ts";
import { writeInterleavedFrame } from "./response.ts";
import { type RtspAction, RtspServerState, type SessionTransport } from "./server_state.ts";
import { RTP_HEADER_BYTES, RtpJpegPacketizer } from "../wire/rtp/mod.ts";
import { ntpFromUnixMs, writeSenderReport } from "../wire/rtp/mod.ts";
import { requireCommand, testsrcJpegs } from "../../tests/support/ffmpeg_frames.ts";

const HOST = "127.0.0.1";
const WIDTH = 320;
const HEIGHT = 240;
/** A run is given up after this long, whatever the player does. */
const RUN_LIMIT_MS = 30_000;

interface Served {
  url: string;
  server: RtspServerState;
  stop: () => Promise<void>;
}

/** Listens on loopback and runs the state machine; frames go out at 10 fps. */
function serve(frames: Uint8Array[]): Served {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const rtpSocket = Deno.listenDatagram({ transport: "udp", hostname: HOST, port: 0 });
  const rtcpSocket = Deno.listenDatagram({ transport: "udp", hostname: HOST, port: 0 });
  const packetizer = new RtpJpegPacketizer({ maxDatagramBytes: 1400 });
  const server = new RtspServerState({
    random: (n) => crypto.getRandomValues(new Uint8Array(n)),
    ssrc: packetizer.ssrc,
    auth: new RtspAuthenticator({
      users: [{ username: "udpcam", password: "s3cret" }],
      random: (n) => crypto.getRandomValues(new Uint8Array(n)),
    }),
    udpPorts: {
      rtpPort: (rtpSocket.addr as Deno.NetAddr).port,
      rtcpPort: (rtcpSocket.addr as Deno.NetAddr).port,
    },
    media: { framesPerSecond: 10, widthPx: WIDTH, heightPx: HEIGHT },
  });
  const connections = new Map<number, { conn: Deno.Conn; queue: Promise<unknown> }>();
  const playing = new Map<string, SessionTransport>();
  const readers: Promise<void>[] = [];
  const udpSends = new Set<Promise<number>>();
  const write = (connectionId: number, bytes: Uint8Array) => {
    const entry = connections.get(connectionId);
    if (entry) entry.queue = entry.queue.then(() => entry.conn.write(bytes)).catch(() => {});
  };
  const apply = (actions: RtspAction[]) => {
    for (const action of actions) {
      if (action.type === "send") write(action.connectionId, action.bytes);
      else if (action.type === "play") playing.set(action.sessionId, action.transport);
      else if (action.type === "pause" || action.type === "drop") playing.delete(action.sessionId);
      else {
        const entry = connections.get(action.connectionId);
        entry?.queue.then(() => entry.conn.close()).catch(() => {});
      }
    }
  };
  const send = (transport: SessionTransport, packet: Uint8Array, rtcp: boolean) => {
    if (transport.lower === "tcp") {
      write(
        transport.connectionId,
        writeInterleavedFrame(rtcp ? transport.rtcpChannel : transport.rtpChannel, packet),
      );
    } else {
      const sending = (rtcp ? rtcpSocket : rtpSocket).send(packet, {
        transport: "udp",
        hostname: transport.host,
        port: rtcp ? transport.rtcpPort : transport.rtpPort,
      }).catch(() => 0).finally(() => udpSends.delete(sending));
      udpSends.add(sending);
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      const { connectionId, actions } = server.open(
        { peerHost: (conn.remoteAddr as Deno.NetAddr).hostname, localHost: HOST },
        performance.now(),
      );
      connections.set(connectionId, { conn, queue: Promise.resolve() });
      apply(actions);
      readers.push((async () => {
        const buffer = new Uint8Array(4096);
        try {
          for (;;) {
            const n = await conn.read(buffer);
            if (n === null) break;
            apply(server.receive(connectionId, buffer.subarray(0, n), performance.now()));
          }
        } catch { /* reset by the peer */ }
        apply(server.closed(connectionId));
        connections.delete(connectionId);
      })());
    }
  })().catch(() => {});
  const rtcpReading = (async () => {
    for await (const [datagram, from] of rtcpSocket) {
      const { hostname, port } = from as Deno.NetAddr;
      apply(server.receiveUdpRtcp(hostname, port, datagram, performance.now()));
    }
  })().catch(() => {});
  // Players send NAT punches to the RTP port; they are read and ignored.
  const rtpReading = (async () => {
    for await (const _ of rtpSocket);
  })().catch(() => {});
  let frameIndex = 0;
  let packets = 0;
  let octets = 0;
  const startUs = Date.now() * 1000;
  const timer = setInterval(() => {
    const captureUs = startUs + frameIndex * 100_000;
    const datagrams = packetizer.packetize(frames[frameIndex % frames.length], captureUs);
    server.setStreamPosition({
      sequence: packetizer.nextSequence,
      rtpTime: packetizer.timestampFor(captureUs + 100_000),
    });
    for (const transport of playing.values()) {
      for (const packet of datagrams) send(transport, packet, false);
    }
    packets += datagrams.length;
    octets += datagrams.reduce((sum, d) => sum + d.length - RTP_HEADER_BYTES, 0);
    if (frameIndex % 10 === 0) {
      const report = writeSenderReport({
        ssrc: packetizer.ssrc,
        ntp: ntpFromUnixMs(Date.now()),
        rtpTimestamp: packetizer.timestampFor(captureUs),
        packetCount: packets,
        octetCount: octets,
        cname: "udpcam@test",
      });
      for (const transport of playing.values()) send(transport, report, true);
    }
    frameIndex++;
    apply(server.tick(performance.now()));
  }, 100);
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    url: `rtsp://udpcam:s3cret@${HOST}:${port}/udpcam`,
    server,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(udpSends);
      listener.close();
      rtpSocket.close();
      rtcpSocket.close();
      for (const { conn, queue } of connections.values()) {
        await queue;
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      // Every read and write has settled before the test ends.
      await Promise.all([accepting, rtcpReading, rtpReading, ...readers]);
      await Promise.all([...connections.values()].map((entry) => entry.queue));
    },
  };
}

async function run(command: string, args: string[]): Promise<Deno.CommandOutput> {
  const child = new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).spawn();
  const limit = setTimeout(() => child.kill("SIGKILL"), RUN_LIMIT_MS);
  try {
    return await child.output();
  } finally {
    clearTimeout(limit);
  }
}

const frames = await testsrcJpegs(10, `${WIDTH}x${HEIGHT}`);

for (const transport of ["udp", "tcp"]) {
  Deno.test(`ffmpeg pulls and decodes frames over ${transport}, with Digest`, async () => {
    await requireCommand("ffmpeg", ["-version"], "ffmpeg");
    const served = serve(frames);
    try {
      const output = await run("ffmpeg", [
        ...["-v", "error", "-nostdin", "-rtsp_transport", transport, "-i", served.url],
        ...["-frames:v", "5", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
      ]);
      const stderr = new TextDecoder().decode(output.stderr);
      ok(output.success, stderr);
      equal(output.stdout.length, 5 * WIDTH * HEIGHT, stderr);
      const counters = served.server.counters;
      equal(counters.responses[401], 1);
      equal(counters.sessionsCreated, 1);
    } finally {
      await served.stop();
    }
  });

  Deno.test(`GStreamer rtspsrc pulls and decodes frames over ${transport}, with Digest`, async () => {
    await requireCommand("gst-launch-1.0", ["--version"], "gstreamer1.0-tools");
    const served = serve(frames);
    try {
      const output = await run("gst-launch-1.0", [
        "-q",
        `rtspsrc`,
        `location=${served.url}`,
        `protocols=${transport}`,
        "!",
        "rtpjpegdepay",
        "!",
        "jpegdec",
        "!",
        "fakesink",
        "num-buffers=5",
      ]);
      const log = new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout);
      ok(output.success, log);
      const counters = served.server.counters;
      equal(counters.sessionsCreated, 1, log);
      ok((counters.requests.PLAY ?? 0) >= 1, log);
    } finally {
      await served.stop();
    }
  });
}
