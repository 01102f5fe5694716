/**
 * Seeded, bounded fuzz of the receiver's whole datagram path (lib/receive/receive_path.ts): source
 * filter → seal check → AES-GCM open → reassembler, fed real traffic (data, FEC parity, NACKs),
 * mutated traffic (bit flips, truncation, oversize, replays, reordering), valid headers with
 * absurd counts, lengths and indexes, and random junk.
 *
 * What it asserts, at every step:
 * - nothing throws;
 * - memory stays bounded: the reassembler holds at most {@linkcode MAX_FRAMES} frames and
 *   {@linkcode MAX_BYTES_IN_FLIGHT} bytes, and at most {@linkcode MAX_PENDING_OPENS} datagrams wait
 *   to be opened (so the path holds at most MAX_BYTES_IN_FLIGHT + 256 × 64 KiB);
 * - every datagram is accounted for: received = accepted + dropped (by reason) + pending;
 * - with `--key` (the keyed path), every frame that comes out is byte-identical to a frame sent.
 *   Without a key nothing can tell a forged or bit-flipped header from a real one, so that path
 *   is held to the first three only (which is why `--key` exists).
 *
 * `UDPCAM_FUZZ_ROUNDS=N` multiplies the work (`deno task fuzz` runs a long one).
 *
 * @module
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { DatagramOpener, DatagramSealer, RootKey, SEAL_OVERHEAD_BYTES } from "../crypto/mod.ts";
import type { FecSetting } from "../fec/mod.ts";
import { encodeNack, fecParityDatagrams, fragmentFrame, Reassembler } from "../wire/v1/mod.ts";
import { Prng } from "../netsim/mod.ts";
import { MAX_PENDING_OPENS, ReceivePath } from "./receive_path.ts";
import {
  absurdHeaderDatagram,
  junkDatagram,
  mutateDatagram,
} from "../../tests/support/junk_datagrams.ts";

const ROUNDS = Math.max(1, Number(Deno.env.get("UDPCAM_FUZZ_ROUNDS") ?? "3") || 3);
const MAX_FRAMES = 8;
const MAX_BYTES_IN_FLIGHT = 4 * 1024 * 1024;
const ITERATIONS = 1000;
const KEY = "fuzzing passphrase";
const STREAM = 0x5eed;
const FEC: FecSetting = { scheme: "rs", groupData: 8, groupParity: 2, interleaved: true };
const FROM = { hostname: "127.0.0.1" };

/** A cheap content key for looking frames up. */
function keyOf(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  return `${bytes.length}:${hash >>> 0}`;
}

interface Traffic {
  frames: Map<string, Uint8Array>;
  datagrams: Uint8Array[];
}

function realTraffic(prng: Prng, frameCount: number): Traffic {
  const frames = new Map<string, Uint8Array>();
  const datagrams: Uint8Array[] = [];
  for (let seq = 0; seq < frameCount; seq++) {
    const frame = prng.bytes(prng.int(1, 40_000));
    frames.set(keyOf(frame), frame);
    const data = fragmentFrame(
      frame,
      { streamId: STREAM, frameSeq: seq, captureUs: seq },
      1200 - SEAL_OVERHEAD_BYTES - 4,
    );
    datagrams.push(...prng.shuffle([...data, ...fecParityDatagrams(data, FEC)]));
    if (prng.next() < 0.2) {
      const count = data.length;
      datagrams.push(encodeNack({
        streamId: STREAM,
        frameSeq: seq,
        fragmentCount: count,
        ranges: [{ first: 0, count }],
      }));
    }
  }
  return { frames, datagrams };
}

/** One hostile datagram: a mutation of `real`, an absurd header or junk. */
function mutate(prng: Prng, real: Uint8Array[]): Uint8Array {
  const kind = prng.int(0, 6);
  if (kind < 5) return mutateDatagram(prng, real);
  return kind === 5
    ? absurdHeaderDatagram(prng, prng.next() < 0.5 ? STREAM : null)
    : junkDatagram(prng);
}

function makePath(opener: DatagramOpener | null, emitted: Uint8Array[]) {
  const reassembler = new Reassembler({
    maxFramesInFlight: MAX_FRAMES,
    maxBytesInFlight: MAX_BYTES_IN_FLIGHT,
    frameTimeoutMs: 250,
  });
  let clock = 0;
  const path = new ReceivePath({
    depacketizer: reassembler,
    opener,
    filter: null,
    sealable: true,
    nowMs: () => clock,
    // Capture times here are a few µs after the epoch: the wall clock agrees.
    epochMs: () => 0,
    onDelivered: (_datagram, frame) => {
      if (frame) emitted.push(frame.bytes);
    },
  });
  return { path, reassembler, tick: (ms: number) => clock += ms };
}

function checkBounds(path: ReceivePath, reassembler: Reassembler, label: string): void {
  ok(reassembler.framesInFlight <= MAX_FRAMES, `${label}: frames in flight`);
  ok(reassembler.bytesInFlight <= MAX_BYTES_IN_FLIGHT, `${label}: bytes in flight`);
  ok(path.pending <= MAX_PENDING_OPENS, `${label}: pending opens`);
  const c = path.counters;
  const dropped = Object.values(c.datagramDrops).reduce((a, b) => a + b, 0);
  equal(c.datagramsReceived, c.datagramsAccepted + dropped + c.datagramsPending, label);
}

Deno.test("fuzz: the keyed path never throws, stays bounded, and only emits frames sent", async () => {
  const root = await RootKey.derive(KEY, ITERATIONS);
  const forgerRoot = await RootKey.derive("not the passphrase", ITERATIONS);
  for (let round = 0; round < ROUNDS; round++) {
    const seed = 1000 + round;
    const prng = new Prng(seed);
    const traffic = realTraffic(prng, 12);
    const sealer = await DatagramSealer.create(root, { startMs: 0 });
    const sealed: Uint8Array[] = [];
    for (const datagram of traffic.datagrams) sealed.push(await sealer.seal(datagram));
    // A forger's own session: right format, wrong key.
    // It claims a newer start, so its datagrams are tried (and fail) rather than refused unseen.
    const forger = await DatagramSealer.create(forgerRoot, { startMs: 1 });
    const forged = await Promise.all(traffic.datagrams.slice(0, 50).map((d) => forger.seal(d)));
    const emitted: Uint8Array[] = [];
    const opener = new DatagramOpener(root);
    const { path, reassembler, tick } = makePath(opener, emitted);
    // The first datagram brings the real session (its salt is tried on it); datagrams pushed
    // while it is being tried would wait (keyPending), and here they all come in one burst.
    path.push(sealed[0], FROM, 0);
    await path.idle();
    equal(opener.sessionCount, 1, `seed ${seed}: the real session was not found`);
    let hostile = 0;
    for (const datagram of sealed) {
      path.push(datagram, FROM, tick(0.1));
      for (let n = prng.int(0, 3); n > 0; n--, hostile++) {
        const pool = prng.next() < 0.8 ? sealed : forged;
        path.push(mutate(prng, pool), FROM, tick(0.1));
      }
      if (path.pending >= MAX_PENDING_OPENS) await path.waitForRoom();
      checkBounds(path, reassembler, `seed ${seed}`);
    }
    await path.idle();
    checkBounds(path, reassembler, `seed ${seed}`);
    ok(hostile > 0);
    for (const frame of emitted) {
      const sent = traffic.frames.get(keyOf(frame));
      ok(sent !== undefined, `seed ${seed}: a frame that was never sent came out`);
      deepStrictEqual(frame, sent, `seed ${seed}: frame bytes differ`);
    }
    // Authentic datagrams replayed early reorder the stream, so not every frame makes it; some do.
    ok(emitted.length >= 1, `seed ${seed}: no frame came through`);
  }
});

Deno.test("fuzz: the plain path never throws and stays bounded under hostile datagrams", () => {
  for (let round = 0; round < ROUNDS; round++) {
    const seed = 2000 + round;
    const prng = new Prng(seed);
    const traffic = realTraffic(prng, 12);
    const emitted: Uint8Array[] = [];
    const { path, reassembler, tick } = makePath(null, emitted);
    for (const datagram of traffic.datagrams) {
      path.push(datagram, FROM, tick(0.1));
      for (let n = prng.int(0, 3); n > 0; n--) {
        path.push(mutate(prng, traffic.datagrams), FROM, tick(0.1));
      }
      checkBounds(path, reassembler, `seed ${seed}`);
    }
    for (let i = 0; i < 3000; i++) {
      path.push(mutate(prng, traffic.datagrams), FROM, tick(prng.int(0, 300)));
      checkBounds(path, reassembler, `seed ${seed}`);
    }
    // No liveness claim here: forged headers with the stream's id and a far-ahead frame number
    // make real frames stale, which only --key prevents.
    ok(reassembler.counters.datagramsReceived > 0);
  }
});
