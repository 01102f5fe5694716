import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { UdpRelay } from "./udp_relay.ts";

const LOCAL = "127.0.0.1";

function open(): Deno.DatagramConn {
  return Deno.listenDatagram({ transport: "udp", hostname: LOCAL, port: 0 });
}

function portOf(conn: Deno.DatagramConn): number {
  return (conn.addr as Deno.NetAddr).port;
}

/** Receives until `count` datagrams or `timeoutMs` of silence; returns what came. */
async function receiveSome(conn: Deno.DatagramConn, count: number, timeoutMs: number) {
  const got: Uint8Array[] = [];
  while (got.length < count) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) =>
      timer = setTimeout(() => resolve(null), timeoutMs)
    );
    const next = await Promise.race([conn.receive(), timeout]);
    clearTimeout(timer);
    if (next === null) break;
    got.push(next[0]);
  }
  return got;
}

Deno.test("relay forwards through the fault model over real sockets, counting every fault", async () => {
  const destination = open();
  const source = open();
  const relay = UdpRelay.start({
    listen: { hostname: LOCAL, port: 0 },
    to: { hostname: LOCAL, port: portOf(destination) },
    faults: { lossPercent: 10, duplicatePercent: 5, seed: 4 },
    maxDatagrams: 1000,
  });
  const relayAddr: Deno.NetAddr = { transport: "udp", ...relay.listenAddress };
  const receiving = receiveSome(destination, 2000, 500);
  for (let i = 0; i < 1000; i++) {
    const datagram = new Uint8Array(100);
    new DataView(datagram.buffer).setUint32(0, i);
    await source.send(datagram, relayAddr);
    // Pace a little so loopback socket buffers never overflow: the test counts exactly.
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const arrived = await receiving;
  await relay.done;
  const report = relay.report();
  equal(report.forward.datagrams, 1000);
  equal(arrived.length, report.forwarded);
  equal(report.forwarded, report.forward.deliveries);
  equal(report.forwarded, 1000 - report.forward.lost + report.forward.duplicated);
  ok(report.forward.lost > 60 && report.forward.lost < 140, `lost ${report.forward.lost}`);
  ok(report.forward.duplicated > 20, `duplicated ${report.forward.duplicated}`);
  const ids = new Set(arrived.map((d) => new DataView(d.buffer, d.byteOffset).getUint32(0)));
  equal(ids.size, 1000 - report.forward.lost);
  destination.close();
  source.close();
});

Deno.test("relay sends replies from the destination back to the last source", async () => {
  const destination = open();
  const source = open();
  const relay = UdpRelay.start({
    listen: { hostname: LOCAL, port: 0 },
    to: { hostname: LOCAL, port: portOf(destination) },
    faults: { delayMs: 5 },
    durationMs: 5000,
  });
  const relayAddr: Deno.NetAddr = { transport: "udp", ...relay.listenAddress };
  await source.send(new Uint8Array([1, 2, 3]), relayAddr);
  const [request, from] = await destination.receive();
  deepStrictEqual([...request], [1, 2, 3]);
  await destination.send(new Uint8Array([9]), from);
  const [reply] = await receiveSome(source, 1, 2000);
  deepStrictEqual([...reply], [9]);
  relay.stop();
  await relay.done;
  equal(relay.report().replied, 1);
  equal(relay.report().forward.delayed, 1);
  destination.close();
  source.close();
});
