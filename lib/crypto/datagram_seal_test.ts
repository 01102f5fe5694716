import { deepStrictEqual, equal, notDeepStrictEqual, ok } from "node:assert/strict";
import { DatagramSealer, ENCRYPTED_FLAG, SEAL_OVERHEAD_BYTES } from "./datagram_seal.ts";
import { DatagramOpener } from "./datagram_opener.ts";
import { RootKey } from "./seal_key.ts";
import { encodeLinkReport, encodeNack, fragmentFrame, HEADER_BYTES } from "../wire/v1/mod.ts";
import { Prng } from "../netsim/mod.ts";

const ITERATIONS = 1000; // fast for tests; the programs use KDF_ITERATIONS
const plain = fragmentFrame(
  new Prng(1).bytes(3000),
  { streamId: 9, frameSeq: 1, captureUs: 5 },
  1200,
);
const root = await RootKey.derive("correct horse", ITERATIONS);
/** The clocks the opener is given: its wall clock is the datagrams' capture time (5 µs). */
const AT = { nowMs: 0, epochMs: 0 };

Deno.test("seal then open gives back the exact datagram", async () => {
  const sealer = await DatagramSealer.create(root, { startMs: 0 });
  const opener = new DatagramOpener(await RootKey.derive("correct horse", ITERATIONS));
  for (const datagram of plain) {
    const sealed = await sealer.seal(datagram);
    equal(sealed.length, datagram.length + SEAL_OVERHEAD_BYTES);
    equal(sealed[4] & ENCRYPTED_FLAG, ENCRYPTED_FLAG);
    // The payload is not readable on the wire.
    notDeepStrictEqual(
      sealed.subarray(HEADER_BYTES + 24, HEADER_BYTES + 40),
      datagram.subarray(HEADER_BYTES, HEADER_BYTES + 16),
    );
    const opened = await opener.open(sealed, AT);
    ok(opened.ok, JSON.stringify(opened));
    deepStrictEqual(opened.datagram, datagram);
  }
});

Deno.test("any changed byte fails authentication; replays and plain datagrams are refused", async () => {
  const sealer = await DatagramSealer.create(root, { startMs: 0 });
  const opener = new DatagramOpener(root);
  const sealed = await sealer.seal(plain[0]);
  ok((await opener.open(sealed, AT)).ok);
  deepStrictEqual(await opener.open(sealed, AT), { ok: false, reason: "replay" });
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
    const result = await opener.open(tampered, AT);
    equal(result.ok, false, `byte ${at}`);
    // A changed salt byte names an unknown session: tried, and it fails too.
    equal(!result.ok && result.reason, at === 4 ? "notEncrypted" : "authFailed", `byte ${at}`);
  }
  // The session id: its version byte, its start (1 ms later: a newer session, tried and refused),
  // its start set far ahead (refused before any try), its random part.
  const table: [number, number, string][] = [
    [HEADER_BYTES, 0x01, "sealVersion"],
    [HEADER_BYTES + 6, 0x01, "authFailed"],
    [HEADER_BYTES + 2, 0x01, "notFresh"],
    // Another id that did not start later than the session kept: not even tried.
    [HEADER_BYTES + 15, 0x01, "staleSession"],
  ];
  for (const [at, flip, reason] of table) {
    const tampered = fresh.slice();
    tampered[at] ^= flip;
    deepStrictEqual(await opener.open(tampered, AT), { ok: false, reason }, `byte ${at}`);
  }
  equal(opener.sessionCount, 1, "a forged salt left a session behind");
  // The untampered one still opens: failed attempts did not burn its counter.
  ok((await opener.open(fresh, AT)).ok);
  deepStrictEqual(await opener.open(plain[0], AT), { ok: false, reason: "notEncrypted" });
  deepStrictEqual(await opener.open(fresh.subarray(0, 40), AT), { ok: false, reason: "short" });
});

Deno.test("a wrong passphrase fails authentication", async () => {
  const sealer = await DatagramSealer.create(await RootKey.derive("right", ITERATIONS), {
    startMs: 0,
  });
  const opener = new DatagramOpener(await RootKey.derive("wrong", ITERATIONS));
  deepStrictEqual(await opener.open(await sealer.seal(plain[0]), AT), {
    ok: false,
    reason: "authFailed",
  });
});

Deno.test("nonces never repeat: the same datagram seals differently every time, across restarts", async () => {
  const seen = new Set<string>();
  for (let restart = 0; restart < 3; restart++) {
    const sealer = await DatagramSealer.create(root, { startMs: 0 });
    for (let i = 0; i < 50; i++) {
      const sealed = await sealer.seal(plain[0]);
      const tail = [...sealed.subarray(HEADER_BYTES)].join(",");
      equal(seen.has(tail), false);
      seen.add(tail);
    }
  }
});

Deno.test("a NACK (16-byte header) seals and opens like any datagram", async () => {
  const nack = encodeNack({
    streamId: 9,
    frameSeq: 3,
    fragmentCount: 10,
    ranges: [{ first: 2, count: 3 }],
  });
  const sealer = await DatagramSealer.create(root, { startMs: 0 });
  // A NACK carries no capture time: the receiver's freshness check refuses it, a sender's
  // opener (no freshness: NACKs are checked by session order and replay window) opens it.
  const sealed = await sealer.seal(nack);
  deepStrictEqual(await new DatagramOpener(root).open(sealed, AT), {
    ok: false,
    reason: "notFresh",
  });
  const opener = new DatagramOpener(root, { maxClockSkewMs: null, forgetAfterMs: null });
  equal(sealed.length, nack.length + SEAL_OVERHEAD_BYTES);
  deepStrictEqual(sealed.subarray(0, 4), nack.subarray(0, 4));
  const opened = await opener.open(sealed, AT);
  ok(opened.ok);
  if (opened.ok) deepStrictEqual(opened.datagram, nack);
});

Deno.test("golden: a fragment sealed under the programs' key schedule (PBKDF2 600,000, HKDF, GCM)", async () => {
  // Expected bytes from an independent implementation (Python's hashlib.pbkdf2_hmac and the
  // cryptography package's HKDF and AESGCM), not from this code.
  const programsRoot = await RootKey.derive("correct horse battery staple"); // KDF_ITERATIONS
  // deno-fmt-ignore
  const sessionId = new Uint8Array([
    0x02,                               // seal version 2
    0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b, // start 1,700,000,000,123 ms
    0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, // random
  ]);
  const sealer = await DatagramSealer.create(programsRoot, { startMs: 0, sessionId });
  // deno-fmt-ignore
  const fragment = new Uint8Array([
    0x55, 0x43, 0x01, 0x00,             // magic "UC", version 1, type 0 (fragment)
    0x00, 0x00, 0x00, 0x00,             // flags 0, type-specific 0, fragment index 0
    0x00, 0x01,                         // fragment count 1
    0x0a, 0x0b, 0x0c, 0x0d,             // stream id
    0x00, 0x00, 0x00, 0x07,             // frame sequence 7
    0x00, 0x00, 0x00, 0x05,             // frame bytes 5
    0x00, 0x06, 0x0a, 0x24, 0x18, 0x20, 0x20, 0x78, // capture time 1,700,000,000,123,000 µs
    0x68, 0x65, 0x6c, 0x6c, 0x6f,       // payload "hello"
  ]);
  const sealed = await sealer.seal(fragment);
  const clear = fragment.slice(0, HEADER_BYTES);
  clear[4] = 0x02; // the Encrypted flag
  // deno-fmt-ignore
  deepStrictEqual(sealed, new Uint8Array([
    ...clear,                           // the header, in clear, flag 0x02 set
    ...sessionId,                       // session id
    0, 0, 0, 0, 0, 0, 0, 0,             // counter 0
    0x24, 0xbd, 0xd8, 0x1a, 0xa7,       // "hello", encrypted
    0x16, 0x81, 0x4f, 0xf3, 0x60, 0xeb, 0xd0, 0xf4, // GCM tag (16)
    0x6f, 0x19, 0x7c, 0x8a, 0x4e, 0x85, 0x13, 0x3d,
  ]));
});

Deno.test("a receiver report (type 3) keeps its 16 fixed bytes in clear, like a NACK", async () => {
  const report = encodeLinkReport({
    streamId: 0xdeadbeef,
    reportSeq: 7,
    intervalMs: 200,
    totalDatagramsReceived: 10_000,
    totalDatagramsLost: 120,
    totalFramesCompleted: 290,
    totalFramesLost: 3,
    datagramsReceived: 200,
    datagramsLost: 10,
    framesCompleted: 5,
    framesLost: 1,
    bytesReceived: 236_000,
    echoFrameSeq: 3,
    echoCaptureUsLow: 1,
    holdUs: 0,
    queueDelayUs: 0,
    delayTrendUsPerS: 0,
    delaySamples: 20,
  });
  const sealer = await DatagramSealer.create(root, { startMs: 0 });
  const sealed = await sealer.seal(report);
  equal(sealed.length, report.length + SEAL_OVERHEAD_BYTES);
  const clear = report.slice(0, 16);
  clear[4] |= ENCRYPTED_FLAG;
  // Magic to report sequence readable; the session id right after them; the figures encrypted.
  deepStrictEqual(sealed.subarray(0, 16), clear);
  equal(sealed[16], 2, "the session id's seal version");
  notDeepStrictEqual(sealed.subarray(40, 60), report.subarray(16, 36));
  const opener = new DatagramOpener(root, { maxClockSkewMs: null, forgetAfterMs: null });
  const opened = await opener.open(sealed, AT);
  ok(opened.ok);
  if (opened.ok) deepStrictEqual(opened.datagram, report);
});
