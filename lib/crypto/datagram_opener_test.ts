import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { DatagramOpener, type OpenResult } from "./datagram_opener.ts";
import { DatagramSealer } from "./datagram_seal.ts";
import { RootKey } from "./seal_key.ts";
import { newSessionId } from "./session_id.ts";
import { encodeNack, fragmentFrame, HEADER_BYTES } from "../wire/v1/mod.ts";
import { Prng } from "../netsim/mod.ts";

const ITERATIONS = 1000; // fast for tests; the programs use KDF_ITERATIONS
const root = await RootKey.derive("correct horse battery staple", ITERATIONS);
/** A wall-clock time to run the tests at (ms since the Unix epoch). */
const T0 = 1_700_000_000_000;
/** The clocks at `ms` ms after T0 (the monotonic clock starts at 0). */
const at = (ms: number) => ({ nowMs: ms, epochMs: T0 + ms });

/** Fragments of one frame captured at T0 + `ms`. */
function fragmentsAt(ms: number, frameSeq = 1): Uint8Array[] {
  const meta = { streamId: 9, frameSeq, captureUs: (T0 + ms) * 1000 };
  return fragmentFrame(new Prng(frameSeq).bytes(20_000), meta, 1200);
}
const plain = fragmentsAt(0);

/** A datagram of `sealed`'s shape under another session id: what a forger can send. */
function withId(sealed: Uint8Array, id: Uint8Array): Uint8Array {
  const forged = sealed.slice();
  forged.set(id, HEADER_BYTES);
  return forged;
}

/** A forged id that looks like a session started at T0 + `ms`: version 2, random tail. */
const forgedId = (prng: Prng, ms = 0) => newSessionId(T0 + ms, prng.bytes(9));

/** A sender session started at T0 + `ms`. */
const sessionAt = (ms: number) => DatagramSealer.create(root, { startMs: T0 + ms });

Deno.test("only an id whose datagram authenticates becomes a session", async () => {
  const sealer = await sessionAt(0);
  const opener = new DatagramOpener(root);
  const real = await sealer.seal(plain[0]);
  const prng = new Prng(4);
  for (let i = 0; i < 20; i++) {
    deepStrictEqual(await opener.open(withId(real, forgedId(prng)), at(i)), {
      ok: false,
      reason: "authFailed",
    });
  }
  equal(opener.sessionCount, 0);
  equal(opener.tries, 20);
  // The forger may copy the real id off the wire: its datagram fails, the id stays untainted.
  const copied = real.slice();
  copied[copied.length - 1] ^= 1;
  deepStrictEqual(await opener.open(copied, at(20)), { ok: false, reason: "authFailed" });
  ok((await opener.open(real, at(21))).ok);
  equal(opener.sessionCount, 1);
  // Known now: no more tries for it.
  ok((await opener.open(await sealer.seal(plain[1]), at(22))).ok);
  equal(opener.tries, 22);
});

Deno.test("tries are rationed: a burst, then triesPerSecond; one id is tried once at a time", async () => {
  const sealer = await sessionAt(0);
  const real = await sealer.seal(plain[0]);
  const opener = new DatagramOpener(root, { triesPerSecond: 100, tryBurst: 5 });
  const prng = new Prng(5);
  const results: OpenResult[] = [];
  for (let i = 0; i < 8; i++) results.push(await opener.open(withId(real, forgedId(prng)), at(0)));
  deepStrictEqual(results.map((r) => !r.ok && r.reason), [
    ...Array(5).fill("authFailed"),
    ...Array(3).fill("keyPending"),
  ]);
  // 10 ms at 100/s earns one more.
  equal((await opener.open(withId(real, forgedId(prng)), at(10))).ok, false);
  equal(opener.tries, 6);
  // Two datagrams of one new id at once: one try; the other waits.
  const second = await sealer.seal(plain[1]);
  const both = await Promise.all([opener.open(real, at(1000)), opener.open(second, at(1000))]);
  deepStrictEqual(both.map((r) => r.ok || r.reason), [true, "keyPending"]);
  equal(opener.tries, 7);
});

Deno.test("an id flood at any rate: the real session is tried in proportion to its share", async () => {
  // Simulated time: per ms of stream, `forgedPerMs` forged datagrams (a fresh id each, and some
  // heavy ids sent again and again, all newer than anything) arrive before each real one, right
  // after the budget earned its next try. The real session must open, and the tries made stay
  // within the budget whatever the flood.
  for (const forgedPerMs of [2, 20, 100]) {
    const sealer = await sessionAt(0);
    const prng = new Prng(forgedPerMs);
    const opener = new DatagramOpener(root, {
      triesPerSecond: 500,
      tryBurst: 32,
      random: () => prng.next(),
    });
    const heavy = [forgedId(prng, 5), forgedId(prng, 6)];
    const template = await sealer.seal(plain[0]);
    let openedAtMs: number | null = null;
    // The flood runs alone for 1 s (the banked tries are long spent), then the sender starts.
    const startMs = 1000;
    // Bounded: at most 20 s of simulated stream (its capture times stay within the skew).
    for (let ms = 0; ms < startMs + 20_000 && openedAtMs === null; ms++) {
      const clock = { nowMs: ms, epochMs: T0 + (ms % 5000) };
      for (let i = 0; i < forgedPerMs; i++) {
        const id = i % 2 === 0 ? forgedId(prng, 10) : heavy[i % 4 === 1 ? 0 : 1];
        await opener.open(withId(template, id), clock);
      }
      if (ms < startMs) continue;
      const real = await opener.open(await sealer.seal(plain[ms % plain.length]), clock);
      if (real.ok) openedAtMs = ms;
    }
    ok(openedAtMs !== null, `${forgedPerMs} forged per real datagram: never opened`);
    // Every try came out of the budget: 32 banked, then 500/s.
    ok(opener.tries <= 32 + 0.5 * (openedAtMs + 1), `${opener.tries} tries by ${openedAtMs} ms`);
    equal(opener.sessionCount, 1);
  }
});

Deno.test("freshness: capture time within the skew of the wall clock, no session from the future (table)", async () => {
  const skewMs = 10_000;
  const cases: [string, number, number, number, string | true][] = [
    // [what, session start, capture time, receiver's clock (all ms after T0), result]
    ["live", 0, 1000, 1020, true],
    ["a sender clock 9 s ahead", 0, 9000, 0, true],
    ["a sender clock 9 s behind", 0, 0, 9000, true],
    ["recorded 11 s ago", 0, 0, 11_000, "notFresh"],
    ["recorded a day ago", 0, 0, 86_400_000, "notFresh"],
    ["captured 11 s in the future", 0, 11_000, 0, "notFresh"],
    ["a session starting 11 s from now", 11_000, 0, 0, "notFresh"],
  ];
  for (const [what, startMs, captureMs, nowMs, want] of cases) {
    const sealer = await sessionAt(startMs);
    const opener = new DatagramOpener(root, { maxClockSkewMs: skewMs, forgetAfterMs: skewMs });
    const result = await opener.open(await sealer.seal(fragmentsAt(captureMs)[0]), at(nowMs));
    equal(result.ok || result.reason, want, what);
  }
  // Types without a capture time (a NACK), and a caller without a wall clock: refused.
  const sealer = await sessionAt(0);
  const opener = new DatagramOpener(root);
  const ranges = [{ first: 0, count: 1 }];
  const sealedNack = await sealer.seal(
    encodeNack({ streamId: 9, frameSeq: 1, fragmentCount: 2, ranges }),
  );
  deepStrictEqual(await opener.open(sealedNack, at(0)), { ok: false, reason: "notFresh" });
  deepStrictEqual(await opener.open(await sealer.seal(plain[0]), { nowMs: 0 }), {
    ok: false,
    reason: "notFresh",
  });
  ok((await opener.open(await sealer.seal(plain[1]), at(0))).ok);
});

Deno.test("session order (receiver): a switch needs a newer session; older ones never come back", async () => {
  const old = await sessionAt(-60_000); // a run a minute ago, recorded by an attacker
  const live = await sessionAt(0);
  const next = await sessionAt(5000); // the sender restarted
  const opener = new DatagramOpener(root, { forgetAfterMs: 10_000 });
  const prng = new Prng(6);
  // A recording of the old run replayed now: its capture times are fresh only if replayed at
  // once (here they are made to look fresh), and still it cannot displace the live session.
  const liveFirst = await live.seal(fragmentsAt(1000)[0]);
  ok((await opener.open(liveFirst, at(1000))).ok);
  const replayedOld = await old.seal(fragmentsAt(1000)[1]);
  deepStrictEqual(await opener.open(replayedOld, at(1000)), { ok: false, reason: "staleSession" });
  // Forged ids claiming any start cost a try each and change nothing.
  for (let i = 0; i < 10; i++) {
    const forged = withId(await live.seal(fragmentsAt(1000)[2]), forgedId(prng, 4000 + i));
    deepStrictEqual(await opener.open(forged, at(1001)), { ok: false, reason: "authFailed" });
  }
  // So the live session's window is intact: its datagrams replayed stay replays.
  deepStrictEqual(await opener.open(liveFirst, at(1002)), { ok: false, reason: "replay" });
  // The restarted sender is newer: it takes over at once; the live one is now the old one.
  ok((await opener.open(await next.seal(fragmentsAt(6000)[0]), at(6000))).ok);
  deepStrictEqual(await opener.open(await live.seal(fragmentsAt(6000)[1]), at(6000)), {
    ok: false,
    reason: "staleSession",
  });
  equal(opener.sessionCount, 1);
});

Deno.test("session order (receiver): a session quiet for forgetAfterMs is forgotten (clock set back)", async () => {
  const current = await sessionAt(0);
  const behind = await sessionAt(-30_000); // a sender whose clock is 30 s behind... at its start
  const opener = new DatagramOpener(root, { maxClockSkewMs: 10_000, forgetAfterMs: 10_000 });
  ok((await opener.open(await current.seal(fragmentsAt(0)[0]), at(0))).ok);
  deepStrictEqual(await opener.open(await behind.seal(fragmentsAt(5000)[0]), at(5000)), {
    ok: false,
    reason: "staleSession",
  });
  // 10 s after the current session's last datagram: forgotten; a fresh older session may start.
  ok((await opener.open(await behind.seal(fragmentsAt(10_001)[1]), at(10_001))).ok);
});

Deno.test("session order (sender): per destination, many sessions; the oldest go first, for good", async () => {
  const opener = new DatagramOpener(root, {
    maxClockSkewMs: null,
    forgetAfterMs: null,
    peers: 2,
    sessionsPerPeer: 3,
  });
  const ranges = [{ first: 0, count: 1 }];
  const nack = encodeNack({ streamId: 9, frameSeq: 1, fragmentCount: 2, ranges });
  const sessions = await Promise.all([100, 200, 300, 400, 50].map(sessionAt));
  const sealed = await Promise.all(sessions.map((s) => s.seal(nack)));
  const open = (i: number, peer: number) => opener.open(sealed[i], { nowMs: 0 }, peer);
  // Three receivers of one destination (a multicast group), none checked by the clock.
  for (const i of [0, 1, 2]) ok((await open(i, 0)).ok, `session ${i}`);
  // The other destination keeps its own.
  ok((await open(0, 1)).ok);
  // A fourth, newer: the oldest of destination 0 (start 100) goes, and stays gone.
  ok((await open(3, 0)).ok);
  equal(opener.sessionCount, 3 + 1);
  deepStrictEqual(await opener.open(await sessions[0].seal(nack), { nowMs: 0 }, 0), {
    ok: false,
    reason: "staleSession",
  });
  // Older than every one kept: refused without a try; the newest one's window is never reset.
  deepStrictEqual(await open(4, 0), { ok: false, reason: "staleSession" });
  deepStrictEqual(await open(3, 0), { ok: false, reason: "replay" });
});
