import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import {
  FaultModel,
  type FaultSettings,
  faultSettingsProblem,
  FaultyLink,
  NO_FAULTS,
} from "./fault_model.ts";

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
  equal(link.queueDrops, 3);
  deepStrictEqual(link.due(11), [0, 1]);
  equal(link.nextDueMs(), 12);
  deepStrictEqual(link.due(100), [2, 3, 4]);
});
