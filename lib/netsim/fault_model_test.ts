import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import {
  FaultModel,
  type FaultSettings,
  faultSettingsProblem,
  FaultyLink,
  NO_FAULTS,
} from "./fault_model.ts";
import { Prng } from "./prng.ts";

const N = 100_000;

/** Feeds N datagrams of 1200 bytes, 0.1 ms apart; returns the lost pattern. */
function lossPattern(settings: Partial<FaultSettings>): boolean[] {
  const model = new FaultModel(settings);
  return Array.from({ length: N }, (_, i) => model.decide(1200, i * 0.1).length === 0);
}

function meanBurst(lost: boolean[]): number {
  let bursts = 0;
  let losses = 0;
  lost.forEach((isLost, i) => {
    if (!isLost) return;
    losses++;
    if (i === 0 || !lost[i - 1]) bursts++;
  });
  return losses / bursts;
}

Deno.test("the same seed gives the same decisions, another seed others", () => {
  const settings = {
    lossPercent: 5,
    burstLength: 3,
    duplicatePercent: 2,
    reorderPercent: 2,
    jitterMs: 5,
  };
  const run = (seed: number) => {
    const model = new FaultModel({ ...settings, seed });
    return Array.from({ length: 5000 }, (_, i) => model.decide(1000, i));
  };
  deepStrictEqual(run(7), run(7));
  ok(JSON.stringify(run(7)) !== JSON.stringify(run(8)));
});

Deno.test("random loss: measured rate within tolerance, bursts as independent losses make", () => {
  for (const lossPercent of [1, 2, 5, 20]) {
    const lost = lossPattern({ lossPercent, seed: lossPercent });
    const rate = lost.filter(Boolean).length / N;
    ok(
      Math.abs(rate - lossPercent / 100) < 0.1 * lossPercent / 100 + 0.001,
      `${lossPercent}: ${rate}`,
    );
    const expected = 1 / (1 - lossPercent / 100); // geometric run length
    ok(Math.abs(meanBurst(lost) - expected) < 0.1 * expected, `${lossPercent}: ${meanBurst(lost)}`);
  }
});

Deno.test("bursty loss (Gilbert-Elliott): measured rate and mean burst length within tolerance", () => {
  for (const [lossPercent, burstLength] of [[2, 3], [5, 3], [1, 10], [10, 2]]) {
    const model = new FaultModel({ lossPercent, burstLength, seed: 11 });
    const lost = Array.from({ length: N }, (_, i) => model.decide(1200, i).length === 0);
    const rate = lost.filter(Boolean).length / N;
    const label = `${lossPercent} % bursts of ${burstLength}: rate ${rate}, burst ${
      meanBurst(lost)
    }`;
    ok(Math.abs(rate - lossPercent / 100) < 0.2 * lossPercent / 100, label);
    // Burst lengths are geometric: allow four standard errors of their mean.
    const standardError = Math.sqrt(burstLength * (burstLength - 1) / model.counts.lossBursts);
    ok(Math.abs(meanBurst(lost) - burstLength) < 4 * standardError, label);
    equal(model.counts.lost, lost.filter(Boolean).length);
    ok(Math.abs(model.counts.lost / model.counts.lossBursts - meanBurst(lost)) < 1e-9);
  }
});

Deno.test("duplication, reordering and delay with jitter", () => {
  const model = new FaultModel({
    duplicatePercent: 10,
    reorderPercent: 5,
    reorderDistance: 4,
    delayMs: 20,
    jitterMs: 5,
    seed: 3,
  });
  let twice = 0;
  let held = 0;
  for (let i = 0; i < N; i++) {
    const deliveries = model.decide(500, i);
    ok(deliveries.length === 1 || deliveries.length === 2);
    if (deliveries.length === 2) twice++;
    for (const { releaseMs, holdDatagrams } of deliveries) {
      ok(releaseMs >= i + 15 && releaseMs <= i + 25, `release ${releaseMs} at ${i}`);
      ok(holdDatagrams === 0 || holdDatagrams === 4);
    }
    if (deliveries[0].holdDatagrams > 0) held++;
  }
  ok(Math.abs(twice / N - 0.1) < 0.01, `dup ${twice / N}`);
  ok(Math.abs(held / N - 0.05) < 0.005, `reorder ${held / N}`);
  deepStrictEqual(
    [model.counts.duplicated, model.counts.reordered, model.counts.deliveries, model.counts.lost],
    [twice, held, N + twice, 0],
  );
});

Deno.test("token bucket: delivered bytes never exceed rate x time + bucket; excess dropped", () => {
  // 8000 kbit/s = 1000 bytes/ms; offered 1200 bytes every 0.6 ms = 2000 bytes/ms for 10 s.
  const model = new FaultModel({ rateKbps: 8000, bucketBytes: 20_000 });
  let deliveredBytes = 0;
  const steps = 10_000 / 0.6;
  for (let i = 0; i < steps; i++) {
    const nowMs = i * 0.6;
    deliveredBytes += model.decide(1200, nowMs).length * 1200;
    ok(deliveredBytes <= nowMs * 1000 + 20_000, `at ${nowMs} ms: ${deliveredBytes}`);
  }
  const share = deliveredBytes / (10_000 * 1000);
  ok(share > 0.97 && share < 1.01, `delivered ${share} of the cap`);
  ok(Math.abs(model.counts.overRate / model.counts.datagrams - 0.5) < 0.02);
  // Below the cap nothing is dropped.
  const slow = new FaultModel({ rateKbps: 8000 });
  for (let i = 0; i < 10_000; i++) slow.decide(1200, i * 2);
  equal(slow.counts.overRate, 0);
});

Deno.test("settings outside what can be modelled are refused", () => {
  equal(faultSettingsProblem(NO_FAULTS), null);
  const table: [Partial<FaultSettings>, RegExp][] = [
    [{ lossPercent: 101 }, /lossPercent/],
    [{ lossPercent: NaN }, /lossPercent/],
    [{ burstLength: 0.5 }, /burstLength/],
    [{ lossPercent: 60, burstLength: 1.2 }, /raise burstLength/],
    [{ reorderDistance: 0 }, /reorderDistance/],
    [{ delayMs: -1 }, /delayMs/],
    [{ queueMs: 50 }, /queueMs 50 needs a rate cap to queue for/],
    [{ queueMs: -1, rateKbps: 100 }, /queueMs must be ≥ 0/],
    [{ queueMs: 50, rateKbps: 100, bucketBytes: 9000 }, /bucketBytes sizes the policer/],
    [{ rateKbps: 100, rateSchedule: [{ atMs: 0, rateKbps: 50 }] }, /not both/],
    [{ rateSchedule: [{ atMs: 5, rateKbps: 50 }] }, /rateSchedule: the first step must start/],
    [{ rateKbps: 1e12 }, /rateKbps must be at most/],
    [{ rateKbps: 100, queueMs: 10, queueMaxDatagrams: 0 }, /queueMaxDatagrams/],
  ];
  for (const [settings, problem] of table) {
    throws(() => new FaultModel(settings), problem, JSON.stringify(settings));
  }
});

Deno.test("FaultyLink: held items come out exactly N positions late, nothing lost", () => {
  const link = new FaultyLink<number>(
    new FaultModel({ reorderPercent: 10, reorderDistance: 3, seed: 5 }),
  );
  const out: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    link.send(i, 100, i);
    out.push(...link.due(i));
  }
  out.push(...link.flush());
  deepStrictEqual([...out].sort((a, b) => a - b), Array.from({ length: 10_000 }, (_, i) => i));
  const moved = out.filter((item, position) => item !== position).length;
  ok(moved > 0 && link.counts.reordered > 500);
  // An item held alone (no later ones arrive) still leaves after maxHoldMs.
  const lonely = new FaultyLink<string>(new FaultModel({ reorderPercent: 100 }), { maxHoldMs: 50 });
  lonely.send("a", 100, 0);
  deepStrictEqual(lonely.due(49), []);
  equal(lonely.nextDueMs(), 50);
  deepStrictEqual(lonely.due(50), ["a"]);
});

Deno.test("FaultyLink: delay orders by release time and the queue is bounded", () => {
  const link = new FaultyLink<number>(new FaultModel({ delayMs: 10 }), { maxQueued: 5 });
  for (let i = 0; i < 8; i++) link.send(i, 100, i);
  equal(link.queued, 5);
  equal(link.overflowDrops, 3);
  deepStrictEqual(link.due(11), [0, 1]);
  equal(link.nextDueMs(), 12);
  deepStrictEqual(link.due(100), [2, 3, 4]);
});

Deno.test("the cap's queue delays a burst instead of dropping it, up to queueMs; the policer drops", () => {
  // [rate kbit/s, queue ms, datagram bytes, burst size]: all arrive at the same instant.
  const table: [number, number, number, number][] = [
    [4000, 60, 1000, 100],
    [20_000, 20, 1200, 200],
    [800, 500, 100, 1000],
  ];
  for (const [rateKbps, queueMs, bytes, burst] of table) {
    const label = `${rateKbps} kbit/s, ${queueMs} ms, ${burst} x ${bytes} B`;
    const serializationMs = bytes * 8 / rateKbps;
    const queued = new FaultModel({ rateKbps, queueMs });
    const policed = new FaultModel({ rateKbps });
    const releases: number[] = [];
    let policedThrough = 0;
    for (let i = 0; i < burst; i++) {
      for (const { releaseMs } of queued.decide(bytes, 0)) releases.push(releaseMs);
      policedThrough += policed.decide(bytes, 0).length;
    }
    // The queue holds queueMs of serialization plus the datagram on the link.
    equal(releases.length, Math.floor(queueMs / serializationMs) + 1, label);
    releases.forEach((releaseMs, i) => {
      ok(Math.abs(releaseMs - (i + 1) * serializationMs) < 1e-9, `${label}: ${i} at ${releaseMs}`);
    });
    equal(queued.counts.queueDrops, burst - releases.length);
    equal(queued.counts.overRate, 0);
    ok(queued.counts.queueDelayMaxMs <= queueMs);
    // The policer lets through only its bucket (50 ms of rate, at least 3000 bytes), at once.
    equal(policedThrough, Math.floor(Math.max(3000, rateKbps / 8 * 50) / bytes), label);
    equal(policed.counts.queueDrops, 0);
  }
});

Deno.test("queueing delay adds to the fixed delay; the mean and max queueing delay are counted", () => {
  const model = new FaultModel({ rateKbps: 8000, queueMs: 10, delayMs: 30 });
  // Three 1000-byte datagrams at once: on the link 1 ms each, waits 0, 1, 2 ms.
  const releases = [0, 0, 0].map((nowMs) => model.decide(1000, nowMs)[0].releaseMs);
  deepStrictEqual(releases, [31, 32, 33]);
  deepStrictEqual(
    [model.counts.enqueued, model.counts.queueDelayMaxMs, model.counts.queueDelayTotalMs],
    [3, 2, 3],
  );
  equal(model.counts.delayed, 3);
  equal(model.queuedAt(1.5), 2);
  equal(model.queueWaitMsAt(1.5), 1.5);
});

Deno.test("a rate schedule drives the policer's refill as well as the queue", () => {
  // 1200-byte datagrams every 0.6 ms (16 000 kbit/s offered) for 3 s through 8000 → 2000 → 8000.
  const rateSchedule = [
    { atMs: 0, rateKbps: 8000 },
    { atMs: 1000, rateKbps: 2000 },
    { atMs: 2000, rateKbps: 8000 },
  ];
  for (const queueMs of [0, 40]) {
    const model = new FaultModel({ rateSchedule, queueMs });
    const bytesPerSecond = [0, 0, 0];
    for (let nowMs = 0; nowMs < 3000; nowMs += 0.6) {
      for (const { releaseMs } of model.decide(1200, nowMs)) {
        if (releaseMs < 3000) bytesPerSecond[Math.floor(releaseMs / 1000)] += 1200;
      }
    }
    // Each second carries its rate (bytes = kbit/s * 1000 / 8), within the bucket or queue.
    rateSchedule.forEach(({ rateKbps }, second) => {
      const share = bytesPerSecond[second] / (rateKbps * 125);
      ok(share > 0.95 && share < 1.06, `queueMs ${queueMs}, second ${second}: ${share}`);
    });
    ok(queueMs > 0 ? model.counts.queueDrops > 0 : model.counts.overRate > 0);
  }
});

/** Every copy that came in is delivered, dropped for one counted reason, or still queued. */
function assertAccounted(link: FaultyLink<number>, label: string): void {
  const c = link.counts;
  equal(
    c.datagrams + c.duplicated,
    link.delivered + c.lost + c.overRate + c.queueDrops + link.overflowDrops + link.queued,
    label,
  );
  equal(c.datagrams, c.overRate + c.queueDrops + c.lost + c.deliveries - c.duplicated, label);
}

Deno.test("fuzz: arrived = delivered + dropped (by reason) + queued, at every step", () => {
  const prng = new Prng(17);
  for (let round = 0; round < 60; round++) {
    const scheduled = prng.next() < 0.5;
    const settings: Partial<FaultSettings> = {
      lossPercent: prng.int(0, 20),
      burstLength: prng.int(1, 4),
      duplicatePercent: prng.int(0, 10),
      reorderPercent: prng.int(0, 10),
      delayMs: prng.int(0, 30),
      jitterMs: prng.int(0, 5),
      queueMs: prng.next() < 0.7 ? prng.int(1, 200) : 0,
      queueMaxDatagrams: prng.int(1, 300),
      seed: round,
      ...(scheduled
        ? {
          rateSchedule: [
            { atMs: 0, rateKbps: prng.int(100, 20_000) },
            { atMs: prng.int(1, 500), rateKbps: prng.int(100, 20_000) },
          ],
        }
        : { rateKbps: prng.int(100, 20_000) }),
    };
    const link = new FaultyLink<number>(new FaultModel(settings), {
      maxQueued: prng.int(1, 500),
      maxHoldMs: 50,
    });
    const label = `round ${round}: ${JSON.stringify(settings)}`;
    let nowMs = 0;
    const seen: number[] = [];
    for (let i = 0; i < 3000; i++) {
      nowMs += prng.next() < 0.3 ? 0 : prng.next() * 2;
      link.send(i, prng.int(20, 1500), nowMs);
      assertAccounted(link, label);
      seen.push(...link.due(nowMs));
      assertAccounted(link, label);
      const s = { ...NO_FAULTS, ...settings };
      ok(link.counts.queueDelayMaxMs <= s.queueMs, label);
    }
    seen.push(...link.flush());
    equal(link.queued, 0);
    assertAccounted(link, label);
    equal(seen.length, link.delivered);
  }
});

Deno.test("without jitter or reordering the queue keeps arrival order", () => {
  const link = new FaultyLink<number>(new FaultModel({ rateKbps: 2000, queueMs: 30, seed: 4 }));
  const out: number[] = [];
  for (let i = 0; i < 5000; i++) {
    link.send(i, 200 + (i % 7) * 150, i * 0.5);
    out.push(...link.due(i * 0.5));
  }
  out.push(...link.flush());
  ok(link.counts.queueDrops > 0 && out.length > 0);
  deepStrictEqual(out, [...out].sort((a, b) => a - b));
  equal(out.length + link.counts.queueDrops, 5000);
});
