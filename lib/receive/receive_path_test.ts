import { deepStrictEqual, equal } from "node:assert/strict";
import { AddressFilter, parseAddressRule } from "../net/mod.ts";
import { DatagramOpener, DatagramSealer, RootKey } from "../crypto/mod.ts";
import { fragmentFrame, Reassembler } from "../wire/v1/mod.ts";
import { Prng } from "../netsim/mod.ts";
import { ReceivePath, type ReceivePathOptions } from "./receive_path.ts";
import type { ReceivedFrame } from "../wire/frames/mod.ts";

const ITERATIONS = 1000; // fast for tests; the programs use KDF_ITERATIONS
const KEY = "correct horse battery";
const FROM = { hostname: "127.0.0.1" };

function frames(count: number, streamId = 7): { bytes: Uint8Array; datagrams: Uint8Array[] }[] {
  const prng = new Prng(count);
  return Array.from({ length: count }, (_, seq) => {
    const bytes = prng.bytes(prng.int(500, 6000));
    return {
      bytes,
      datagrams: fragmentFrame(bytes, { streamId, frameSeq: seq, captureUs: 1 }, 600),
    };
  });
}

function makePath(options: Partial<ReceivePathOptions<{ hostname: string }>> = {}) {
  const out: ReceivedFrame[] = [];
  const path = new ReceivePath({
    depacketizer: new Reassembler(),
    opener: null,
    filter: null,
    sealable: true,
    nowMs: () => 0,
    // The frames' capture time is 1 µs: the wall clock is made to agree.
    epochMs: () => 0,
    onDelivered: (_datagram, frame) => {
      if (frame) out.push(frame);
    },
    ...options,
  });
  return { path, out };
}

Deno.test("a keyed path opens sealed datagrams and delivers frames in order, exactly", async () => {
  const root = await RootKey.derive(KEY, ITERATIONS);
  const sealer = await DatagramSealer.create(root, { startMs: 0 });
  const sent = frames(5);
  const sealed = await Promise.all(sent.flatMap((f) => f.datagrams).map((d) => sealer.seal(d)));
  const { path, out } = makePath({ opener: new DatagramOpener(root) });
  // The first datagram brings its session (its salt is tried on it); the others wait for it.
  path.push(sealed[0], FROM, 0);
  await path.idle();
  // All pushed at once: opens run together, delivery stays in push order.
  for (const datagram of sealed.slice(1)) path.push(datagram, FROM, 0);
  await path.idle();
  deepStrictEqual(out.map((f) => f.bytes), sent.map((f) => f.bytes));
  const c = path.counters;
  equal(c.datagramsReceived, sealed.length);
  equal(c.datagramsPending, 0);
  // Replayed datagrams are refused before they reach the reassembler.
  for (const datagram of sealed.slice(0, 10)) path.push(datagram, FROM, 0);
  await path.idle();
  equal(path.counters.datagramDrops.replay, 10);
  equal(out.length, 5);
});

Deno.test("drops by reason: encrypted, unauthenticated, authFailed, notAllowed", async () => {
  const sealer = await DatagramSealer.create(await RootKey.derive(KEY, ITERATIONS), {
    startMs: 0,
  });
  const plain = frames(1)[0].datagrams;
  const sealed = await Promise.all(plain.map((d) => sealer.seal(d)));

  const unkeyed = makePath();
  for (const d of sealed) unkeyed.path.push(d, FROM, 0);
  equal(unkeyed.path.counters.datagramDrops.encrypted, sealed.length);
  equal(unkeyed.out.length, 0);

  const opener = new DatagramOpener(await RootKey.derive("another passphrase", ITERATIONS));
  const wrongKey = makePath({ opener });
  for (const d of plain) wrongKey.path.push(d, FROM, 0);
  for (const d of sealed) wrongKey.path.push(d, FROM, 0);
  await wrongKey.path.idle();
  const drops = wrongKey.path.counters.datagramDrops;
  equal(drops.unauthenticated, plain.length);
  // Pushed at once: the sender's salt is tried on the first and fails; the others came while it
  // was being tried. Pushed again, each is a try of its own (within the burst), and each fails.
  equal(drops.authFailed, 1);
  equal(drops.keyPending, sealed.length - 1);
  for (const d of sealed) {
    wrongKey.path.push(d, FROM, 0);
    await wrongKey.path.idle();
  }
  equal(wrongKey.path.counters.datagramDrops.authFailed, 1 + sealed.length);
  equal(wrongKey.out.length, 0);

  const rule = parseAddressRule("10.0.0.0/8");
  if (typeof rule === "string") throw new Error(rule);
  const filtered = makePath({ filter: new AddressFilter([rule]) });
  for (const d of plain) filtered.path.push(d, { hostname: "192.168.1.9" }, 0);
  equal(filtered.path.counters.datagramDrops.notAllowed, plain.length);
  for (const d of plain) filtered.path.push(d, { hostname: "10.1.1.1" }, 0);
  equal(filtered.out.length, 1);
});

Deno.test("keyed drops before the depacketizer: otherStream (--stream), notFresh, staleSession, sealVersion", async () => {
  const root = await RootKey.derive(KEY, ITERATIONS);
  const older = await DatagramSealer.create(root, { startMs: 0 });
  const current = await DatagramSealer.create(root, { startMs: 1 });
  const sealAll = (sealer: DatagramSealer, datagrams: Uint8Array[]) =>
    Promise.all(datagrams.map((d) => sealer.seal(d)));
  let epochMs = 0;
  const { path, out } = makePath({
    opener: new DatagramOpener(root),
    lockedStreamId: 7,
    epochMs: () => epochMs,
  });
  // One at a time: a new session's first datagram is tried before the next one comes.
  const push = async (datagrams: Uint8Array[]) => {
    for (const d of datagrams) {
      path.push(d, FROM, 0);
      await path.idle();
    }
  };
  // Another stream, under --stream 7: dropped before it is opened, so it takes no session.
  await push(await sealAll(current, frames(1, 8)[0].datagrams));
  equal(path.counters.datagramDrops.otherStream, frames(1, 8)[0].datagrams.length);
  // Stream 7, current session: delivered; then a session that started earlier: staleSession.
  const mine = frames(2);
  await push(await sealAll(current, mine[0].datagrams));
  equal(out.length, 1, JSON.stringify(path.counters.datagramDrops));
  const stale = await sealAll(older, mine[1].datagrams);
  await push(stale);
  equal(path.counters.datagramDrops.staleSession, stale.length);
  // The same datagrams 11 s later by the receiver's clock: notFresh, before anything else.
  epochMs = 11_000;
  await push(stale);
  equal(path.counters.datagramDrops.notFresh, stale.length);
  // Another seal format (version byte 1).
  epochMs = 0;
  const other = (await sealAll(current, mine[1].datagrams)).map((d) => {
    d[30] = 1;
    return d;
  });
  await push(other);
  equal(path.counters.datagramDrops.sealVersion, other.length);
  equal(out.length, 1);
  const c = path.counters;
  const dropped = Object.values(c.datagramDrops).reduce((a, b) => a + b, 0);
  equal(c.datagramsReceived, c.datagramsAccepted + dropped + c.datagramsPending);
});

Deno.test("stream lock: --stream follows one id, --follow-newest switches at once", () => {
  const a = frames(2, 0xa);
  const b = frames(2, 0xb);
  const push = (r: Reassembler, f: { datagrams: Uint8Array[] }[], nowMs: number) =>
    f.flatMap((x) => x.datagrams).map((d) => r.push(d, nowMs)).filter((x) => x !== null).length;

  const locked = new Reassembler({ lockedStreamId: 0xb });
  equal(push(locked, a, 0), 0);
  equal(push(locked, a, 10_000), 0); // even after a long silence
  equal(push(locked, b, 10_000), 2);
  equal(locked.streamId, 0xb);

  const newest = new Reassembler({ followNewest: true });
  equal(push(newest, a, 0), 2);
  equal(push(newest, frames(3, 0xb).slice(2), 1), 1); // a new stream takes over at once
  equal(newest.streamId, 0xb);
  // The old stream does not take over again while the new one is active.
  equal(push(newest, frames(4, 0xa).slice(3), 2), 0);
  equal(newest.streamId, 0xb);

  const firstSeen = new Reassembler();
  equal(push(firstSeen, a, 0), 2);
  equal(push(firstSeen, b, 1), 0);
  equal(firstSeen.counters.datagramDrops.otherStream > 0, true);
});
