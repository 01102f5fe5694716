/**
 * Attack scripts against `--key` for the tests and benchmarks (issue #19): a recorder that
 * captures a sealed session off the wire and plays it back later, a flood of forged salts, and
 * the frame fingerprints that tell old frames from live ones. Loopback only, bounded in time and
 * count.
 *
 * @module
 */

import { Prng } from "../../lib/netsim/mod.ts";
import { readMjpegFrames, sha256 } from "./mjpeg.ts";

/** Most datagrams the recorder keeps (a few seconds of a small stream is a few hundred). */
const MAX_RECORDED = 20_000;

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<unknown> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** A datagram seen on the wire, and when (ms after the recording started). */
export interface Recorded {
  /** When it arrived, ms after the recording started. */
  atMs: number;
  /** Its bytes. */
  bytes: Uint8Array;
}

/** Captures whatever arrives on `socket` until it is closed (at most MAX_RECORDED datagrams). */
export async function record(socket: Deno.DatagramConn, into: Recorded[]): Promise<void> {
  const startMs = performance.now();
  while (into.length < MAX_RECORDED) {
    try {
      const [datagram] = await socket.receive();
      into.push({ atMs: performance.now() - startMs, bytes: datagram.slice() });
    } catch {
      return; // closed
    }
  }
}

/** Sends `recording` to `to` again with its original spacing. */
export async function replay(socket: Deno.DatagramConn, recording: Recorded[], to: Deno.NetAddr) {
  const startMs = performance.now();
  for (const { atMs, bytes } of recording) {
    const waitMs = atMs - (performance.now() - startMs);
    if (waitMs > 1) await sleep(waitMs);
    await socket.send(bytes, to);
  }
}

/** SHA-256 of every frame of an MJPEG file (a partly written last frame is left out). */
export async function frameHashes(path: string): Promise<string[]> {
  let frames: Uint8Array[];
  try {
    frames = readMjpegFrames(path);
  } catch {
    return [];
  }
  return await Promise.all(frames.map(sha256));
}

/** Frames of `hashes` whose hash is in `of`. */
export function countIn(hashes: string[], of: Set<string>): number {
  return hashes.filter((hash) => of.has(hash)).length;
}

/**
 * A forged sealed datagram of the length the attack used (70 bytes): a valid v1 fragment header
 * with the Encrypted flag, then `salt`, and a counter and tag that are random. Its capture time
 * (header bytes 22-29) is now and the salt looks like a session started now ({@linkcode forgedSalt}),
 * so no cheap check can tell it from a real session's first datagram.
 */
export function forgedDatagram(prng: Prng, salt: Uint8Array, streamId: number): Uint8Array {
  const datagram = prng.bytes(70);
  const view = new DataView(datagram.buffer);
  datagram.set([0x55, 0x43, 1, 0, 0x02, 0], 0); // magic, version 1, fragment, Encrypted flag
  view.setUint16(6, 0); // fragment index 0
  view.setUint16(8, 1); // of 1 fragment
  view.setUint32(10, streamId);
  view.setUint32(14, prng.int(0, 0xffff_ffff)); // frame sequence
  view.setUint32(18, 16); // frame bytes
  view.setBigUint64(22, BigInt(Date.now()) * 1000n); // capture time, µs: now
  datagram.set(salt, 30);
  return datagram;
}

/** A random salt that looks like a session started just now (seal version 2, start time). */
export function forgedSalt(prng: Prng): Uint8Array {
  const salt = prng.bytes(16);
  salt[0] = 2;
  const startMs = Date.now();
  for (let i = 0; i < 6; i++) salt[1 + i] = Math.floor(startMs / 2 ** (8 * (5 - i))) & 0xff;
  return salt;
}

/**
 * The salt flood of the attack pass: a heavy salt re-sent in bursts, so one always looks the most
 * seen, plus a fresh salt every 5 ms; `perSecond` datagrams/s in all (2,500, 1.4 Mbit/s, by
 * default). Runs until `stop()`.
 */
export function saltFlood(
  to: Deno.NetAddr,
  streamId: () => number,
  seed: number,
  perSecond = 2500,
): { readonly sent: number; stop(): Promise<void> } {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const prng = new Prng(seed);
  let heavy = forgedSalt(prng);
  let running = true;
  let sent = 0;
  const done = (async () => {
    const startMs = performance.now();
    let lastFreshMs = -Infinity;
    let heavyFromMs = 0;
    // Bounded: at most 60 s and 60 s worth of datagrams, whatever happens to stop().
    for (let round = 0; running && round < 60_000 && sent < 60 * perSecond; round++) {
      const elapsedMs = performance.now() - startMs;
      if (elapsedMs > 60_000) break;
      // A new heavy salt every second, ~2,300 times each: the one a once-a-second derivation
      // picks is always seen more often than a real stream of a few hundred datagrams/s.
      if (elapsedMs - heavyFromMs >= 1000) {
        heavy = forgedSalt(prng);
        heavyFromMs = elapsedMs;
      }
      const burst: Uint8Array[] = [];
      if (elapsedMs - lastFreshMs >= 5) {
        burst.push(forgedDatagram(prng, forgedSalt(prng), streamId()));
        lastFreshMs = elapsedMs;
      }
      // Catch up to `perSecond` in all, whatever the timer's granularity.
      while (sent + burst.length < elapsedMs * perSecond / 1000) {
        burst.push(forgedDatagram(prng, heavy, streamId()));
      }
      for (const datagram of burst) {
        try {
          await socket.send(datagram, to);
        } catch { /* a full socket buffer drops it, as the network would */ }
        sent++;
      }
      // As even as the timer allows: gaps in a flood are where the real datagrams win.
      await sleep(1);
    }
  })();
  return {
    get sent() {
      return sent;
    },
    async stop() {
      running = false;
      await done;
      socket.close();
    },
  };
}
