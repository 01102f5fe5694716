import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { enlargeReceiveBuffer } from "./socket_buffer.ts";
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
  // The test counts exactly, and this process also sends: while it does, the relay's output
  // piles up at the destination, more than Linux's default 208 KiB buffer holds on a busy machine.
  const enlarged = enlargeReceiveBuffer(portOf(destination), false, 4 * 1024 * 1024);
  ok(enlarged.ok && enlarged.bytes >= 1024 * 1024, JSON.stringify(enlarged));
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

Deno.test("relay sends replies from the destination back to the source", async () => {
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

Deno.test("relay refuses datagrams on its back socket from anyone but the destination", async () => {
  const destination = open();
  const source = open();
  const stranger = open();
  const relay = UdpRelay.start({
    listen: { hostname: LOCAL, port: 0 },
    to: { hostname: LOCAL, port: portOf(destination) },
    faults: {},
    durationMs: 5000,
  });
  const relayAddr: Deno.NetAddr = { transport: "udp", ...relay.listenAddress };
  await source.send(new Uint8Array([1]), relayAddr);
  const [, back] = await destination.receive();
  // Loopback delivers at send time: the stranger's datagram is queued at the back socket first.
  await stranger.send(new Uint8Array([66]), back);
  await destination.send(new Uint8Array([9]), back);
  const [reply] = await receiveSome(source, 1, 2000);
  deepStrictEqual([...(reply ?? [])], [9]);
  relay.stop();
  await relay.done;
  const report = relay.report();
  deepStrictEqual([report.strangerReplies, report.reply.datagrams, report.replied], [1, 1, 1]);
  for (const conn of [destination, source, stranger]) conn.close();
});

Deno.test("a second sender does not take the reply path from the established source", async () => {
  const destination = open();
  const first = open();
  const second = open();
  const relay = UdpRelay.start({
    listen: { hostname: LOCAL, port: 0 },
    to: { hostname: LOCAL, port: portOf(destination) },
    faults: {},
    durationMs: 5000,
  });
  const relayAddr: Deno.NetAddr = { transport: "udp", ...relay.listenAddress };
  await first.send(new Uint8Array([1]), relayAddr);
  const [, back] = await destination.receive();
  await second.send(new Uint8Array([2]), relayAddr);
  // The second sender's datagrams still go through (a link carries what it is given)...
  const [other] = await destination.receive();
  deepStrictEqual([...other], [2]);
  // ...but replies keep going to the first.
  await destination.send(new Uint8Array([9]), back);
  await destination.send(new Uint8Array([10]), back);
  const replies = await receiveSome(first, 2, 2000);
  deepStrictEqual(replies.map((reply) => reply[0]), [9, 10]);
  relay.stop();
  await relay.done;
  const report = relay.report();
  // Every reply the relay sent went to the first sender, so none went to the second.
  deepStrictEqual([report.replied, report.fromOtherSources, report.sourceChanges], [2, 1, 0]);
  for (const conn of [destination, first, second]) conn.close();
});

Deno.test("another sender takes the reply path once the established one has been silent", async () => {
  const destination = open();
  const first = open();
  const second = open();
  // sourceIdleMs 0: any silence is long enough, so the handover happens without waiting.
  const relay = UdpRelay.start({
    listen: { hostname: LOCAL, port: 0 },
    to: { hostname: LOCAL, port: portOf(destination) },
    faults: {},
    durationMs: 5000,
    sourceIdleMs: 0,
  });
  const relayAddr: Deno.NetAddr = { transport: "udp", ...relay.listenAddress };
  await first.send(new Uint8Array([1]), relayAddr);
  const [, back] = await destination.receive();
  await second.send(new Uint8Array([2]), relayAddr);
  await destination.receive();
  await destination.send(new Uint8Array([9]), back);
  const [reply] = await receiveSome(second, 1, 2000);
  deepStrictEqual([...(reply ?? [])], [9]);
  relay.stop();
  await relay.done;
  const report = relay.report();
  deepStrictEqual([report.replied, report.fromOtherSources, report.sourceChanges], [1, 0, 1]);
  for (const conn of [destination, first, second]) conn.close();
});

Deno.test("relay refuses a destination it could not tell replies from strangers by", () => {
  const table: [string, RegExp][] = [
    ["cam.local", /needs the IP address of --to, not the name "cam\.local"/],
    ["0.0.0.0", /Cannot relay to 0\.0\.0\.0:9, which is no one address/],
    ["::", /Cannot relay to \[::\]:9, which is no one address/],
  ];
  for (const [hostname, message] of table) {
    throws(
      () =>
        UdpRelay.start({
          listen: { hostname: LOCAL, port: 0 },
          to: { hostname, port: 9 },
          faults: {},
        }),
      message,
      hostname,
    );
  }
});
