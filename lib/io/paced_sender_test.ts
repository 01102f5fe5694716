import { deepEqual, equal } from "node:assert/strict";
import { PacedSender } from "./paced_sender.ts";
import { MultiDestinationSender } from "./udp.ts";
import { createPacketizer } from "../wire/mod.ts";
import { Prng } from "../netsim/mod.ts";
import { enlargeReceiveBuffer } from "./socket_buffer.ts";
import { receiveUpTo } from "../../tests/support/udp.ts";

/** Sends `frames` through a PacedSender on `sink`; returns its counters and what arrived. */
async function run(frames: Uint8Array[], burst: boolean) {
  const receiver = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const { hostname, port } = receiver.addr as Deno.NetAddr;
  // As the receiver does: a burst of ~95 datagrams is more than Linux's default buffer holds.
  enlargeReceiveBuffer(port, false);
  const sockets = MultiDestinationSender.open([{ hostname, port }]);
  // Without sendBurst, the sender goes one datagram at a time.
  const sink = burst ? sockets : {
    send: (datagram: Uint8Array) => sockets.send(datagram),
    get sendErrors() {
      return sockets.sendErrors;
    },
  };
  try {
    const { packetizer } = createPacketizer({
      mode: "v1",
      streamId: 1,
      maxDatagramBytes: 1200,
      fec: null,
      history: null,
      nowMs: () => 0,
    });
    const sender = new PacedSender(packetizer, sink, 30);
    // Read while sending: a big frame's bursts overflow the default receive buffer otherwise.
    const receiving = receiveUpTo(receiver, Infinity);
    for (const [i, frame] of frames.entries()) {
      sender.offer(frame, i);
      await sender.idle();
    }
    return { counters: { ...sender.counters }, got: await receiving };
  } finally {
    sockets.close();
    receiver.close();
  }
}

Deno.test("PacedSender sends the same datagrams and counts the same with or without bursts", async () => {
  const random = new Prng(11);
  // 1 datagram, ~40 (one burst, more than a batch), ~190 (several paced bursts).
  const frames = [500, 46_000, 220_000].map((bytes) => {
    const frame = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) frame[i] = random.int(0, 255);
    return frame;
  });
  const oneByOne = await run(frames, false);
  const bursts = await run(frames, true);
  deepEqual(bursts.counters, oneByOne.counters);
  equal(bursts.counters.framesSent, frames.length);
  equal(bursts.got.length, bursts.counters.datagramsSent);
  deepEqual(bursts.got, oneByOne.got);
});

/** A sink that records the bursts it is given (their sizes), sending nothing. */
class BurstLog {
  readonly bursts: number[] = [];
  readonly sendErrors = 0;
  send(_datagram: Uint8Array): Promise<void> {
    this.bursts.push(1);
    return Promise.resolve();
  }
  sendBurst(datagrams: readonly Uint8Array[]): Promise<void> {
    this.bursts.push(datagrams.length);
    return Promise.resolve();
  }
}

Deno.test("PacedSender with a frame link: skips what it refuses, pads, bursts as the rate plans (table)", async () => {
  const frame = new Prng(3).bytes(46_000); // 40 datagrams of 1200 bytes at most
  const cases: {
    name: string;
    admit: boolean;
    padding: number;
    rateBps: number;
    bursts: number[];
    sent: number;
  }[] = [
    // Unbounded: the socket-buffer bursts of lib/send/pacing.ts, the whole frame at once.
    { name: "unbounded", admit: true, padding: 0, rateBps: Infinity, bursts: [40], sent: 1 },
    // 10 Mbit/s paced: the fewest datagrams that fill a 1 ms gap (1250 bytes): 2 at a time.
    {
      name: "10 Mbit/s",
      admit: true,
      padding: 0,
      rateBps: 10e6,
      bursts: new Array(20).fill(2),
      sent: 1,
    },
    { name: "refused", admit: false, padding: 0, rateBps: Infinity, bursts: [], sent: 0 },
    // 12 kB of padding: 10 parity datagrams more.
    { name: "padded", admit: true, padding: 12_000, rateBps: Infinity, bursts: [50], sent: 1 },
  ];
  for (const c of cases) {
    const { packetizer } = createPacketizer({
      mode: "v1",
      streamId: 1,
      maxDatagramBytes: 1200,
      fec: null,
      history: null,
      nowMs: () => 0,
      padding: true,
    });
    const log = new BurstLog();
    const asked: number[] = [];
    const told: number[] = [];
    const sender = new PacedSender(packetizer, log, 30, undefined, {
      estimateWireBytes: (jpegBytes) => jpegBytes + 1200,
      paddingBytes: () => c.padding,
      admit: (wireBytes) => {
        asked.push(wireBytes);
        return c.admit;
      },
      pacingRateBps: () => c.rateBps,
      sent: (datagrams, jpegBytes, admittedBytes) =>
        told.push(datagrams.length, jpegBytes, admittedBytes),
    });
    sender.offer(frame, 1);
    await sender.idle();
    deepEqual(log.bursts, c.bursts, c.name);
    equal(sender.counters.framesSent, c.sent, c.name);
    deepEqual(asked, [46_000 + 1200 + c.padding], c.name);
    deepEqual(
      told,
      c.sent === 0 ? [] : [c.bursts.reduce((a, b) => a + b, 0), 46_000, asked[0]],
      c.name,
    );
  }
});
