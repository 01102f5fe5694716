import { deepEqual, equal, ok } from "node:assert/strict";
import { BatchReceiver, BatchSender, formatIpv6 } from "./datagram_batch.ts";
import { enlargeReceiveBuffer } from "./socket_buffer.ts";
import { parseAddressBytes } from "../net/mod.ts";
import { Prng } from "../netsim/mod.ts";

function randomDatagram(random: Prng, bytes: number): Uint8Array {
  const datagram = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) datagram[i] = random.int(0, 255);
  return datagram;
}

function listen(hostname: string): Deno.DatagramConn {
  return Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
}

function addressOf(conn: Deno.DatagramConn, hostname?: string): Deno.NetAddr {
  const { port } = conn.addr as Deno.NetAddr;
  return { transport: "udp", hostname: hostname ?? (conn.addr as Deno.NetAddr).hostname, port };
}

function mustOpen<T>(batch: T | null, what: string): T {
  if (batch === null) {
    throw new Error(`Cannot open the ${what}: batching is unavailable (needs 64-bit Linux, -A)`);
  }
  return batch;
}

/** Where Deno says a datagram from `from` to `to` comes from. */
async function denoSource(from: Deno.DatagramConn, to: Deno.DatagramConn, toHost: string) {
  await from.send(new Uint8Array([1]), addressOf(to, toHost));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no datagram within 2 s")), 2000);
  });
  try {
    const [, source] = await Promise.race([to.receive(), timeout]);
    return source as Deno.NetAddr;
  } finally {
    clearTimeout(timer);
  }
}

/** Receives `count` datagrams with `receiver`, polling for at most 2 s. */
async function receiveAll(receiver: BatchReceiver, count: number) {
  const got: { bytes: Uint8Array; source: Deno.NetAddr }[] = [];
  const deadline = performance.now() + 2000;
  while (got.length < count && performance.now() < deadline) {
    const n = receiver.receive();
    for (let i = 0; i < n; i++) {
      const bytes = receiver.datagram(i);
      ok(bytes !== null, `datagram ${got.length} truncated`);
      got.push({ bytes: bytes.slice(), source: receiver.source(i) });
    }
    if (n === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return got;
}

/** Sends `datagrams` with `sender` in batches of varied size; what it refuses goes by Deno. */
async function sendAll(
  sender: BatchSender,
  conn: Deno.DatagramConn,
  datagrams: Uint8Array[],
  to: Deno.NetAddr,
  random: Prng,
) {
  const destination = sender.destination(to);
  ok(destination !== null, `no sockaddr for ${to.hostname}`);
  let next = 0;
  let batched = 0;
  // Each round sends at least one datagram: bounded by the count.
  while (next < datagrams.length) {
    const end = Math.min(datagrams.length, next + random.int(1, 40));
    const sent = sender.send(datagrams, next, end, destination);
    batched += sent;
    next += sent;
    if (next < end) await conn.send(datagrams[next++], to);
  }
  return batched;
}

async function roundTrip(host: string, seed: number) {
  const receiverConn = listen(host);
  const senderConn = listen(host);
  try {
    // 65,507-byte datagrams overflow Linux's default receive buffer after three.
    ok(enlargeReceiveBuffer(addressOf(receiverConn).port, host.includes(":")).ok);
    const receiver = mustOpen(BatchReceiver.open(receiverConn), "batch receiver");
    const sender = mustOpen(BatchSender.open(senderConn), "batch sender");
    const expected = await denoSource(senderConn, receiverConn, host);
    const random = new Prng(seed);
    const sizes = [0, 1, 7, 64, 65, 1200, 1201, 1500, 9000, 65507];
    for (let i = 0; i < 50; i++) sizes.push(random.int(1, 1400));
    const datagrams = sizes.map((bytes) => randomDatagram(random, bytes));
    // Views into a bigger buffer, as packetizers make them.
    const backing = randomDatagram(random, 5000);
    datagrams.push(backing.subarray(1000, 2200), backing.subarray(3, 4));
    const batched = await sendAll(sender, senderConn, datagrams, addressOf(receiverConn), random);
    ok(batched > 0, "sendmmsg took nothing");
    const got = await receiveAll(receiver, datagrams.length);
    equal(got.length, datagrams.length);
    for (const [i, { bytes, source }] of got.entries()) {
      deepEqual(bytes, datagrams[i], `datagram ${i} (${datagrams[i].length} bytes)`);
      deepEqual({ ...source }, { ...expected }, `source of datagram ${i}`);
    }
    equal(receiver.datagramsTruncated, 0);
    // A burst from one source shares one source object.
    const sources = new Set(got.map(({ source }) => source));
    ok(sources.size <= Math.ceil(got.length / receiver.batchDatagrams), `${sources.size} objects`);
  } finally {
    receiverConn.close();
    senderConn.close();
  }
}

Deno.test("batches carry every datagram, exact bytes in order, with the source Deno reports (IPv4)", async () => {
  await roundTrip("127.0.0.1", 1);
});

Deno.test("batches carry every datagram, exact bytes in order, with the source Deno reports (IPv6)", async () => {
  await roundTrip("::1", 2);
});

Deno.test("batch receiver: sources alternate between senders, IPv4-mapped on a dual-stack socket", async () => {
  const receiverConn = listen("::");
  const senders = [listen("127.0.0.1"), listen("127.0.0.2"), listen("::1")];
  try {
    const receiver = mustOpen(BatchReceiver.open(receiverConn), "batch receiver");
    const hosts = ["127.0.0.1", "127.0.0.1", "::1"];
    const expected: Deno.NetAddr[] = [];
    for (const [i, sender] of senders.entries()) {
      expected.push(await denoSource(sender, receiverConn, hosts[i]));
    }
    equal(expected[0].hostname, "::ffff:127.0.0.1");
    equal(expected[1].hostname, "::ffff:127.0.0.2");
    const order = [0, 0, 1, 2, 2, 0, 1, 1, 2, 0];
    for (const [i, which] of order.entries()) {
      await senders[which].send(new Uint8Array([i]), addressOf(receiverConn, hosts[which]));
    }
    const got = await receiveAll(receiver, order.length);
    equal(got.length, order.length);
    for (const [i, which] of order.entries()) {
      deepEqual([...got[i].bytes], [i]);
      deepEqual({ ...got[i].source }, { ...expected[which] }, `datagram ${i}`);
    }
  } finally {
    receiverConn.close();
    for (const sender of senders) sender.close();
  }
});

Deno.test("batch receiver: datagrams longer than a slot are counted and dropped", async () => {
  const receiverConn = listen("127.0.0.1");
  const senderConn = listen("127.0.0.1");
  try {
    const receiver = mustOpen(
      BatchReceiver.open(receiverConn, { slotBytes: 2048, batchDatagrams: 4 }),
      "batch receiver",
    );
    const random = new Prng(3);
    const sizes = [1000, 2049, 2048, 65507, 10];
    const datagrams = sizes.map((bytes) => randomDatagram(random, bytes));
    for (const datagram of datagrams) await senderConn.send(datagram, addressOf(receiverConn));
    const kept: Uint8Array[] = [];
    const deadline = performance.now() + 2000;
    let seen = 0;
    while (seen < sizes.length && performance.now() < deadline) {
      const n = receiver.receive();
      ok(n <= 4, `${n} datagrams in a batch of 4`);
      for (let i = 0; i < n; i++) {
        const bytes = receiver.datagram(i);
        if (bytes !== null) kept.push(bytes.slice());
      }
      seen += n;
      if (n === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    equal(seen, sizes.length);
    equal(receiver.datagramsTruncated, 2);
    deepEqual(kept, [datagrams[0], datagrams[2], datagrams[4]]);
  } finally {
    receiverConn.close();
    senderConn.close();
  }
});

Deno.test("batch receiver: nothing queued returns 0 at once, and past the batch is null", () => {
  const conn = listen("127.0.0.1");
  try {
    const receiver = mustOpen(BatchReceiver.open(conn), "batch receiver");
    equal(receiver.receive(), 0);
    equal(receiver.receive(0), 0);
    equal(receiver.datagram(0), null);
  } finally {
    conn.close();
  }
});

Deno.test("batch sender: refuses what it cannot address, partial ranges send what was asked", async () => {
  const v4 = listen("127.0.0.1");
  const receiverConn = listen("127.0.0.1");
  try {
    const sender = mustOpen(BatchSender.open(v4, { batchDatagrams: 3 }), "batch sender");
    const port = addressOf(receiverConn).port;
    equal(sender.destination({ transport: "udp", hostname: "localhost", port }), null);
    equal(sender.destination({ transport: "udp", hostname: "::1", port }), null);
    equal(sender.destination({ transport: "udp", hostname: "fe80::1%lo", port }), null);
    const to = sender.destination(addressOf(receiverConn));
    ok(to !== null);
    const datagrams = [1, 2, 3, 4, 5].map((i) => new Uint8Array([i]));
    equal(sender.send(datagrams, 2, 2, to), 0);
    // At most a batch per call.
    equal(sender.send(datagrams, 0, 5, to), 3);
    equal(sender.send(datagrams, 3, 5, to), 2);
    const receiver = mustOpen(BatchReceiver.open(receiverConn), "batch receiver");
    const got = await receiveAll(receiver, 5);
    deepEqual(got.map(({ bytes }) => bytes[0]), [1, 2, 3, 4, 5]);
  } finally {
    v4.close();
    receiverConn.close();
  }
});

Deno.test("batching falls back (null) when the descriptor is not found", () => {
  const conn = listen("127.0.0.1");
  conn.close();
  // The closed socket's descriptor is gone; its address is still known.
  equal(BatchReceiver.open(conn), null);
  equal(BatchSender.open(conn), null);
});

Deno.test("batching falls back (null) without --allow-ffi, and never prompts", async () => {
  const script = `
    import { BatchReceiver, BatchSender } from ${
    JSON.stringify(import.meta.resolve("./datagram_batch.ts"))
  };
    const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    console.log(JSON.stringify([BatchReceiver.open(conn), BatchSender.open(conn)]));
    conn.close();
  `;
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, script);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--unstable-net", "--allow-net", "--allow-read", file],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    equal(output.code, 0, stderr);
    equal(new TextDecoder().decode(output.stdout).trim(), "[null,null]");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("batch options out of range throw RangeError", () => {
  const conn = listen("127.0.0.1");
  try {
    for (const options of [{ batchDatagrams: 0 }, { batchDatagrams: 1.5 }, { slotBytes: 65537 }]) {
      let error: unknown = null;
      try {
        BatchReceiver.open(conn, options);
      } catch (caught) {
        error = caught;
      }
      ok(error instanceof RangeError, JSON.stringify(options));
    }
  } finally {
    conn.close();
  }
});

Deno.test("formatIpv6 writes addresses as Deno (Rust's Ipv6Addr) does", () => {
  const table: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["::ffff:10.1.2.3", "::ffff:10.1.2.3"],
    // IPv4-compatible (deprecated) addresses are plain hex.
    ["::10.1.2.3", "::a01:203"],
    ["fe80:0:0:0:0204:61ff:fe9d:f156", "fe80::204:61ff:fe9d:f156"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["FF02:0:0:0:0:0:0:FB", "ff02::fb"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["0:ffff:0:0:0:0:0:1", "0:ffff::1"],
  ];
  for (const [input, expected] of table) {
    const bytes = parseAddressBytes(input);
    ok(bytes !== null, input);
    const padded = new Uint8Array(20);
    padded.set(bytes, 4);
    equal(formatIpv6(padded, 4), expected, input);
  }
  equal(formatIpv6(new Uint8Array(16)), "::");
});
