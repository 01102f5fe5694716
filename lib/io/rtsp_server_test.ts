/**
 * The RTSP server adapter on loopback with raw clients (tests/support/rtsp_client.ts): frames
 * arrive whole over TCP and UDP with sender reports, a client that never reads skips frames alone
 * and is closed, hostile connections get a status or a close, and unfit frames are skipped or
 * re-encoded. Real players (ffmpeg, GStreamer, VLC) are in tests/rtsp_test.ts.
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { parseJpeg } from "../jpeg/mod.ts";
import { parseRtcp, RtpJpegDepacketizer } from "../wire/rtp/mod.ts";
import { RawRtspClient, rtpMarker } from "../../tests/support/rtsp_client.ts";
import { testsrcJpegs } from "../../tests/support/ffmpeg_frames.ts";
import { RtspServer, type RtspServerStartOptions } from "./rtsp_server.ts";

const FRAMES = await testsrcJpegs(6, "320x240");
/** The same frames with ffmpeg's default (optimal) Huffman tables: RFC 2435 cannot carry them. */
const UNFIT = await testsrcJpegs(2, "320x240", ["-pix_fmt", "yuvj420p"]);
const FRAME_INTERVAL_MS = 20;

interface Running {
  server: RtspServer;
  url: string;
  log: string[];
  /** Offers frames every 20 ms until stopped. */
  stopFrames: () => Promise<void>;
}

function serve(
  overrides: Partial<RtspServerStartOptions> = {},
  frames: Uint8Array[] = FRAMES,
): Running {
  const log: string[] = [];
  const server = RtspServer.start({
    hostname: "127.0.0.1",
    port: 0,
    path: "/udpcam",
    users: [],
    program: "udpcam-test",
    origin: "received",
    log: (line) => log.push(line),
    framesPerSecond: 50,
    ...overrides,
  });
  let index = 0;
  const timer = setInterval(() => {
    server.offer(frames[index % frames.length], Date.now() * 1000);
    index++;
  }, FRAME_INTERVAL_MS);
  return {
    server,
    url: `rtsp://127.0.0.1:${server.address.port}/udpcam`,
    log,
    stopFrames: async () => {
      clearInterval(timer);
      await server.idle();
    },
  };
}

async function stop(running: Running, ...clients: RawRtspClient[]): Promise<void> {
  await running.stopFrames();
  for (const client of clients) client.close();
  await running.server.close();
}

function scanOf(jpeg: Uint8Array): Uint8Array {
  const parsed = parseJpeg(jpeg);
  if (!parsed.ok) throw new Error(parsed.reason);
  return jpeg.subarray(parsed.info.scanStart, parsed.info.scanEnd);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

Deno.test("RtspServer over TCP: whole frames with the source's scan data, and a sender report", async () => {
  const running = serve();
  const client = await RawRtspClient.connect(running.url);
  try {
    const play = await client.playTcp();
    equal(play.status, 200);
    ok(play.headers.get("rtp-info")?.includes("seq="), "PLAY says where the stream starts");
    const frames = await client.readFrames(5);
    const depacketizer = new RtpJpegDepacketizer();
    const rebuilt = frames.filter((f) => f.channel === 0).map((f) =>
      depacketizer.push(f.payload, 0)
    ).filter((frame) => frame !== null);
    ok(rebuilt.length >= 5, `${rebuilt.length} frames`);
    const sources = FRAMES.map(scanOf);
    for (const frame of rebuilt) {
      ok(sources.some((scan) => sameBytes(scan, scanOf(frame.bytes))), "a scan the source had");
    }
    const reports = frames.filter((f) => f.channel === 1).map((f) => parseRtcp(f.payload));
    ok(reports.length >= 1, "a sender report right after the first frame");
    const [report] = reports;
    ok(report.ok && report.packets[0].type === "sr");
    equal(report.packets[0].ssrc, running.server.ssrc);
    const stats = running.server.stats();
    equal(stats.clients.length, 1);
    equal(stats.clients[0].transport, "tcp");
    ok(stats.clients[0].framesSent >= 5);
    equal(stats.counters.server.sessionsCreated, 1);
  } finally {
    await stop(running, client);
  }
});

Deno.test("RtspServer over UDP: RTP to client_port, a sender report to the next port, receiver reports counted", async () => {
  const running = serve();
  const rtp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const rtcp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const client = await RawRtspClient.connect(running.url);
  try {
    const rtpPort = (rtp.addr as Deno.NetAddr).port;
    const rtcpPort = (rtcp.addr as Deno.NetAddr).port;
    const play = await client.playUdp(rtpPort, rtcpPort);
    equal(play.status, 200);
    let markers = 0;
    for (let i = 0; i < 2000 && markers < 3; i++) {
      const [packet] = await rtp.receive();
      if (rtpMarker(packet)) markers++;
    }
    equal(markers, 3);
    const [srBytes, from] = await rtcp.receive();
    const sr = parseRtcp(srBytes);
    ok(sr.ok && sr.packets[0].type === "sr", "a sender report");
    equal((from as Deno.NetAddr).port, running.server.udpPorts.rtcpPort);
    // A receiver report about the stream: RR, SSRC of the reporter, one block about ours.
    const rr = new Uint8Array(32);
    const view = new DataView(rr.buffer);
    view.setUint8(0, 0x81); // V=2, RC=1
    view.setUint8(1, 201); // RR
    view.setUint16(2, 7); // 8 words - 1
    view.setUint32(4, 0xabcdef01); // reporter
    view.setUint32(8, running.server.ssrc);
    view.setUint32(12, (64 << 24) | 5); // a quarter lost, 5 cumulative
    view.setUint32(16, 1000); // highest sequence
    view.setUint32(20, 90); // jitter: 1 ms at 90 kHz
    await rtcp.send(rr, {
      transport: "udp",
      hostname: "127.0.0.1",
      port: running.server.udpPorts.rtcpPort,
    });
    let client0 = running.server.stats().clients[0];
    for (let i = 0; i < 100 && client0.receiverReports === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      client0 = running.server.stats().clients[0];
    }
    equal(client0.receiverReports, 1);
    equal(client0.fractionLost, 0.25);
    equal(client0.cumulativeLost, 5);
    equal(client0.jitterMs, 1);
    equal(client0.transport, "udp");
    ok(running.server.stats().counters.sockets.udpDatagramsSent > 0);
  } finally {
    await stop(running, client);
    rtp.close();
    rtcp.close();
  }
});

Deno.test("RtspServer: a client that never reads skips frames alone, memory bounded, then is closed", async () => {
  // Frames of 300 KB at 50 fps fill loopback's kernel buffers within a second or two.
  const big = await testsrcJpegs(2, "1280x720", [
    "-huffman",
    "default",
    "-q:v",
    "1",
    "-pix_fmt",
    "yuvj420p",
  ]);
  const running = serve({ delivery: { maxBacklogBytes: 256 * 1024, maxStallMs: 1500 } }, big);
  const reader = await RawRtspClient.connect(running.url);
  const stalled = await RawRtspClient.connect(running.url);
  try {
    equal((await stalled.playTcp()).status, 200);
    equal((await reader.playTcp()).status, 200);
    // The reader keeps reading; the stalled client reads nothing more, ever.
    const until = Date.now() + 5000;
    let maxQueued = 0;
    const watching = (async () => {
      while (Date.now() < until) {
        maxQueued = Math.max(maxQueued, running.server.stats().counters.sockets.tcpBytesQueued);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const frames = await reader.countFrames(until);
    await watching;
    const stats = running.server.stats();
    // ~250 frames were offered; the reader got nearly all (frames replaced while busy aside).
    ok(frames >= 100, `the reader got ${frames} frames`);
    equal(stats.counters.sockets.slowClientCloses, 1, JSON.stringify(stats.counters));
    equal(stats.counters.delivery.stalledConnections, 1);
    ok(stats.counters.delivery.framesSkipped > 0);
    // Bounded: the backlog bound plus one frame per connection, whatever the kernel held.
    const frameBytes = Math.max(...big.map((f) => f.length));
    ok(maxQueued <= 2 * (256 * 1024 + frameBytes), `queued up to ${maxQueued} bytes`);
  } finally {
    await stop(running, reader, stalled);
  }
});

Deno.test("RtspServer: hostile connections get a status or a close; the stream goes on", async () => {
  const running = serve({ state: { maxConnections: 8 } });
  const viewer = await RawRtspClient.connect(running.url);
  const extra: Deno.Conn[] = [];
  try {
    equal((await viewer.playTcp()).status, 200);
    // A huge header: 431 and closed.
    const huge = await RawRtspClient.connect(running.url);
    await huge.writeRaw(
      `OPTIONS ${running.url} RTSP/1.0\r\nCSeq: 1\r\nX-Junk: ${"a".repeat(20_000)}\r\n`,
    );
    const tooLarge = await huge.readResponse().catch(() => null);
    equal(tooLarge?.status, 431);
    // Garbage: 400 and closed.
    const garbage = await RawRtspClient.connect(running.url);
    await garbage.writeRaw("\x16\x03\x01\x02\x00 not RTSP at all\r\n\r\n");
    equal((await garbage.readResponse()).status, 400);
    huge.close();
    garbage.close();
    // Many more connections than the cap: the ones past it get 503 and are closed.
    for (let i = 0; i < 60; i++) {
      extra.push(await Deno.connect({ hostname: "127.0.0.1", port: running.server.address.port }));
    }
    // The ones under the cap stay open and silent: each read gives up after a while.
    const answers = await Promise.all(extra.map(async (conn) => {
      const buffer = new Uint8Array(512);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const quiet = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), 3000));
      const n = await Promise.race([conn.read(buffer).catch(() => null), quiet]);
      clearTimeout(timer);
      return n === null ? "" : new TextDecoder().decode(buffer.subarray(0, n));
    }));
    const refused = answers.filter((text) => text.startsWith("RTSP/1.0 503")).length;
    ok(refused >= 50, `${refused} refused`);
    // The viewer still gets frames.
    const frames = await viewer.readFrames(5);
    ok(frames.filter((f) => f.channel === 0 && rtpMarker(f.payload)).length >= 5);
    const counters = running.server.stats().counters.server;
    ok(counters.connectionsRefused >= 50);
    equal(counters.responses[431], 1);
    equal(counters.responses[400], 1);
  } finally {
    for (const conn of extra) {
      try {
        conn.close();
      } catch { /* closed by the server */ }
    }
    await stop(running, viewer);
  }
});

Deno.test("RtspServer: unfit frames are skipped with one line, or re-encoded when it can", async () => {
  const skipped = serve({}, UNFIT);
  const client = await RawRtspClient.connect(skipped.url);
  try {
    equal((await client.playTcp()).status, 200);
    for (
      let i = 0;
      i < 100 && (skipped.server.stats().counters.frames.unfit.huffmanTables ?? 0) < 3;
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const frames = skipped.server.stats().counters.frames;
    ok((frames.unfit.huffmanTables ?? 0) >= 3, JSON.stringify(frames));
    equal(frames.packetized, 0);
    equal(skipped.log.length, 1);
    ok(skipped.log[0].includes("RFC 2435 cannot carry"), skipped.log[0]);
  } finally {
    await stop(skipped, client);
  }
  // A re-encoder that returns carriable frames: they go out, counted as re-encoded.
  let index = 0;
  const fitted = serve({ reencode: () => Promise.resolve(FRAMES[index++ % FRAMES.length]) }, UNFIT);
  const viewer = await RawRtspClient.connect(fitted.url);
  try {
    equal((await viewer.playTcp()).status, 200);
    const got = await viewer.readFrames(3);
    ok(got.filter((f) => f.channel === 0 && rtpMarker(f.payload)).length >= 3);
    const frames = fitted.server.stats().counters.frames;
    ok(frames.reencoded >= 3);
    deepStrictEqual(frames.unfit, {});
    deepStrictEqual(fitted.log, []);
  } finally {
    await stop(fitted, viewer);
  }
});
