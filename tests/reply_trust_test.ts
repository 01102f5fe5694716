/**
 * Issue #19 findings 5 and 9, through the real programs on loopback (127.0.0.0/8 is all loopback
 * on Linux, so 127.0.0.2 is another host here): who the sender takes NACKs from and whose budget
 * they spend, and where the receiver sends its NACKs. Each test runs a bounded attack script
 * beside the real stream.
 */

import { equal, ok } from "node:assert/strict";
import {
  decodeHeader,
  encodeLinkReport,
  encodeNack,
  Flags,
  fragmentFrame,
} from "../lib/wire/v1/mod.ts";
import { jsonLines, requireTool, startProgram, stopProgram } from "./support/programs.ts";

const FRAMES = 45;

function listen(hostname: string, port = 0): Deno.DatagramConn {
  return Deno.listenDatagram({ transport: "udp", hostname, port });
}

function portOf(conn: Deno.DatagramConn): number {
  return (conn.addr as Deno.NetAddr).port;
}

/**
 * What one socket saw of the stream: who sends it (replies go to that socket), frames by sequence
 * (fragment count), retransmissions.
 */
interface Seen {
  sender: Deno.NetAddr | null;
  streamId: number | null;
  frames: Map<number, number>;
  retransmissions: number;
}

/**
 * Receives on `conn` until it is closed, calling `onFrame` once per new frame of the stream
 * (at its first datagram seen) and counting retransmitted fragments.
 */
async function watchStream(
  conn: Deno.DatagramConn,
  onFrame: (frameSeq: number, fragmentCount: number, seen: Seen) => Promise<void>,
): Promise<Seen> {
  const seen: Seen = { sender: null, streamId: null, frames: new Map(), retransmissions: 0 };
  const buffer = new Uint8Array(65_536);
  // Bounded by the socket: closing it ends the loop.
  for (;;) {
    let datagram: Uint8Array;
    let from: Deno.Addr;
    try {
      [datagram, from] = await conn.receive(buffer);
    } catch {
      return seen;
    }
    const decoded = decodeHeader(datagram);
    if (!decoded.ok || decoded.header.type !== 0) continue;
    const { header } = decoded;
    seen.sender = from as Deno.NetAddr;
    seen.streamId = header.streamId;
    if ((header.flags & Flags.Retransmission) !== 0) {
      seen.retransmissions++;
      continue;
    }
    if (seen.frames.has(header.frameSeq)) continue;
    seen.frames.set(header.frameSeq, header.fragmentCount);
    await onFrame(header.frameSeq, header.fragmentCount, seen);
  }
}

function nackFor(seen: Seen, frameSeq: number, fragmentCount: number, first: number, count = 1) {
  return encodeNack({
    streamId: seen.streamId!,
    frameSeq,
    fragmentCount,
    ranges: [{ first, count }],
  });
}

/** A well-formed report of `streamId` saying 100 kbit/s arrived with 90 % loss. */
function hopelessReport(streamId: number, reportSeq: number): Uint8Array {
  return encodeLinkReport({
    streamId,
    reportSeq,
    intervalMs: 200,
    totalDatagramsReceived: 2 * (reportSeq + 1),
    totalDatagramsLost: 18 * (reportSeq + 1),
    totalFramesCompleted: 0,
    totalFramesLost: 6 * (reportSeq + 1),
    datagramsReceived: 2,
    datagramsLost: 18,
    framesCompleted: 0,
    framesLost: 6,
    bytesReceived: 2500,
    echoFrameSeq: 0xffff_fff0,
    echoCaptureUsLow: 0,
    holdUs: 0,
    queueDelayUs: 0,
    delayTrendUsPerS: 0,
    delaySamples: 0,
  });
}

function startSender(destinations: number[]) {
  return startProgram("sender.ts", [
    ...["--test-pattern", "--size", "320x240", "--frames", String(FRAMES), "--stats-json"],
    ...destinations.flatMap((port) => ["--to", `127.0.0.1:${port}`]),
  ]);
}

Deno.test("finding 5: a NACK from another address on a destination's port is refused, not answered", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const receiver = listen("127.0.0.1");
  const port = portOf(receiver);
  // The attacker: another host (127.0.0.2) on the receiver's port.
  const forger = listen("127.0.0.2", port);
  let forged = 0;
  let forgedReports = 0;
  let real = 0;
  try {
    const sender = startSender([port]);
    const watching = watchStream(receiver, async (frameSeq, count, seen) => {
      // Every frame: the forger asks for fragment 0 from 127.0.0.2, and reports a hopeless link;
      // every third frame the real receiver asks for its last fragment, so the answering path is
      // shown to work.
      await forger.send(nackFor(seen, frameSeq, count, 0), seen.sender!);
      forged++;
      await forger.send(hopelessReport(seen.streamId!, forgedReports++), seen.sender!);
      if (frameSeq % 3 === 0) {
        await receiver.send(nackFor(seen, frameSeq, count, count - 1), seen.sender!);
        real++;
      }
    });
    const sent = await sender.done;
    equal(sent.code, 0, sent.stderr);
    receiver.close();
    const seen = await watching;
    const last = jsonLines(sent.stdout).at(-1) as {
      retransmit: { nacksReceived: number; nacksInvalid: number; datagramsRetransmitted: number };
      link: { state: string; targetMbps: number | null; reportsRefused: { stranger: number } };
    };
    // The forged reports were refused unread and changed nothing: no report was ever taken.
    equal(last.link.reportsRefused.stranger, forgedReports);
    equal(last.link.state, "waiting");
    equal(last.link.targetMbps, null);
    ok(forged > 10, `only ${forged} forged NACKs went out`);
    // Only the real receiver's NACKs were answered, one fragment each.
    equal(seen.retransmissions, last.retransmit.datagramsRetransmitted);
    ok(
      last.retransmit.datagramsRetransmitted <= real,
      `answered ${last.retransmit.datagramsRetransmitted} for ${real} real NACKs`,
    );
    ok(last.retransmit.datagramsRetransmitted > 0, "the real receiver's NACKs went unanswered");
    ok(
      last.retransmit.nacksInvalid >= forged,
      `refused ${last.retransmit.nacksInvalid} of ${forged} forged NACKs`,
    );
  } finally {
    try {
      receiver.close();
    } catch { /* closed */ }
    forger.close();
  }
});

Deno.test("finding 5: one destination's NACK flood does not spend another destination's budget", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const flooder = listen("127.0.0.1");
  const asker = listen("127.0.0.1");
  let asked = 0;
  try {
    const sender = startSender([portOf(flooder), portOf(asker)]);
    // Destination 0 asks for every fragment of every frame, 20 times, as soon as it sees it.
    const flooding = watchStream(flooder, async (frameSeq, count, seen) => {
      for (let i = 0; i < 20; i++) {
        await flooder.send(nackFor(seen, frameSeq, count, 0, count), seen.sender!);
      }
    });
    // Destination 1 asks for one fragment of every other frame.
    const asking = watchStream(asker, async (frameSeq, count, seen) => {
      if (frameSeq % 2 !== 0) return;
      await asker.send(nackFor(seen, frameSeq, count, frameSeq % count), seen.sender!);
      asked++;
    });
    const sent = await sender.done;
    equal(sent.code, 0, sent.stderr);
    // The last answers are on their way.
    await new Promise((resolve) => setTimeout(resolve, 300));
    flooder.close();
    asker.close();
    const [flooded, answered] = await Promise.all([flooding, asking]);
    ok(asked > 10, `only ${asked} NACKs asked`);
    ok(flooded.retransmissions > 0, "the flooder got nothing: the test shows nothing");
    // Before: the flood used the frame's 4 answers and the shared bucket first: 0 of 22 answered.
    ok(
      answered.retransmissions >= asked - 1,
      `destination 1 got ${answered.retransmissions} of the ${asked} fragments it asked for`,
    );
  } finally {
    for (const conn of [flooder, asker]) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }
});

Deno.test("finding 9: the receiver sends NACKs only to the stream's established source, rate-limited", async () => {
  const receiverPort = listen("127.0.0.1");
  const port = portOf(receiverPort);
  receiverPort.close();
  const receiver = startProgram("receiver.ts", [
    ...["--listen", `127.0.0.1:${port}`, "--headless", "--stats-json", "--duration", "30"],
  ]);
  const source = listen("127.0.0.1");
  const forger = listen("127.0.0.2");
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
  const STREAM = 0x5eed_0009;
  const counted = (conn: Deno.DatagramConn) => {
    const counts = { nacks: 0 };
    const done = (async () => {
      const buffer = new Uint8Array(2048);
      // Bounded by the socket: closing it ends the loop.
      for (;;) {
        try {
          const [datagram] = await conn.receive(buffer);
          if (datagram[3] === 2) counts.nacks++;
        } catch {
          return counts;
        }
      }
    })();
    return done;
  };
  try {
    await receiver.waitForStderr(/listening on 127\.0\.0\.1:\d+/);
    const atSource = counted(source);
    const atForger = counted(forger);
    let forged = 0;
    for (let seq = 0; seq < 60; seq++) {
      // The real stream: 4 fragments a frame; every fifth frame loses fragment 2 on the way.
      const frame = new Uint8Array(4000).fill(seq);
      const fragments = fragmentFrame(
        frame,
        { streamId: STREAM, frameSeq: seq, captureUs: 0 },
        1030,
      );
      for (const [index, datagram] of fragments.entries()) {
        if (seq % 5 === 0 && index === 2) continue;
        await source.send(datagram, to);
      }
      // The attack: 31-byte datagrams of the same stream from 127.0.0.2, each the second half of
      // a 2-byte frame just ahead of the real one, so the receiver asks for the first half.
      for (let k = 0; k < 17 && forged < 1000; k++, forged++) {
        const [, half] = fragmentFrame(new Uint8Array(2), {
          streamId: STREAM,
          frameSeq: seq + 1 + (k % 6),
          captureUs: 0,
        }, 31);
        equal(half.length, 31);
        await forger.send(half, to);
      }
      await new Promise((resolve) => setTimeout(resolve, 33));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stopped = await stopProgram(receiver);
    equal(stopped.code, 0, stopped.stderr);
    source.close();
    forger.close();
    const [real, attacker] = await Promise.all([atSource, atForger]);
    equal(forged, 1000);
    // Before: the forger got about two NACKs per forged datagram.
    equal(attacker.nacks, 0, "NACKs went to the forger");
    ok(real.nacks > 0, "the real source got no NACK for the fragments it lost");
    // 2.5 s of stream: at most the burst and 200 a second.
    ok(real.nacks <= 50 + 200 * 3, `${real.nacks} NACKs reached the source`);
  } finally {
    await stopProgram(receiver);
    for (const conn of [source, forger]) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }
});
