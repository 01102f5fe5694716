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
