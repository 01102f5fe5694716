import { deepStrictEqual, equal } from "node:assert/strict";
import { NackOpener } from "./nack_opener.ts";
import { DatagramSealer, RootKey } from "../crypto/mod.ts";
import { encodeNack, Flags } from "../wire/v1/mod.ts";

const KEY = "correct horse battery staple";
/** Few PBKDF2 rounds: the test is about the refusals, not key strength. */
const ITERATIONS = 1000;
const NONE = {
  unauthenticated: 0,
  keyPending: 0,
  authFailed: 0,
  replay: 0,
  staleSession: 0,
  sealVersion: 0,
};

Deno.test("NackOpener refuses what a receiver with the key did not seal, each by its reason", async () => {
  const plain = encodeNack({
    streamId: 1,
    frameSeq: 2,
    fragmentCount: 3,
    ranges: [{ first: 1, count: 2 }],
  });
  const root = await RootKey.derive(KEY, ITERATIONS);
  const sealer = await DatagramSealer.create(root, { startMs: Date.now() });
  const otherKey = await DatagramSealer.create(
    await RootKey.derive("another passphrase", ITERATIONS),
    { startMs: Date.now() },
  );
  const flaggedOnly = plain.slice();
  flaggedOnly[4] |= Flags.Encrypted;
  const table: [string, Uint8Array, keyof NackOpener["counters"]][] = [
    ["a plain NACK", plain, "unauthenticated"],
    ["four bytes", plain.subarray(0, 4), "unauthenticated"],
    ["the Encrypted flag on a plain NACK", flaggedOnly, "authFailed"],
    [
      "sealed with another key: its salt is tried and refused",
      await otherKey.seal(plain),
      "authFailed",
    ],
  ];
  for (const [name, datagram, reason] of table) {
    const opener = new NackOpener(root);
    equal(await opener.open(datagram, 0), null, name);
    deepStrictEqual(
      opener.counters,
      { ...NONE, [reason]: 1 },
      name,
    );
  }
  // The sealed one opens to the plain NACK at once: its salt is tried on it.
  const opener = new NackOpener(root);
  const sealed = await sealer.seal(plain);
  deepStrictEqual(await opener.open(sealed, 0), plain);
  deepStrictEqual(opener.counters, NONE);
  equal(await opener.open(sealed, 1), null);
  equal(opener.counters.replay, 1);
});

Deno.test("replayed NACKs: older receiver sessions cannot push the live one out and reset its window", async () => {
  const root = await RootKey.derive(KEY, ITERATIONS);
  const nack = encodeNack({
    streamId: 1,
    frameSeq: 2,
    fragmentCount: 3,
    ranges: [{ first: 1, count: 1 }],
  });
  const opener = new NackOpener(root, 2);
  // The live receiver at destination 0, and 20 recorded sessions of earlier receiver runs.
  const live = await DatagramSealer.create(root, { startMs: 1_000_000 });
  const liveNack = await live.seal(nack);
  deepStrictEqual(await opener.open(liveNack, 0, 0), nack);
  // Played back newest first: 15 fill the destination's 16 places; the 5 older than all of them
  // are refused unopened. (In any order, each new one can only push out the oldest kept.)
  for (let run = 19; run >= 0; run--) {
    const earlier = await DatagramSealer.create(root, { startMs: 1000 * run });
    await opener.open(await earlier.seal(nack), 1, 0);
  }
  equal(opener.counters.staleSession, 5, JSON.stringify(opener.counters));
  // The live session stayed, with its window: its NACK played back again is a replay.
  deepStrictEqual(await opener.open(liveNack, 2, 0), null);
  equal(opener.counters.replay, 1);
  // The other destination is unaffected.
  deepStrictEqual(await opener.open(await live.seal(nack), 3, 1), nack);
});
