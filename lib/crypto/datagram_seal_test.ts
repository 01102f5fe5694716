import { deepStrictEqual, equal, notDeepStrictEqual, ok } from "node:assert/strict";
import {
  DatagramOpener,
  DatagramSealer,
  ENCRYPTED_FLAG,
  type OpenResult,
  SEAL_OVERHEAD_BYTES,
} from "./datagram_seal.ts";
import { encodeNack, fragmentFrame, HEADER_BYTES } from "../wire/v1/mod.ts";
import { Prng } from "../netsim/mod.ts";

const ITERATIONS = 1000; // fast for tests; the programs use DEFAULT_KDF_ITERATIONS
const plain = fragmentFrame(
  new Prng(1).bytes(3000),
  { streamId: 9, frameSeq: 1, captureUs: 5 },
  1200,
);

/** Opens `sealed`, waiting (bounded) while the session key is derived. */
async function openWhenReady(opener: DatagramOpener, sealed: Uint8Array): Promise<OpenResult> {
  let result = await opener.open(sealed, 0);
  for (let i = 0; i < 200 && !result.ok && result.reason === "keyPending"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    result = await opener.open(sealed, 0);
  }
  return result;
}

Deno.test("seal then open gives back the exact datagram", async () => {
  const sealer = await DatagramSealer.create("correct horse", { iterations: ITERATIONS });
  const opener = new DatagramOpener("correct horse", { iterations: ITERATIONS });
  for (const datagram of plain) {
    const sealed = await sealer.seal(datagram);
    equal(sealed.length, datagram.length + SEAL_OVERHEAD_BYTES);
    equal(sealed[4] & ENCRYPTED_FLAG, ENCRYPTED_FLAG);
    // The payload is not readable on the wire.
    notDeepStrictEqual(
      sealed.subarray(HEADER_BYTES + 24, HEADER_BYTES + 40),
      datagram.subarray(HEADER_BYTES, HEADER_BYTES + 16),
    );
    const opened = await openWhenReady(opener, sealed);
    ok(opened.ok, JSON.stringify(opened));
    deepStrictEqual(opened.datagram, datagram);
  }
});

Deno.test("any changed byte fails authentication; replays and plain datagrams are refused", async () => {
  const sealer = await DatagramSealer.create("k", { iterations: ITERATIONS });
  const opener = new DatagramOpener("k", { iterations: ITERATIONS });
  const sealed = await sealer.seal(plain[0]);
  ok((await openWhenReady(opener, sealed)).ok);
  deepStrictEqual(await opener.open(sealed, 0), { ok: false, reason: "replay" });
  const fresh = await sealer.seal(plain[0]);
  const positions = [
    0,
    3,
    7,
    12,
    20,
    29,
    HEADER_BYTES + 16,
    HEADER_BYTES + 22,
    HEADER_BYTES + 30,
    fresh.length - 1,
  ];
  for (const at of positions) {
    const tampered = fresh.slice();
    tampered[at] ^= 0x01;
    const result = await opener.open(tampered, 0);
    equal(result.ok, false, `byte ${at}`);
    // A changed salt byte names an unknown session; every other byte fails authentication.
    const expected = at >= HEADER_BYTES && at < HEADER_BYTES + 16 ? "keyPending" : "authFailed";
    equal(!result.ok && result.reason, at === 4 ? "notEncrypted" : expected, `byte ${at}`);
  }
  // The untampered one still opens: failed attempts did not burn its counter.
  ok((await opener.open(fresh, 0)).ok);
  deepStrictEqual(await opener.open(plain[0], 0), { ok: false, reason: "notEncrypted" });
  deepStrictEqual(await opener.open(fresh.subarray(0, 40), 0), { ok: false, reason: "short" });
});

Deno.test("a wrong passphrase fails authentication", async () => {
  const sealer = await DatagramSealer.create("right", { iterations: ITERATIONS });
  const opener = new DatagramOpener("wrong", { iterations: ITERATIONS });
  const result = await openWhenReady(opener, await sealer.seal(plain[0]));
  deepStrictEqual(result, { ok: false, reason: "authFailed" });
});

Deno.test("nonces never repeat: the same datagram seals differently every time, across restarts", async () => {
  const seen = new Set<string>();
  for (let restart = 0; restart < 3; restart++) {
    const sealer = await DatagramSealer.create("k", { iterations: ITERATIONS });
    for (let i = 0; i < 50; i++) {
      const sealed = await sealer.seal(plain[0]);
      const tail = [...sealed.subarray(HEADER_BYTES)].join(",");
      equal(seen.has(tail), false);
      seen.add(tail);
    }
  }
});

Deno.test("a flood of forged salts does not keep a real sender's key from being derived", async () => {
  const sealer = await DatagramSealer.create("k", { iterations: ITERATIONS });
  const opener = new DatagramOpener("k", { iterations: ITERATIONS, minDeriveIntervalMs: 20 });
  const prng = new Prng(3);
  let opened = 0;
  for (let round = 0; round < 400 && opened === 0; round++) {
    for (let i = 0; i < 20; i++) {
      const forged = (await sealer.seal(plain[0])).slice();
      forged.set(prng.bytes(16), HEADER_BYTES);
      await opener.open(forged, round * 5);
    }
    const real = await opener.open(await sealer.seal(plain[1]), round * 5);
    if (real.ok) opened++;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  equal(opened, 1, "the real stream never got its key");
  ok(opener.sessionCount <= 4);
});

Deno.test("a NACK (16-byte header) seals and opens like any datagram", async () => {
  const nack = encodeNack({
    streamId: 9,
    frameSeq: 3,
    fragmentCount: 10,
    ranges: [{ first: 2, count: 3 }],
  });
  const sealer = await DatagramSealer.create("correct horse", { iterations: ITERATIONS });
  const opener = new DatagramOpener("correct horse", { iterations: ITERATIONS });
  const sealed = await sealer.seal(nack);
  equal(sealed.length, nack.length + SEAL_OVERHEAD_BYTES);
  deepStrictEqual(sealed.subarray(0, 4), nack.subarray(0, 4));
  const opened = await openWhenReady(opener, sealed);
  ok(opened.ok);
  if (opened.ok) deepStrictEqual(opened.datagram, nack);
});
