import { equal, ok } from "node:assert/strict";
import { Prng } from "../netsim/mod.ts";
import { RateBudget } from "./rate_budget.ts";

const MBIT = 1_000_000;

/** Offers a frame of `bytes(i)` every 33.3 ms for `seconds`; returns how many went. */
function offerFrames(budget: RateBudget, seconds: number, bytes: (i: number) => number): number {
  let sent = 0;
  for (let i = 0; i < seconds * 30; i++) {
    if (budget.admitFrame(bytes(i), i * (1000 / 30))) sent++;
  }
  return sent;
}

Deno.test("frames that fit all go; frames twice too big go half the time (table)", () => {
  const cases: [
    name: string,
    targetBps: number,
    frameBytes: number,
    sentShare: [number, number],
  ][] = [
    ["fits", 4 * MBIT, (4 * MBIT) / 30 / 8, [1, 1]],
    ["just under", 4 * MBIT, (3.9 * MBIT) / 30 / 8, [1, 1]],
    ["twice the target", 4 * MBIT, (8 * MBIT) / 30 / 8, [0.48, 0.52]],
    ["four times", 2 * MBIT, (8 * MBIT) / 30 / 8, [0.24, 0.27]],
    // 10 kB frames at 150 kbit/s: bigger than two bucket depths, sent when the bucket is full.
    ["tiny rate, big frames", 150_000, 10_000, [0.06, 0.065]],
  ];
  for (const [name, targetBps, frameBytes, [low, high]] of cases) {
    const budget = new RateBudget();
    budget.setTarget(targetBps, 0);
    const sent = offerFrames(budget, 20, () => frameBytes);
    const share = sent / 600;
    ok(share >= low && share <= high, `${name}: ${sent} of 600`);
    const c = budget.counters;
    equal(c.framesAdmitted + c.framesSkipped, c.framesOffered, name);
    // Never more than the target over the run, plus the bucket and one frame.
    ok(
      c.frameBytesAdmitted <= (targetBps * 20) / 8 + 2 * (targetBps * 0.15) / 8 + frameBytes,
      name,
    );
  }
});

Deno.test("fuzz: admitted bytes stay within the target plus the bucket", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const prng = new Prng(seed);
    const budget = new RateBudget();
    let allowedBytes = 0;
    let t = 0;
    let target = prng.int(200_000, 20 * MBIT);
    budget.setTarget(target, 0);
    let maxFrame = 0;
    for (let i = 0; i < 3000; i++) {
      const dt = prng.next() * 40;
      allowedBytes += (target * dt) / 8000;
      t += dt;
      if (prng.next() < 0.01) {
        target = prng.int(200_000, 20 * MBIT);
        budget.setTarget(target, t);
      }
      const bytes = prng.int(500, 120_000);
      if (prng.next() < 0.2) budget.admitRepair(1200, t);
      else if (budget.admitFrame(bytes, t)) maxFrame = Math.max(maxFrame, bytes);
    }
    const c = budget.counters;
    equal(c.framesAdmitted + c.framesSkipped, c.framesOffered);
    equal(c.repairBytesAdmitted + c.repairBytesRefused, c.repairBytesOffered);
    const spent = c.frameBytesAdmitted + c.repairBytesAdmitted;
    // Start full (≤ 20 Mbit/s × 150 ms), end at most one depth in debt, or one big frame beyond.
    const slack = 2 * ((20 * MBIT * 0.15) / 8) + maxFrame;
    ok(spent <= allowedBytes + slack, `seed ${seed}: ${spent} > ${allowedBytes} + ${slack}`);
  }
});

Deno.test("repairs use at most their share, and what they use the picture does not get", () => {
  const budget = new RateBudget({ repairShare: 0.25 });
  budget.setTarget(4 * MBIT, 0);
  let framesSent = 0;
  // Frames that exactly fill the target, and a retransmission asked for every millisecond.
  for (let t = 0; t < 10_000; t++) {
    if (t % 33 === 0 && budget.admitFrame((4 * MBIT) / 30 / 8, t)) framesSent++;
    budget.admitRepair(1200, t);
  }
  const c = budget.counters;
  const repairBps = (c.repairBytesAdmitted * 8) / 10;
  ok(repairBps <= 0.25 * 4 * MBIT * 1.02, `repairs at ${repairBps}`);
  ok(repairBps >= 0.2 * 4 * MBIT, `repairs at ${repairBps}`);
  ok(c.repairBytesRefused > 0);
  // New frames made room: about a quarter of them were skipped.
  ok(framesSent < 0.8 * 303 && framesSent > 0.65 * 303, `${framesSent} frames`);
  // ...and the picture is told to plan on what is left.
  const media = budget.mediaBudgetBps(10_000);
  ok(media >= 0.74 * 4 * MBIT && media <= 0.8 * 4 * MBIT, `media ${media}`);
  equal(budget.mediaBudgetBps(12_000), 4 * MBIT, "a second without repairs gives it all back");
});

Deno.test("before any target everything goes", () => {
  const budget = new RateBudget();
  equal(budget.admitFrame(1e9, 0), true);
  equal(budget.admitRepair(1e9, 0), true);
  equal(budget.mediaBudgetBps(0), Number.POSITIVE_INFINITY);
  equal(budget.pacingRateBps, Number.POSITIVE_INFINITY);
});

Deno.test("a lower target shrinks the bucket at once", () => {
  const budget = new RateBudget({ depthMs: 100 });
  budget.setTarget(20 * MBIT, 0); // 250 kB deep, full
  budget.setTarget(1 * MBIT, 1); // 12.5 kB deep
  equal(budget.tokens, 12_500);
  equal(budget.admitFrame(20_000, 1), true, "7.5 kB into debt");
  equal(budget.admitFrame(8_000, 1), false, "would go more than a depth into debt");
  equal(budget.admitFrame(5_000, 1), true, "exactly one depth into debt");
  equal(budget.tokens, -12_500);
});

Deno.test("adjust corrects an admitted frame to what it took, within two depths of debt", () => {
  const budget = new RateBudget({ depthMs: 100 });
  budget.setTarget(1 * MBIT, 0); // 12.5 kB deep, full
  equal(budget.admitFrame(10_000, 0), true);
  budget.adjust(1_000); // it took 11 kB
  equal(budget.tokens, 1_500);
  equal(budget.counters.frameBytesAdmitted, 11_000);
  budget.adjust(-500);
  equal(budget.tokens, 2_000);
  budget.adjust(1e9);
  equal(budget.tokens, -25_000, "never more than two depths into debt");
  const unbounded = new RateBudget();
  unbounded.adjust(5_000);
  equal(unbounded.counters.frameBytesAdmitted, 0);
});
