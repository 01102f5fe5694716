import { deepStrictEqual, equal } from "node:assert/strict";
import { Prng } from "../netsim/mod.ts";
import type { SessionTransport } from "./server_state.ts";
import { StreamDelivery } from "./stream_delivery.ts";

const UDP: SessionTransport = { lower: "udp", host: "127.0.0.1", rtpPort: 5000, rtcpPort: 5001 };
const tcp = (connectionId: number, rtpChannel = 0): SessionTransport => ({
  lower: "tcp",
  connectionId,
  rtpChannel,
  rtcpChannel: rtpChannel + 1,
});
const FRAME = { packets: 3, payloadOctets: 3000 };

Deno.test("StreamDelivery: who gets a frame, by transport and backlog", () => {
  // [case, transport, unsent bytes of its connection, gets the frame]
  const table: [string, SessionTransport, number, boolean][] = [
    ["UDP always", UDP, 10_000_000, true],
    ["TCP with an empty backlog", tcp(1), 0, true],
    ["TCP just under the bound", tcp(1), 999, true],
    ["TCP at the bound", tcp(1), 1000, false],
    ["TCP far over the bound", tcp(1), 50_000, false],
  ];
  for (const [name, transport, unsent, gets] of table) {
    const delivery = new StreamDelivery({ maxBacklogBytes: 1000 });
    delivery.play("s", transport);
    const targets = delivery.frame(FRAME, 0, () => unsent);
    equal(targets.length, gets ? 1 : 0, name);
    const [client] = delivery.clients();
    equal(client.framesSent, gets ? 1 : 0, name);
    equal(client.framesSkipped, gets ? 0 : 1, name);
    equal(client.packetsSent, gets ? 3 : 0, name);
    equal(client.octetsSent, gets ? 3000 : 0, name);
  }
});

Deno.test("StreamDelivery: a slow TCP session skips alone; the others get every frame", () => {
  const delivery = new StreamDelivery({ maxBacklogBytes: 1000 });
  delivery.play("udp", UDP);
  delivery.play("fast", tcp(1));
  delivery.play("slow", tcp(2));
  const unsent = new Map([[1, 0], [2, 0]]);
  for (let frame = 0; frame < 10; frame++) {
    const targets = delivery.frame(FRAME, frame * 100, (id) => unsent.get(id)!);
    // Connection 2 never drains; connection 1 drains between frames.
    for (const target of targets) {
      if (target.transport.lower === "tcp" && target.transport.connectionId === 2) {
        unsent.set(2, unsent.get(2)! + FRAME.payloadOctets);
      }
    }
  }
  const byId = Object.fromEntries(delivery.clients().map((c) => [c.sessionId, c]));
  equal(byId.udp.framesSent, 10);
  equal(byId.fast.framesSent, 10);
  equal(byId.slow.framesSent, 1);
  equal(byId.slow.framesSkipped, 9);
  deepStrictEqual(delivery.counters, {
    framesOffered: 10,
    framesDelivered: 21,
    framesSkipped: 9,
    stalledConnections: 0,
    senderReports: 0,
  });
});

Deno.test("StreamDelivery: a session skipping for maxStallMs is stalled once; a frame resets it", () => {
  const delivery = new StreamDelivery({ maxBacklogBytes: 1000, maxStallMs: 5000 });
  delivery.play("a", tcp(7));
  delivery.play("b", tcp(7, 2));
  let unsent = 5000;
  delivery.frame(FRAME, 1000, () => unsent); // both start skipping at 1000
  deepStrictEqual(delivery.stalled(5999), []);
  deepStrictEqual(delivery.stalled(6000), [7]); // one connection, for both sessions
  deepStrictEqual(delivery.stalled(20_000), []); // reported once
  delivery.frame(FRAME, 21_000, () => unsent); // skipping again from 21000
  unsent = 0;
  delivery.frame(FRAME, 22_000, () => unsent); // got a frame: no longer skipping
  deepStrictEqual(delivery.stalled(40_000), []);
  equal(delivery.counters.stalledConnections, 1);
  // A paused session is not stalled, and UDP sessions never are.
  const other = new StreamDelivery({ maxBacklogBytes: 1, maxStallMs: 10 });
  other.play("p", tcp(1));
  other.play("u", UDP);
  other.frame(FRAME, 0, () => 100);
  other.pause("p");
  deepStrictEqual(other.stalled(1000), []);
});

Deno.test("StreamDelivery: sender reports after the first frame, then every interval, with own counts", () => {
  const delivery = new StreamDelivery({ senderReportIntervalMs: 5000 });
  delivery.play("a", UDP);
  deepStrictEqual(delivery.dueReports(0), [], "nothing sent yet");
  delivery.frame(FRAME, 100, () => 0);
  deepStrictEqual(delivery.dueReports(100), [
    { sessionId: "a", transport: UDP, packetCount: 3, octetCount: 3000 },
  ]);
  deepStrictEqual(delivery.dueReports(5099), []);
  delivery.play("b", tcp(1));
  delivery.frame(FRAME, 5100, () => 0);
  const due = delivery.dueReports(5100);
  deepStrictEqual(due.map((d) => [d.sessionId, d.packetCount]), [["a", 6], ["b", 3]]);
  delivery.pause("a");
  deepStrictEqual(delivery.dueReports(20_000).map((d) => d.sessionId), ["b"]);
  delivery.drop("b");
  deepStrictEqual(delivery.dueReports(40_000), []);
  equal(delivery.counters.senderReports, 4);
  deepStrictEqual(delivery.clients().map((c) => [c.sessionId, c.playing]), [["a", false]]);
});

Deno.test("StreamDelivery: counts wrap at 2^32 as RTCP carries them", () => {
  const delivery = new StreamDelivery();
  delivery.play("a", UDP);
  delivery.frame({ packets: 2 ** 32 - 1, payloadOctets: 2 ** 32 - 10 }, 0, () => 0);
  delivery.frame({ packets: 3, payloadOctets: 20 }, 1, () => 0);
  const [client] = delivery.clients();
  equal(client.packetsSent, 2);
  equal(client.octetsSent, 10);
});

Deno.test("StreamDelivery fuzz: every offer to a playing session is sent or skipped", () => {
  const rounds = Math.max(1, Number(Deno.env.get("UDPCAM_FUZZ_ROUNDS") ?? 50) || 50);
  for (let round = 0; round < rounds; round++) {
    const prng = new Prng(round + 1);
    const delivery = new StreamDelivery({ maxBacklogBytes: prng.int(1, 5000), maxStallMs: 300 });
    const unsent = new Map<number, number>();
    const ids = ["a", "b", "c", "d", "e"];
    /** Offers each session saw while playing, counted independently of the delivery. */
    const offered = new Map<string, number>();
    const playing = new Set<string>();
    let totalOffers = 0;
    let frames = 0;
    for (let step = 0, nowMs = 0; step < 400; step++, nowMs += prng.int(0, 50)) {
      const id = ids[prng.int(0, ids.length - 1)];
      const action = prng.int(0, 9);
      if (action === 0) {
        const connection = prng.int(1, 3);
        delivery.play(id, prng.int(0, 1) === 0 ? UDP : tcp(connection));
        playing.add(id);
      } else if (action === 1) {
        delivery.pause(id);
        playing.delete(id);
      } else if (action === 2) {
        delivery.drop(id);
        playing.delete(id);
        offered.delete(id);
      } else if (action === 3) {
        unsent.set(prng.int(1, 3), prng.int(0, 10_000));
      } else if (action === 4) {
        delivery.stalled(nowMs);
        delivery.dueReports(nowMs);
      } else {
        for (const playingId of playing) offered.set(playingId, (offered.get(playingId) ?? 0) + 1);
        totalOffers += playing.size;
        frames++;
        delivery.frame({ packets: 1, payloadOctets: 1 }, nowMs, (c) => unsent.get(c) ?? 0);
      }
    }
    for (const client of delivery.clients()) {
      equal(client.framesSent + client.framesSkipped, offered.get(client.sessionId) ?? 0);
      equal(client.packetsSent, client.framesSent);
    }
    const counters = delivery.counters;
    equal(counters.framesDelivered + counters.framesSkipped, totalOffers);
    equal(counters.framesOffered, frames);
  }
});
