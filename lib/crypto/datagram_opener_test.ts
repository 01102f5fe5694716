import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { DatagramOpener, type OpenResult } from "./datagram_opener.ts";
import { DatagramSealer } from "./datagram_seal.ts";
import { RootKey } from "./seal_key.ts";
import { fragmentFrame, HEADER_BYTES } from "../wire/v1/mod.ts";
import { Prng } from "../netsim/mod.ts";

const ITERATIONS = 1000; // fast for tests; the programs use KDF_ITERATIONS
const root = await RootKey.derive("correct horse battery staple", ITERATIONS);
const plain = fragmentFrame(
  new Prng(2).bytes(20_000),
  { streamId: 9, frameSeq: 1, captureUs: 5 },
  1200,
);

/** A datagram of `sealed`'s shape under another salt: what a forger without the key can send. */
function withSalt(sealed: Uint8Array, salt: Uint8Array): Uint8Array {
  const forged = sealed.slice();
  forged.set(salt, HEADER_BYTES);
  return forged;
}

Deno.test("only a salt whose datagram authenticates becomes a session", async () => {
  const sealer = await DatagramSealer.create(root);
  const opener = new DatagramOpener(root);
  const real = await sealer.seal(plain[0]);
  const prng = new Prng(4);
  for (let i = 0; i < 20; i++) {
    deepStrictEqual(await opener.open(withSalt(real, prng.bytes(16)), i), {
      ok: false,
      reason: "authFailed",
    });
  }
  equal(opener.sessionCount, 0);
  equal(opener.tries, 20);
  // The forger may copy the real salt off the wire: its datagram fails, the salt stays untainted.
  const copied = real.slice();
  copied[copied.length - 1] ^= 1;
  deepStrictEqual(await opener.open(copied, 20), { ok: false, reason: "authFailed" });
  ok((await opener.open(real, 21)).ok);
  equal(opener.sessionCount, 1);
  // Known now: no more tries for it.
  ok((await opener.open(await sealer.seal(plain[1]), 22)).ok);
  equal(opener.tries, 22);
});

Deno.test("tries are rationed: a burst, then triesPerSecond; one salt is tried once at a time", async () => {
  const sealer = await DatagramSealer.create(root);
  const real = await sealer.seal(plain[0]);
  const opener = new DatagramOpener(root, { triesPerSecond: 100, tryBurst: 5 });
  const prng = new Prng(5);
  const results: OpenResult[] = [];
  for (let i = 0; i < 8; i++) results.push(await opener.open(withSalt(real, prng.bytes(16)), 0));
  deepStrictEqual(results.map((r) => !r.ok && r.reason), [
    ...Array(5).fill("authFailed"),
    ...Array(3).fill("keyPending"),
  ]);
  // 10 ms at 100/s earns one more.
  equal((await opener.open(withSalt(real, prng.bytes(16)), 10)).ok, false);
  equal(opener.tries, 6);
  // Two datagrams of one new salt at once: one try; the other waits.
  const second = await sealer.seal(plain[1]);
  const both = await Promise.all([opener.open(real, 1000), opener.open(second, 1000)]);
  deepStrictEqual(both.map((r) => r.ok || r.reason), [true, "keyPending"]);
  equal(opener.tries, 7);
});

Deno.test("a salt flood at any rate: the real session is tried in proportion to its share", async () => {
  // Simulated time: per ms of stream, `forgedPerMs` forged datagrams (a fresh salt each, and some
  // heavy salts sent again and again) arrive before each real one, right after the budget earned
  // its next try. The real session must open, and the tries made stay within the budget whatever
  // the flood.
  for (const forgedPerMs of [2, 20, 100]) {
    const sealer = await DatagramSealer.create(root);
    const prng = new Prng(forgedPerMs);
    const opener = new DatagramOpener(root, {
      triesPerSecond: 500,
      tryBurst: 32,
      random: () => prng.next(),
    });
    const heavy = [prng.bytes(16), prng.bytes(16)];
    const template = await sealer.seal(plain[0]);
    let openedAtMs: number | null = null;
    // The flood runs alone for 1 s (the banked tries are long spent), then the sender starts.
    const startMs = 1000;
    // Bounded: at most 20 s of simulated stream.
    for (let ms = 0; ms < startMs + 20_000 && openedAtMs === null; ms++) {
      for (let i = 0; i < forgedPerMs; i++) {
        const salt = i % 2 === 0 ? prng.bytes(16) : heavy[i % 4 === 1 ? 0 : 1];
        await opener.open(withSalt(template, salt), ms);
      }
      if (ms < startMs) continue;
      const real = await opener.open(await sealer.seal(plain[ms % plain.length]), ms);
      if (real.ok) openedAtMs = ms;
    }
    ok(openedAtMs !== null, `${forgedPerMs} forged per real datagram: never opened`);
    // Every try came out of the budget: 32 banked, then 500/s.
    ok(opener.tries <= 32 + 0.5 * (openedAtMs + 1), `${opener.tries} tries by ${openedAtMs} ms`);
    equal(opener.sessionCount, 1);
  }
});
