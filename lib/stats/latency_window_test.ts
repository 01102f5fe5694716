import { deepStrictEqual, equal } from "node:assert/strict";
import { LatencyWindow, percentile } from "./latency_window.ts";
import { RateMeter } from "./rate_meter.ts";

Deno.test("percentile uses nearest rank", () => {
  const samples = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
  equal(percentile(samples, 50), 5);
  equal(percentile(samples, 95), 10);
  equal(percentile(samples, 0), 1);
  equal(percentile([], 50), null);
});

Deno.test("LatencyWindow summarises and resets; stays bounded at any rate", () => {
  const window = new LatencyWindow(64);
  for (let i = 1; i <= 100_000; i++) window.add(i % 100);
  const summary = window.take()!;
  equal(summary.samples, 100_000);
  equal(Math.abs(summary.p50 - 50) <= 2, true, `p50 ${summary.p50}`);
  equal(window.take(), null);
});

Deno.test("LatencyWindow leaves out the first warmupSamples ever added, not per window", () => {
  const window = new LatencyWindow(64, 3);
  for (const latencyMs of [900, 800, -5, 2, 4]) window.add(latencyMs);
  deepStrictEqual(window.take(), { p50: 2, p95: 4, p99: 4, samples: 2 });
  window.add(7);
  deepStrictEqual(window.take(), { p50: 7, p95: 7, p99: 7, samples: 1 });
});

Deno.test("LatencyWindow reports null when clocks clearly differ", () => {
  const window = new LatencyWindow();
  window.add(3);
  window.add(-40);
  equal(window.take(), null);
});

Deno.test("RateMeter gives per-second rates between samples", () => {
  const meter = new RateMeter(0);
  deepStrictEqual(meter.sample(2000, 60, 1_000_000), { perSecond: 30, mbitPerSecond: 4 });
  deepStrictEqual(meter.sample(3000, 90, 1_000_000), { perSecond: 30, mbitPerSecond: 0 });
});
