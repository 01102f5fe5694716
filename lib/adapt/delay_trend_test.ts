import { equal, ok } from "node:assert/strict";
import { Prng } from "../netsim/mod.ts";
import { DelayTrend, MAX_TREND_SAMPLES } from "./delay_trend.ts";

/** Sender wall clock at the first frame, µs: nothing in common with the receiver's clock. */
const SENDER_EPOCH_US = 1_700_000_000_000_000;

/** Feeds frames 33 ms apart whose one-way delay is `extraMs(i)` above a constant. */
function feed(trend: DelayTrend, frames: number, extraMs: (i: number) => number, startMs = 500) {
  for (let i = 0; i < frames; i++) {
    const captureMs = 33 * i;
    trend.addSample(startMs + captureMs + 20 + extraMs(i), SENDER_EPOCH_US + captureMs * 1000);
  }
}

Deno.test("delay figures by link behaviour (table)", () => {
  const prng = new Prng(3);
  const jitter = Array.from({ length: 200 }, () => prng.next() * 4 - 2);
  const cases: {
    name: string;
    extraMs: (i: number) => number;
    queueUs: [number, number];
    trendUsPerS: [number, number];
  }[] = [
    { name: "steady", extraMs: () => 0, queueUs: [0, 0], trendUsPerS: [0, 0] },
    {
      name: "jitter ±2 ms",
      extraMs: (i) => jitter[i],
      queueUs: [0, 4000],
      trendUsPerS: [-15_000, 15_000],
    },
    {
      // Sending 10 % above capacity: the queue grows 0.1 s per second.
      name: "queue growing 100 ms/s",
      extraMs: (i) => 3.3 * i,
      queueUs: [600_000, 700_000],
      trendUsPerS: [90_000, 110_000],
    },
    {
      name: "queue draining 50 ms/s from 200 ms",
      extraMs: (i) => Math.max(0, 200 - 1.65 * i),
      queueUs: [0, 1],
      trendUsPerS: [-60_000, 0],
    },
    {
      name: "full drop-tail queue: 60 ms, flat",
      extraMs: (i) => i < 10 ? 0 : 60,
      queueUs: [60_000, 60_000],
      trendUsPerS: [-5_000, 5_000],
    },
  ];
  for (const { name, extraMs, queueUs, trendUsPerS } of cases) {
    const trend = new DelayTrend();
    feed(trend, 200, extraMs);
    const q = trend.queueDelayUs;
    const t = trend.trendUsPerS;
    ok(q >= queueUs[0] && q <= queueUs[1], `${name}: queue ${q} µs`);
    ok(t >= trendUsPerS[0] && t <= trendUsPerS[1], `${name}: trend ${t} µs/s`);
    equal(trend.samples, 200, name);
  }
});

Deno.test("the figures ignore the offset between the clocks", () => {
  const a = new DelayTrend();
  const b = new DelayTrend();
  feed(a, 60, (i) => 2 * i, 0);
  feed(b, 60, (i) => 2 * i, 987_654_321);
  equal(a.queueDelayUs, b.queueDelayUs);
  ok(Math.abs(a.trendUsPerS - b.trendUsPerS) <= 1);
});

Deno.test("a growing queue shows within a few frames", () => {
  const trend = new DelayTrend();
  feed(trend, 60, () => 0);
  // 5 more frames each 3.3 ms later than the last: 10 % above capacity.
  for (let i = 60; i < 65; i++) {
    const captureMs = 33 * i;
    trend.addSample(500 + captureMs + 20 + 3.3 * (i - 59), SENDER_EPOCH_US + captureMs * 1000);
  }
  ok(trend.trendUsPerS > 10_000, `trend ${trend.trendUsPerS}`);
  ok(trend.queueDelayUs >= 16_000, `queue ${trend.queueDelayUs}`);
});

Deno.test("a clock step starts the filter again instead of reading as a queue", () => {
  const trend = new DelayTrend({ clockStepMs: 5000 });
  feed(trend, 30, () => 0);
  // The sender's wall clock steps back 30 s: every delay looks 30 s longer.
  for (let i = 30; i < 40; i++) {
    const captureMs = 33 * i;
    trend.addSample(500 + captureMs + 20, SENDER_EPOCH_US + (captureMs - 30_000) * 1000);
  }
  equal(trend.clockSteps, 1);
  equal(trend.queueDelayUs, 0);
  equal(trend.samples, 10);
  equal(trend.trendUsPerS, 0);
});

Deno.test("the base forgets delays older than its window", () => {
  const trend = new DelayTrend({ baseWindowMs: 10_000, baseBuckets: 5 });
  trend.addSample(0, SENDER_EPOCH_US); // delay D
  // 20 s later the path is 30 ms longer for good (a route change): it becomes the new base.
  for (let k = 0; k <= 40; k++) {
    const atMs = 20_000 + 250 * k;
    trend.addSample(atMs + 30, SENDER_EPOCH_US + atMs * 1000);
  }
  equal(trend.queueDelayUs, 0);
});

Deno.test("the sample count stops at 255, the report's byte", () => {
  const trend = new DelayTrend();
  feed(trend, 300, () => 0);
  equal(trend.samples, MAX_TREND_SAMPLES);
});

Deno.test("non-finite samples are ignored", () => {
  const trend = new DelayTrend();
  trend.addSample(Number.NaN, SENDER_EPOCH_US);
  trend.addSample(1, Number.POSITIVE_INFINITY);
  equal(trend.samples, 0);
});
