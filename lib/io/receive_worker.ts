/**
 * The receive worker: drains the UDP socket into the depacketizer and posts complete frames to
 * the main thread. It runs apart from decoding and rendering, so a slow frame on the main thread
 * never leaves datagrams waiting in the kernel's receive buffer (Linux's default 208 KB holds
 * about two 720p frames).
 *
 * Started by `lib/io/receive_thread.ts`; not meant to be imported.
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import { UserError } from "../errors.ts";
import { NackTracker } from "../nack_tracker.ts";
import { createDepacketizer } from "../wire_modes.ts";
import type { FrameDepacketizer } from "../wire_mode.ts";
import { epochMicros } from "../stats.ts";
import { encodeNack } from "../wire.ts";
import type { FromReceiveWorker, ToReceiveWorker } from "./receive_messages.ts";
import { listenUdp } from "./udp.ts";
import { isMulticast } from "../multicast.ts";
import { listenMulticast } from "./multicast.ts";

/** How often counters go to the main thread. */
const COUNTERS_EVERY_MS = 500;
/** Largest datagram we can receive (IPv4 UDP payload limit, rounded up). */
const RECEIVE_BUFFER_BYTES = 65536;
/** How often the NACK tracker is asked what to request: its reorder wait is a few ms. */
const NACK_POLL_MS = 1;

let conn: Deno.DatagramConn | null = null;
let depacketizer: FrameDepacketizer | null = null;
let followedStream: () => number | null = () => null;
let tracker: NackTracker | null = null;
/** Where the followed stream's datagrams come from: NACKs go back there. */
let source: Deno.NetAddr | null = null;
let nackSendErrors = 0;
let stopped = false;

function post(message: FromReceiveWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

function postCounters(final: boolean): void {
  if (!depacketizer) return;
  // The NACK counters ride along; lib/receiver_report.ts reads them when present.
  const counters = {
    ...depacketizer.counters,
    nacksSent: tracker?.counters.nacksSent ?? 0,
    nackSendErrors,
  };
  post({ type: "counters", counters, final });
}

async function receiveLoop(socket: Deno.DatagramConn, frames: FrameDepacketizer): Promise<void> {
  const buffer = new Uint8Array(RECEIVE_BUFFER_BYTES);
  while (!stopped) {
    let datagram: Uint8Array;
    let from: Deno.Addr;
    try {
      [datagram, from] = await socket.receive(buffer);
    } catch (error) {
      if (stopped || error instanceof Deno.errors.BadResource) break;
      // ICMP errors surface here on some systems; they are not fatal for a receiver.
      continue;
    }
    const nowMs = performance.now();
    const frame = frames.push(datagram, nowMs);
    if (tracker) {
      if (tracker.observe(datagram, nowMs, followedStream())) source = from as Deno.NetAddr;
      if (frame) tracker.completed(frame.streamId, frame.frameSeq);
    }
    if (frame) {
      post({
        type: "frame",
        streamId: frame.streamId,
        frameSeq: frame.frameSeq,
        captureUs: frame.captureUs,
        completeUs: epochMicros(),
        bytes: frame.bytes,
      }, [frame.bytes.buffer as ArrayBuffer]);
    }
  }
}

function startNackTimer(socket: Deno.DatagramConn, nacks: NackTracker): void {
  const timer = setInterval(() => {
    if (stopped) {
      clearInterval(timer);
      return;
    }
    if (nacks.framesTracked === 0 || source === null) return;
    const to = source;
    for (const nack of nacks.poll(performance.now())) {
      socket.send(encodeNack(nack), to).catch(() => nackSendErrors++);
    }
  }, NACK_POLL_MS);
}

self.onmessage = async (event: MessageEvent<ToReceiveWorker>) => {
  const message = event.data;
  if (message.type === "start") {
    const group = isMulticast(message.listen.hostname);
    try {
      conn = group
        ? await listenMulticast(message.listen, message.multicastInterface ?? null)
        : listenUdp(message.listen);
    } catch (error) {
      post({
        type: "error",
        message: (error as Error).message,
        exitCode: error instanceof UserError ? error.exitCode : 1,
      });
      return;
    }
    ({ depacketizer, followedStream } = createDepacketizer(message.wire, {
      frameTimeoutMs: message.frameTimeoutMs,
    }));
    if (message.nack && message.wire === "v1") {
      tracker = new NackTracker({ frameTimeoutMs: message.frameTimeoutMs });
      startNackTimer(conn, tracker);
    }
    const address = conn.addr as Deno.NetAddr;
    // A group's socket is bound to the wildcard address: name the group the user asked for.
    const hostname = group ? message.listen.hostname : address.hostname;
    post({ type: "listening", address: { hostname, port: address.port } });
    const timer = setInterval(() => {
      depacketizer?.expire(performance.now());
      postCounters(false);
    }, COUNTERS_EVERY_MS);
    receiveLoop(conn, depacketizer).finally(() => {
      clearInterval(timer);
      postCounters(true);
    });
  } else if (message.type === "stop") {
    stopped = true;
    try {
      conn?.close();
    } catch { /* already closed */ }
    if (!conn) postCounters(true);
  }
};
