/**
 * The receive worker: drains the UDP socket into the depacketizer and posts complete frames to
 * the main thread. It runs apart from decoding and rendering, so a slow frame on the main thread
 * never leaves datagrams waiting in the kernel's receive buffer (Linux's default 208 KB holds
 * about two 720p frames).
 *
 * It waits with Deno's `receive()`, then takes what else is queued a batch per system call
 * (`recvmmsg`, lib/io/datagram_batch.ts) where it can: 64-bit Linux with `--allow-ffi`.
 *
 * Started by `lib/io/receive_thread.ts`; not meant to be imported.
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import { describeError, UserError } from "../errors.ts";
import { encodeNack, type NackTracker } from "../wire/v1/mod.ts";
import { createDepacketizer, type ReceiverWire, WIRE_TRAITS } from "../wire/mod.ts";
import type { FrameDepacketizer } from "../wire/frames/mod.ts";
import { epochMicros } from "./clock.ts";
import { AddressFilter, formatHostPort, isMulticast } from "../net/mod.ts";
import { DatagramOpener, DatagramSealer, RootKey, SEAL_OVERHEAD_BYTES } from "../crypto/mod.ts";
import { LinkReporter, MAX_PENDING_OPENS, ReceivePath, ReplyTarget } from "../receive/mod.ts";
import type { FromReceiveWorker, ToReceiveWorker } from "./receive_messages.ts";
import { listenUdp } from "./udp.ts";
import { enlargeReceiveBuffer } from "./socket_buffer.ts";
import { BatchReceiver } from "./datagram_batch.ts";
import { listenMulticast } from "./multicast_socket.ts";
import { HeapCollector } from "./heap_collector.ts";
import { DeadlinePoller } from "./deadline_timer.ts";

/** How often counters go to the main thread. */
const COUNTERS_EVERY_MS = 500;
/** Largest datagram we can receive (IPv4 UDP payload limit, rounded up). */
const RECEIVE_BUFFER_BYTES = 65536;
/** Least time between two NACK polls, while a request is due but parity may still cover it. */
const NACK_POLL_MS = 1;
/** Most batches drained after one wake-up before yielding to the event loop (timers, stop). */
const MAX_BATCHES_PER_WAKE = 16;
/** Least time between two report polls: the builder's frame closes need no finer grain. */
const REPORT_POLL_MS = 5;

let conn: Deno.DatagramConn | null = null;
let depacketizer: FrameDepacketizer | null = null;
/** Fed by the depacketizer (v1 with NACKs): it sees every datagram the depacketizer decodes. */
let tracker: NackTracker | null = null;
/** The wire's view of the stream it follows (lib/wire/modes.ts). */
let followedStream: () => number | null = () => null;
let lastFollowedHeader: ReceiverWire["lastFollowedHeader"] = () => null;
let lastFollowedParity: ReceiverWire["lastFollowedParity"] = () => null;
/**
 * The followed stream's established source, where NACKs go, and their rate limit
 * (lib/receive/reply_target.ts; issue #19, finding 9).
 */
const replies = new ReplyTarget<Deno.NetAddr>();
let nacksSent = 0;
let nackSendErrors = 0;
/** Receiver reports of the followed v1 stream (link fitting), or null for the other wires. */
let reporter: LinkReporter | null = null;
let reportsSent = 0;
let reportSendErrors = 0;
/** Frames the depacketizer gave up so far, as last handed to the reporter. */
let framesDroppedSeen = 0;
let stopped = false;
/** Filter, opener and depacketizer in one (lib/receive/receive_path.ts). */
let path: ReceivePath<Deno.NetAddr> | null = null;
/** Seals NACKs and reports with `--key` (null until its key is derived, or without a key). */
let replySealer: DatagramSealer | null = null;
let keyed = false;
const heap = new HeapCollector({ nowMs: performance.now() });

function post(message: FromReceiveWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

function postCounters(final: boolean): void {
  if (!depacketizer) return;
  // The NACK counters ride along; lib/stats/receiver_report.ts reads them when present.
  const counters = {
    ...(path?.counters ?? depacketizer.counters),
    nacksSent,
    nackSendErrors,
    replies: { ...replies.counters },
    link: reporter === null ? null : reporter.stats(
      replies.address === null ? null : formatHostPort(replies.address),
      reportsSent,
      reportSendErrors,
    ),
  };
  post({
    type: "counters",
    counters,
    final,
    heapUsedBytes: Deno.memoryUsage().heapUsed,
    heapCollections: heap.collections,
  });
}

async function receiveLoop(
  socket: Deno.DatagramConn,
  datagrams: ReceivePath<Deno.NetAddr>,
  batch: BatchReceiver | null,
) {
  const buffer = new Uint8Array(RECEIVE_BUFFER_BYTES);
  while (!stopped) {
    let datagram: Uint8Array;
    let from: Deno.Addr;
    try {
      // Deno's receive is how the worker waits for traffic; what else is queued comes in batches.
      [datagram, from] = await socket.receive(buffer);
    } catch (error) {
      if (stopped || error instanceof Deno.errors.BadResource) break;
      // ICMP errors surface here on some systems; they are not fatal for a receiver.
      continue;
    }
    datagrams.push(datagram, from as Deno.NetAddr, performance.now());
    if (batch !== null) drain(batch, datagrams);
    if (datagrams.pending >= MAX_PENDING_OPENS) await datagrams.waitForRoom();
  }
  await datagrams.idle();
}

/**
 * Pushes the datagrams queued on the socket, a batch per system call, until a batch comes back
 * short (the queue is empty), {@linkcode MAX_PENDING_OPENS} are pending (`--key`), or after
 * {@linkcode MAX_BATCHES_PER_WAKE} batches. Never waits.
 */
function drain(batch: BatchReceiver, datagrams: ReceivePath<Deno.NetAddr>): void {
  for (let round = 0; round < MAX_BATCHES_PER_WAKE; round++) {
    // The stop message closes the socket, and its descriptor may then name another file.
    if (stopped) return;
    const wanted = Math.min(MAX_PENDING_OPENS - datagrams.pending, batch.batchDatagrams);
    if (wanted < 1) return;
    const count = batch.receive(wanted);
    const nowMs = performance.now();
    for (let i = 0; i < count; i++) {
      const bytes = batch.datagram(i);
      // Longer than a slot (65,536 bytes, more than UDP carries): counted by the batch receiver.
      if (bytes !== null) datagrams.push(bytes, batch.source(i), nowMs);
    }
    if (count < wanted) return;
  }
}

/** Every datagram the depacketizer took, in arrival order (after opening, with `--key`). */
function delivered(
  datagram: Uint8Array,
  frame: ReturnType<FrameDepacketizer["push"]>,
  from: Deno.NetAddr,
  nowMs: number,
): void {
  const header = lastFollowedHeader();
  if (header !== null) replies.observe(from, followedStream(), nowMs);
  nackPoll?.schedule(nowMs);
  if (reporter !== null) {
    // The link carried the sealed size: count that, so the receive rate is the link's.
    if (header !== null) {
      reporter.onHeader(header, lastFollowedParity(), datagram.length + sealBytes(), nowMs);
    }
    // Frames given up are counted when a report is built (pollReports), not per datagram.
    if (frame) reporter.onFrames({ completed: 1, dropped: 0 }, nowMs);
    reportPoll?.schedule(nowMs);
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
    // The frame is out and the next one is a frame interval away.
    heap.betweenFrames(nowMs);
  }
}

function sealBytes(): number {
  return keyed ? SEAL_OVERHEAD_BYTES : 0;
}

/** Frames the depacketizer gave up since the last call (expired, superseded, evicted...). */
function newFrameDrops(): number {
  if (depacketizer === null) return 0;
  let total = 0;
  for (const count of Object.values(depacketizer.counters.frameDrops)) total += count;
  const added = total - framesDroppedSeen;
  framesDroppedSeen = total;
  return Math.max(0, added);
}

/** Sends a NACK or report to the stream's source, sealed under `--key`. */
function sendReply(
  socket: Deno.DatagramConn,
  plain: Uint8Array,
  to: Deno.NetAddr,
  sealer: DatagramSealer | null,
): Promise<number> {
  return sealer === null
    ? socket.send(plain, to)
    : sealer.seal(plain).then((sealed) => socket.send(sealed, to));
}

/**
 * The NACK tracker's poll: when it next may have a request to make (`NackTracker.nextPollMs`),
 * not sooner than {@linkcode NACK_POLL_MS}. Why one timer at a computed time
 * (lib/io/deadline_timer.ts): a timer armed per frame and cleared when the frame completes cost
 * a wake-up per frame, and a fixed 1 ms poll cost one per millisecond of every frame in flight (8
 * per 1080p frame).
 */
let nackPoll: DeadlinePoller | null = null;

function pollNacks(socket: Deno.DatagramConn, nacks: NackTracker): void {
  const to = replies.address;
  if (to === null) return;
  // With --key, NACKs are sealed too (the sender drops plain ones); none before the key is ready.
  if (keyed && replySealer === null) return;
  const sealer = replySealer;
  const nowMs = performance.now();
  for (const nack of nacks.poll(nowMs)) {
    // Whatever forged datagrams make the tracker ask, the source hears at most the rate.
    if (!replies.take(nowMs)) continue;
    nacksSent++;
    sendReply(socket, encodeNack(nack), to, sealer).catch(() => nackSendErrors++);
  }
}

/**
 * The reporter's poll: when it next may have a report (or a frame to close), not sooner than
 * {@linkcode REPORT_POLL_MS}. No timer while the stream is silent: the next datagram arms one.
 */
let reportPoll: DeadlinePoller | null = null;

/**
 * Sends the report due, if any, to the stream's established source, sealed under `--key`. The
 * builder sends at most 10 a second, so reports do not share the NACKs' rate limit: a flood of
 * forged datagrams that spends it cannot silence the reports the sender adapts by.
 */
function pollReports(socket: Deno.DatagramConn, links: LinkReporter): void {
  const nowMs = performance.now();
  depacketizer?.expire(nowMs);
  links.onFrames({ completed: 0, dropped: newFrameDrops() }, nowMs);
  const report = links.poll(nowMs);
  const to = replies.address;
  if (report === null || to === null || (keyed && replySealer === null)) return;
  const sealer = replySealer;
  reportsSent++;
  sendReply(socket, report, to, sealer).catch(() => reportSendErrors++);
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
        // The main thread rebuilds a UserError from text alone: send the causes' text along.
        message: describeError(error),
        exitCode: error instanceof UserError ? error.exitCode : 1,
      });
      return;
    }
    ({
      depacketizer,
      nackTracker: tracker,
      followedStream,
      lastFollowedHeader,
      lastFollowedParity,
    } = createDepacketizer(
      message.wire,
      {
        frameTimeoutMs: message.frameTimeoutMs,
        lockedStreamId: message.lockedStreamId ?? null,
        followNewest: message.followNewest ?? false,
        nack: message.nack && WIRE_TRAITS[message.wire].nack,
      },
    ));
    const key = message.key ?? null;
    keyed = key !== null;
    // --key: the slow derivation (PBKDF2) once, before the first datagram is read; sessions are
    // then cheap to derive, the receiver's own reply session among them.
    const root = key === null ? null : await RootKey.derive(key);
    if (root !== null) replySealer = await DatagramSealer.create(root, { startMs: Date.now() });
    reporter = WIRE_TRAITS[message.wire].linkReports
      ? new LinkReporter({ skipFirstFrame: root !== null })
      : null;
    const socket = conn;
    const nacks = tracker;
    const links = reporter;
    nackPoll = nacks && new DeadlinePoller(
      () => nacks.nextPollMs(),
      NACK_POLL_MS,
      () => pollNacks(socket, nacks),
    );
    reportPoll = links && new DeadlinePoller(
      () => links.nextPollMs(),
      REPORT_POLL_MS,
      () => pollReports(socket, links),
    );
    const rules = message.allowFrom ?? [];
    path = new ReceivePath<Deno.NetAddr>({
      depacketizer,
      opener: root === null ? null : new DatagramOpener(root, {
        maxClockSkewMs: message.maxClockSkewMs,
        forgetAfterMs: message.maxClockSkewMs,
      }),
      filter: rules.length > 0 ? new AddressFilter(rules) : null,
      sealable: WIRE_TRAITS[message.wire].key,
      nowMs: () => performance.now(),
      epochMs: () => Date.now(),
      lockedStreamId: message.lockedStreamId ?? null,
      onDelivered: delivered,
    });
    const address = conn.addr as Deno.NetAddr;
    // A group's socket is bound to the wildcard address: name the group the user asked for.
    const hostname = group ? message.listen.hostname : address.hostname;
    // Before any traffic: the default buffer holds about one 1080p frame.
    const receiveBuffer = enlargeReceiveBuffer(address.port, address.hostname.includes(":"));
    post({ type: "listening", address: { hostname, port: address.port }, receiveBuffer });
    const timer = setInterval(() => {
      depacketizer?.expire(performance.now());
      postCounters(false);
    }, COUNTERS_EVERY_MS);
    receiveLoop(conn, path, BatchReceiver.open(conn)).finally(() => {
      clearInterval(timer);
      postCounters(true);
    });
  } else if (message.type === "stop") {
    stopped = true;
    nackPoll?.close();
    reportPoll?.close();
    try {
      conn?.close();
    } catch { /* already closed */ }
    if (!conn) postCounters(true);
  }
};
