import { deepStrictEqual, equal } from "node:assert/strict";
import { NackOpener } from "./nack_opener.ts";
import { DatagramSealer } from "../crypto/mod.ts";
import { encodeNack, Flags } from "../wire/v1/mod.ts";

const KEY = "correct horse battery staple";
/** Few PBKDF2 rounds: the test is about the refusals, not key strength. */
const ITERATIONS = 1000;

Deno.test("NackOpener refuses what a receiver with the key did not seal, each by its reason", async () => {
  const plain = encodeNack({
    streamId: 1,
    frameSeq: 2,
    fragmentCount: 3,
    ranges: [{ first: 1, count: 2 }],
  });
  const sealer = await DatagramSealer.create(KEY, { iterations: ITERATIONS });
  const otherKey = await DatagramSealer.create("another passphrase", { iterations: ITERATIONS });
  const flaggedOnly = plain.slice();
  flaggedOnly[4] |= Flags.Encrypted;
  const table: [string, Uint8Array, keyof NackOpener["counters"]][] = [
    ["a plain NACK", plain, "unauthenticated"],
    ["four bytes", plain.subarray(0, 4), "unauthenticated"],
    ["the Encrypted flag on a plain NACK", flaggedOnly, "authFailed"],
    [
      "sealed with another key: its session key is derived first",
      await otherKey.seal(plain),
      "keyPending",
    ],
  ];
  for (const [name, datagram, reason] of table) {
    const opener = new NackOpener(KEY, ITERATIONS);
    equal(await opener.open(datagram, 0), null, name);
    deepStrictEqual(
      opener.counters,
      { unauthenticated: 0, keyPending: 0, authFailed: 0, replay: 0, [reason]: 1 },
      name,
    );
  }
  // The sealed one opens to the plain NACK once the session key is known (at most 200 tries).
  const opener = new NackOpener(KEY, ITERATIONS);
  const sealed = await sealer.seal(plain);
  let opened: Uint8Array | null = null;
  for (let attempt = 0; attempt < 200 && opened === null; attempt++) {
    opened = await opener.open(sealed, attempt);
    if (opened === null) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  deepStrictEqual(opened, plain);
});
