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
