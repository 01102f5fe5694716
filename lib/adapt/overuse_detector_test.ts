import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { Prng } from "../netsim/mod.ts";
import { type DelaySignal, OveruseDetector } from "./overuse_detector.ts";

Deno.test("signals by trend (table)", () => {
  const cases: [name: string, trendUsPerS: number, samples: number, signal: DelaySignal][] = [
    ["flat", 0, 60, "normal"],
    ["one sample has no trend", 1_000_000, 1, "normal"],
    ["queue growing 100 ms/s", 100_000, 60, "overuse"],
    ["growing 100 ms/s, few samples", 100_000, 3, "normal"],
    ["growing 30 ms/s: below γ = 12.5", 30_000, 60, "normal"],
    ["draining 100 ms/s", -100_000, 60, "underuse"],
  ];
  for (const [name, trend, samples, signal] of cases) {
    equal(new OveruseDetector().update(trend, samples, 0), signal, name);
  }
});

Deno.test("the threshold settles on the noise and still catches a growing queue", () => {
  const detector = new OveruseDetector();
  const prng = new Prng(9);
  const signals: DelaySignal[] = [];
  // 20 s of reports 200 ms apart with trend noise of ±20 ms/s (|m| up to 4.8).
  for (let i = 0; i < 100; i++) {
    signals.push(detector.update((prng.next() * 2 - 1) * 20_000, 60, i * 200));
  }
  ok(signals.every((s) => s === "normal"), signals.join(" "));
  ok(detector.threshold >= 6 && detector.threshold < 8, `γ ${detector.threshold}`);
  // Sending 5 % too fast: the queue grows 50 ms/s, m = 12.
  equal(detector.update(50_000, 60, 20_200), "overuse");
});

Deno.test("a jump leaves the threshold alone; a slow rise moves it", () => {
  const jumped = new OveruseDetector();
  jumped.update(0, 60, 0);
  const before = jumped.threshold;
  jumped.update(500_000, 60, 200); // m = 120: far above γ
  equal(jumped.threshold, before);

  const rising = new OveruseDetector();
  const seen: number[] = [];
  for (let i = 0; i < 20; i++) {
    rising.update(40_000 + i * 2_000, 60, i * 200);
    seen.push(Math.round(rising.threshold));
  }
  ok(seen.at(-1)! > 15, `γ followed the rise: ${seen.join(" ")}`);
  ok(rising.threshold <= 600);
});

Deno.test("the threshold stays within 6..600", () => {
  const detector = new OveruseDetector();
  for (let i = 0; i < 200; i++) detector.update(i % 2 === 0 ? 0 : 10, 60, i * 200);
  equal(detector.threshold, 6);
  for (let i = 0; i < 2000; i++) detector.update((6 + i) * 1000 * 4, 60, 40_000 + i * 200);
  equal(detector.threshold, 600);
  deepStrictEqual(detector.update(0, 60, 900_000), "normal");
});
