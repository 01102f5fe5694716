import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { UserError } from "../errors.ts";
import { listenUdp, MultiDestinationSender } from "./udp.ts";
import { Prng } from "../netsim/mod.ts";
import { receiveUpTo } from "../../tests/support/udp.ts";

function listen(hostname: string): Deno.DatagramConn {
  return Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
}

function datagrams(seed: number, count: number): Uint8Array[] {
  const random = new Prng(seed);
  return Array.from({ length: count }, () => {
    const datagram = new Uint8Array(random.int(1, 1400));
    for (let i = 0; i < datagram.length; i++) datagram[i] = random.int(0, 255);
    return datagram;
  });
}

Deno.test("sendBurst: every destination gets every datagram, in order", async () => {
  const receivers = [listen("127.0.0.1"), listen("::1")];
  const destinations = receivers.map((conn) => {
    const { hostname, port } = conn.addr as Deno.NetAddr;
    return { hostname, port };
  });
  const sender = MultiDestinationSender.open(destinations);
  try {
    // More than a batch (32), and a burst of one.
    const burst = datagrams(7, 70);
    await sender.sendBurst(burst);
    await sender.sendBurst(burst.slice(0, 1));
    for (const receiver of receivers) {
      deepEqual(await receiveUpTo(receiver, 71), [...burst, burst[0]]);
    }
    equal(sender.sendErrors, 0);
  } finally {
    sender.close();
    for (const receiver of receivers) receiver.close();
  }
});

Deno.test("sendBurst counts refused sends exactly as send does", async () => {
  const receivers = [listen("127.0.0.1"), listen("127.0.0.1")];
  const destinations = receivers.map((conn) => {
    const { hostname, port } = conn.addr as Deno.NetAddr;
    return { hostname, port };
  });
  // Longer than UDP carries (EMSGSIZE): first, in a row, and last.
  const refused = new Set([0, 5, 6, 39]);
  const burst = datagrams(8, 40).map((datagram, i) =>
    refused.has(i) ? new Uint8Array(70_000) : datagram
  );
  const oneByOne = MultiDestinationSender.open(destinations);
  const batched = MultiDestinationSender.open(destinations);
  try {
    for (const datagram of burst) await oneByOne.send(datagram);
    await batched.sendBurst(burst);
    equal(oneByOne.sendErrors, 2 * refused.size);
    equal(batched.sendErrors, oneByOne.sendErrors);
    equal(batched.lastError, oneByOne.lastError);
    // Each destination got both copies of the others, in order.
    const kept = burst.filter((_, i) => !refused.has(i));
    for (const receiver of receivers) {
      deepEqual(await receiveUpTo(receiver, 2 * kept.length), [...kept, ...kept]);
    }
  } finally {
    oneByOne.close();
    batched.close();
    for (const receiver of receivers) receiver.close();
  }
});

Deno.test("sendBurst after close sends nothing through the closed descriptor", async () => {
  const receiver = listen("127.0.0.1");
  const { hostname, port } = receiver.addr as Deno.NetAddr;
  const sender = MultiDestinationSender.open([{ hostname, port }]);
  sender.close();
  try {
    await sender.sendBurst(datagrams(9, 3));
    // Deno's send on the closed socket throws: each is counted, none is sent.
    equal(sender.sendErrors, 3);
    ok((await receiveUpTo(receiver, 1)).length === 0);
  } finally {
    receiver.close();
  }
});

Deno.test("listenUdp: a port another socket holds, and an address not here, say what to do", () => {
  const holder = listen("127.0.0.1");
  try {
    const { port } = holder.addr as Deno.NetAddr;
    const cases: [{ hostname: string; port: number }, string, typeof Deno.errors.AddrInUse][] = [
      [
        { hostname: "127.0.0.1", port },
        `Cannot listen on 127.0.0.1:${port}: the port is in use (another udpcam-recv?). Stop ` +
        "that program or pick another port with --listen.",
        Deno.errors.AddrInUse,
      ],
      [
        { hostname: "203.0.113.9", port: 5000 },
        "Cannot listen on 203.0.113.9:5000: that address is not on this machine. Give one of " +
        "its addresses, or 0.0.0.0 (all IPv4) or [::] (all IPv6), with --listen.",
        Deno.errors.AddrNotAvailable,
      ],
    ];
    for (const [address, message, osError] of cases) {
      throws(() => listenUdp(address), (error: unknown) => {
        ok(error instanceof UserError);
        equal(error.message, message);
        ok(error.cause instanceof osError, String(error.cause));
        return true;
      });
    }
  } finally {
    holder.close();
  }
});
