import { equal, ok } from "node:assert/strict";
import { WANTED_RECEIVE_BUFFER_BYTES } from "../net/mod.ts";
import { enlargeReceiveBuffer, receiveBufferWarning } from "./socket_buffer.ts";

/** Linux's cap for SO_RCVBUF requests without privileges. */
function rmemMaxBytes(): number {
  return Number(Deno.readTextFileSync("/proc/sys/net/core/rmem_max").trim());
}

/** Datagrams of `bytes` a socket holds unread: send `count`, then read what arrived. */
async function heldUnread(socket: Deno.DatagramConn, count: number, bytes: number) {
  const port = (socket.addr as Deno.NetAddr).port;
  const sender = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
  for (let i = 0; i < count; i++) await sender.send(new Uint8Array(bytes), to);
  sender.close();
  let held = 0;
  const buffer = new Uint8Array(65536);
  for (; held < count; held++) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), 200));
    const got = await Promise.race([socket.receive(buffer), timeout]);
    clearTimeout(timer);
    if (got === null) break;
  }
  return held;
}

Deno.test("enlargeReceiveBuffer finds the socket and gets what the kernel allows", async () => {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const result = enlargeReceiveBuffer((socket.addr as Deno.NetAddr).port, false);
    if (!result.ok) throw new Error(`not enlarged: ${result.reason}`);
    equal(result.requestedBytes, WANTED_RECEIVE_BUFFER_BYTES);
    // Linux grants min(request, rmem_max) and reports twice that (its bookkeeping share).
    equal(result.bytes, 2 * Math.min(WANTED_RECEIVE_BUFFER_BYTES, rmemMaxBytes()));
    // The default buffer (212,992 bytes) held 92 of these; even Linux's default cap doubles it.
    const held = await heldUnread(socket, 300, 1200);
    ok(held > 92, `held ${held} of 300 datagrams`);
  } finally {
    socket.close();
  }
});

Deno.test("enlargeReceiveBuffer: IPv6 sockets, and a port nobody listens on", () => {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "::1", port: 0 });
  const port = (socket.addr as Deno.NetAddr).port;
  try {
    equal(enlargeReceiveBuffer(port, true).ok, true);
    // The IPv4 side of that port has no socket of ours.
    const missing = enlargeReceiveBuffer(port, false);
    equal(missing.ok, false);
    if (!missing.ok) equal(missing.reason, "the socket's descriptor was not found");
  } finally {
    socket.close();
  }
});

Deno.test("receiveBufferWarning: silent when big enough, otherwise the OS's fix", () => {
  const granted = (bytes: number) => ({ ok: true as const, bytes, requestedBytes: 4194304 });
  equal(receiveBufferWarning(granted(8388608), "linux"), null);
  equal(
    receiveBufferWarning(granted(425984), "linux"),
    "small UDP receive buffer (the OS granted 416 KiB of the 4 MiB asked for): big frames at " +
      "high rates may lose datagrams; fix: sudo sysctl -w net.core.rmem_max=4194304",
  );
  ok(receiveBufferWarning(granted(425984), "darwin")?.endsWith("kern.ipc.maxsockbuf=8388608"));
  const failed = { ok: false as const, reason: "cannot load libc: x" };
  ok(receiveBufferWarning(failed, "linux")?.startsWith("small UDP receive buffer (cannot load"));
  equal(receiveBufferWarning(failed, "windows"), null);
});
