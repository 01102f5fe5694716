import { deepEqual, equal, ok } from "node:assert/strict";
import { SealingSender } from "./sealing_sender.ts";
import { MultiDestinationSender } from "./udp.ts";
import { DatagramOpener, DatagramSealer } from "../crypto/mod.ts";
import { createPacketizer } from "../wire/mod.ts";
import { Prng } from "../netsim/mod.ts";
import { receiveUpTo } from "../../tests/support/udp.ts";

const KEY = "correct horse battery staple";
/** Few PBKDF2 rounds: the test is about sending, not key strength. */
const ITERATIONS = 1000;

/** Opens `sealed`, waiting (at most 2 s) for the opener to derive the session key. */
async function openAll(opener: DatagramOpener, sealed: Uint8Array[]): Promise<Uint8Array[]> {
  const opened: Uint8Array[] = [];
  for (const datagram of sealed) {
    const deadline = performance.now() + 2000;
    for (;;) {
      const result = await opener.open(datagram, performance.now());
      if (result.ok) {
        opened.push(result.datagram);
        break;
      }
      ok(result.reason === "keyPending" && performance.now() < deadline, result.reason);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  return opened;
}

Deno.test("SealingSender.sendBurst seals each datagram once, in order, and sends them all", async () => {
  const receiver = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const { hostname, port } = receiver.addr as Deno.NetAddr;
  const sockets = MultiDestinationSender.open([{ hostname, port }]);
  try {
    const sealer = await DatagramSealer.create(KEY, { iterations: ITERATIONS });
    const link = new SealingSender(sockets, sealer);
    const { packetizer } = createPacketizer({
      mode: "v1",
      streamId: 5,
      maxDatagramBytes: 1200,
      fec: null,
      history: null,
      nowMs: () => 0,
      reserveBytes: 64,
    });
    const random = new Prng(12);
    const frame = new Uint8Array(50_000);
    for (let i = 0; i < frame.length; i++) frame[i] = random.int(0, 255);
    const plain = packetizer.packetize(frame, 1);
    ok(plain.length > 32, `${plain.length} datagrams: more than a batch`);
    await link.sendBurst(plain);
    equal(link.sealed, plain.length);
    const sealed = await receiveUpTo(receiver, plain.length);
    equal(sealed.length, plain.length);
    const opener = new DatagramOpener(KEY, { iterations: ITERATIONS });
    deepEqual(await openAll(opener, sealed), plain);
    equal(sockets.sendErrors, 0);
  } finally {
    sockets.close();
    receiver.close();
  }
});
