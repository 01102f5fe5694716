import { equal, ok } from "node:assert/strict";
import { qualityToQscale } from "../capture/mod.ts";
import { Prng } from "../netsim/mod.ts";
import { type LinkSimResult, type SimSource, simulateLink } from "../../tests/support/link_sim.ts";
import { PictureLadder } from "./picture_ladder.ts";
import { probePaddingBytes, RateBudget } from "./rate_budget.ts";

const MBIT = 1_000_000;
const HEADER = 30;
const PAYLOAD = 1170;

/** Bytes on the wire of a frame of `bytes` in 1200-byte datagrams. */
const wire = (bytes: number) => bytes + HEADER * Math.ceil(bytes / PAYLOAD);

/**
 * The sender as it will be wired: controller target → rate budget → picture ladder → a stand-in
 * for ffmpeg whose 720p test-pattern frames are 46 kB at quality 80 (~11 Mbit/s at 30 fps),
 * ±5 %, scaling as ffmpeg's mjpeg does (qscale^-0.6).
 */
function adaptiveSender(
  seed: number,
): { source: SimSource; ladder: PictureLadder; budget: RateBudget } {
  const prng = new Prng(seed);
  const encode = (quality: number) =>
    46_000 * (qualityToQscale(quality) / 8) ** -0.6 * (1 + 0.05 * (2 * prng.next() - 1));
  const ladder = new PictureLadder();
  const budget = new RateBudget();
  const source: SimSource = ({ tMs, targetBps }) => {
    budget.setTarget(targetBps, tMs);
    const { rung } = ladder.choose(budget.mediaBudgetBps(tMs), tMs);
    if (!ladder.admit(tMs)) return null;
    const bytes = wire(encode(rung.quality));
    const padding = probePaddingBytes(bytes, 1000 / rung.fps, ladder.upGoalBps(), targetBps);
    const padded = padding > 0 && budget.admitFrame(bytes + padding, tMs);
    if (!padded && !budget.admitFrame(bytes, tMs)) return null;
    ladder.observe(rung.quality, rung.scale, bytes, tMs);
    return {
      bytes: bytes - HEADER * Math.ceil(bytes / (PAYLOAD + HEADER)),
      paddingBytes: padded ? padding : 0,
    };
  };
  return { source, ladder, budget };
}

function meanFps(result: LinkSimResult, fromMs: number, toMs: number): number {
  const window = result.samples.filter((s) => s.tMs >= fromMs && s.tMs < toMs);
  return window.reduce((sum, s) => sum + s.deliveredFps, 0) / window.length;
}

Deno.test("720p30 into 4 Mbit/s and a 60 ms queue: collapse today, a steady picture fitted", () => {
  // Today: every frame sent whole at line rate, whatever the link.
  const today = simulateLink({
    durationMs: 20_000,
    capacityBps: () => 4 * MBIT,
    queueMs: 60,
    controller: { floorBps: Number.POSITIVE_INFINITY },
    source: () => ({ bytes: 46_000 }),
  });
  ok(meanFps(today, 5000, 20_001) < 1, `today: ${meanFps(today, 5000, 20_001)} fps`);

  const { source, ladder } = adaptiveSender(1);
  const rungs: string[] = [];
  const fitted = simulateLink({
    durationMs: 40_000,
    capacityBps: () => 4 * MBIT,
    queueMs: 60,
    source: (context) => {
      const frame = source(context);
      if (context.tMs >= 10_000) rungs.push(`q${ladder.rung.quality} ${ladder.rung.fps}`);
      return frame;
    },
  });
  const fps = meanFps(fitted, 10_000, 40_001);
  ok(fps >= 14, `${fps} fps`);
  for (const s of fitted.samples.filter((s) => s.tMs >= 10_000)) ok(s.deliveredFps >= 12, s.reason);
  // One rung all along: the ladder's hysteresis rides out the controller's sawtooth.
  equal(new Set(rungs).size, 1, [...new Set(rungs)].join(", "));
});

Deno.test("when the link widens, padding earns the rate back and the picture climbs", () => {
  const { source, ladder } = adaptiveSender(2);
  const liftMs = 20_000;
  let topAtMs: number | null = null;
  simulateLink({
    durationMs: liftMs + 20_000,
    capacityBps: (t) => (t < liftMs ? 4 * MBIT : 20 * MBIT),
    source: (context) => {
      const frame = source(context);
      const top = ladder.rung.quality === 80 && ladder.rung.fps === 30;
      if (context.tMs >= liftMs && top) topAtMs ??= context.tMs;
      return frame;
    },
  });
  ok(topAtMs !== null && topAtMs - liftMs <= 15_000, `top rung at ${topAtMs}`);
});
