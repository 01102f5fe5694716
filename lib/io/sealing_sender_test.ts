import { deepEqual, equal, ok } from "node:assert/strict";
import { SealingSender } from "./sealing_sender.ts";
import { MultiDestinationSender } from "./udp.ts";
import { DatagramOpener, DatagramSealer, RootKey } from "../crypto/mod.ts";
import { createPacketizer } from "../wire/mod.ts";
import { Prng } from "../netsim/mod.ts";
import { receiveUpTo } from "../../tests/support/udp.ts";

const KEY = "correct horse battery staple";
/** Few PBKDF2 rounds: the test is about sending, not key strength. */
const ITERATIONS = 1000;

/** Opens every one of `sealed`, in order (the first brings its session: the opener tries it). */
async function openAll(opener: DatagramOpener, sealed: Uint8Array[]): Promise<Uint8Array[]> {
  const opened: Uint8Array[] = [];
  for (const datagram of sealed) {
    const result = await opener.open(datagram, { nowMs: 0, epochMs: 1 });
    ok(result.ok, result.ok ? "" : result.reason);
    opened.push(result.datagram);
  }
  return opened;
}

Deno.test("SealingSender.sendBurst seals each datagram once, in order, and sends them all", async () => {
  const receiver = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const { hostname, port } = receiver.addr as Deno.NetAddr;
  const sockets = MultiDestinationSender.open([{ hostname, port }]);
  try {
    const root = await RootKey.derive(KEY, ITERATIONS);
    const sealer = await DatagramSealer.create(root, { startMs: 0 });
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
    const opener = new DatagramOpener(root);
    deepEqual(await openAll(opener, sealed), plain);
    equal(sockets.sendErrors, 0);
  } finally {
    sockets.close();
    receiver.close();
  }
});
