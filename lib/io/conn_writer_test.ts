import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { ConnWriter } from "./conn_writer.ts";

/** A loopback TCP pair: the server side's conn and the client side's. */
async function tcpPair(): Promise<{ server: Deno.Conn; client: Deno.Conn; close: () => void }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = listener.accept();
  const client = await Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  const server = await accepting;
  listener.close();
  return {
    server,
    client,
    close: () => {
      for (const conn of [server, client]) {
        try {
          conn.close();
        } catch { /* closed by the test */ }
      }
    },
  };
}

async function readExactly(conn: Deno.Conn, bytes: number): Promise<Uint8Array> {
  const out = new Uint8Array(bytes);
  let at = 0;
  // Bounded by `bytes`: each read takes at least one byte or ends the loop.
  while (at < bytes) {
    const n = await conn.read(out.subarray(at));
    if (n === null) break;
    at += n;
  }
  return out.subarray(0, at);
}

Deno.test("ConnWriter writes in order what it queued, without making the caller wait", async () => {
  const pair = await tcpPair();
  try {
    const writer = new ConnWriter(pair.server, 1 << 20);
    const parts = [
      new Uint8Array([1, 2, 3]),
      new Uint8Array(0),
      new Uint8Array([4]),
      new Uint8Array([5, 6]),
    ];
    for (const part of parts) equal(writer.write(part), true);
    await writer.drained();
    equal(writer.unsentBytes, 0);
    equal(writer.bytesWritten, 6);
    deepStrictEqual([...await readExactly(pair.client, 6)], [1, 2, 3, 4, 5, 6]);
    await writer.close();
  } finally {
    pair.close();
  }
});

Deno.test("ConnWriter: a peer that never reads fills the cap; then writes are refused, memory stays bounded", async () => {
  const pair = await tcpPair();
  try {
    const capBytes = 256 * 1024;
    const writer = new ConnWriter(pair.server, capBytes);
    const chunk = new Uint8Array(64 * 1024);
    let refused = 0;
    let queued = 0;
    // The kernel's buffers take a few MB on loopback; after that the queue fills to its cap.
    for (let i = 0; i < 2000 && refused < 10; i++) {
      if (writer.write(chunk)) queued++;
      else refused++;
      ok(writer.unsentBytes <= capBytes, `unsent ${writer.unsentBytes}`);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    equal(refused, 10, `queued ${queued} chunks and never hit the cap`);
    // The peer reads what was taken: everything queued arrives, in full chunks.
    const total = queued * chunk.length;
    const reading = readExactly(pair.client, total);
    await writer.drained();
    equal((await reading).length, total);
    equal(writer.bytesWritten, total);
    equal(writer.write(chunk), true, "room again once drained");
    await writer.close(1000);
  } finally {
    pair.close();
  }
});

Deno.test("ConnWriter.close(grace) gives up on a peer that does not read; a reset peer fails the writer", async () => {
  const pair = await tcpPair();
  try {
    const writer = new ConnWriter(pair.server, 64 << 20);
    // More than loopback's kernel buffers take: the queue cannot drain while nobody reads.
    for (let i = 0; i < 200; i++) writer.write(new Uint8Array(128 * 1024));
    await writer.close(200);
    equal(writer.unsentBytes, 0);
    equal(writer.write(new Uint8Array(1)), false, "closed");
  } finally {
    pair.close();
  }
  const reset = await tcpPair();
  try {
    const writer = new ConnWriter(reset.server, 64 << 20);
    reset.client.close();
    // Bounded: writes into a connection the peer closed fail within a few round trips.
    for (let i = 0; i < 100 && !writer.failed; i++) {
      writer.write(new Uint8Array(64 * 1024));
      await writer.drained();
    }
    equal(writer.failed, true);
    equal(writer.write(new Uint8Array(1)), false);
    await writer.close();
  } finally {
    reset.close();
  }
});
