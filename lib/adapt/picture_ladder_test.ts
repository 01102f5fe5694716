import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { qualityToQscale } from "../capture/mod.ts";
import { Prng } from "../netsim/mod.ts";
import { PictureLadder, type PictureLadderOptions, REENCODE_SCALES } from "./picture_ladder.ts";

/**
 * A stand-in encoder: bytes of a frame at a quality and scale, with ±`noise` variation. Its
 * exponents differ from the ladder's priors on purpose, so the ladder has to measure.
 */
function encoder(seed: number, noise = 0.05, gamma = 0.7, alpha = 0.9) {
  const prng = new Prng(seed);
  return (quality: number, scale: number) =>
    46_000 * (qualityToQscale(quality) / 8) ** -gamma * (scale * scale) ** alpha *
    (1 + noise * (2 * prng.next() - 1));
}

/** Runs the ladder frame by frame at 30 fps under `budget(t)`; returns every decision. */
function run(
  ladder: PictureLadder,
  budget: (tMs: number) => number,
  durationMs: number,
  seed = 1,
): { index: number; tMs: number; reason: string }[] {
  const encode = encoder(seed);
  const out: { index: number; tMs: number; reason: string }[] = [];
  for (let t = 0; t < durationMs; t += 1000 / 30) {
    const decision = ladder.choose(budget(t), t);
    out.push({ index: decision.index, tMs: t, reason: decision.reason });
    if (ladder.admit(t)) {
      const { quality, scale } = decision.rung;
      ladder.observe(quality, scale, encode(quality, scale), t);
    }
  }
  return out;
}

Deno.test("the ladder lowers quality first, then frame rate to 24, then size, then frame rate", () => {
  const ladder = new PictureLadder({ scales: [...REENCODE_SCALES] });
  deepStrictEqual(
    ladder.rungs.map((r) => `q${r.quality} ${r.fps}fps ${r.scale}`),
    [
      "q80 30fps 1",
      "q70 30fps 1",
      "q60 30fps 1",
      "q50 30fps 1",
      "q40 30fps 1",
      "q40 24fps 1",
      "q40 24fps 0.75",
      "q40 24fps 0.5",
      "q40 20fps 0.5",
      "q40 15fps 0.5",
      "q40 10fps 0.5",
      "q40 5fps 0.5",
    ],
  );
  // A budget falling slowly from 12 to 0.2 Mbit/s walks down every rung in that order.
  const steps = run(ladder, (t) => 12e6 * (1 - t / 40_000) + 2e5, 40_000);
  const visited = steps.map((s) => s.index).filter((index, i, all) =>
    i === 0 || index !== all[i - 1]
  );
  deepStrictEqual(visited, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  // Each rung's predicted rate fits the budget it was chosen under.
  ok(steps.at(-1)!.reason.startsWith("link "), steps.at(-1)!.reason);
  ok(steps.at(-1)!.reason.endsWith("q 40, 5 fps, 1/2 size"), steps.at(-1)!.reason);
});

Deno.test("the size rungs come at sizeFpsShare's frame rate (table)", () => {
  const cases: [sizeFpsShare: number, rungs: string[]][] = [
    [1, ["q80 30 1", "q40 30 1", "q40 30 0.5", "q40 20 0.5", "q40 10 0.5"]],
    [2 / 3, ["q80 30 1", "q40 30 1", "q40 20 1", "q40 20 0.5", "q40 10 0.5"]],
    [0.5, ["q80 30 1", "q40 30 1", "q40 20 1", "q40 20 0.5", "q40 10 0.5"]],
    [0.01, ["q80 30 1", "q40 30 1", "q40 20 1", "q40 10 1", "q40 10 0.5"]],
  ];
  for (const [sizeFpsShare, rungs] of cases) {
    const ladder = new PictureLadder({
      qualities: [80, 40],
      fpsShares: [1, 2 / 3, 1 / 3],
      scales: [1, 0.5],
      sizeFpsShare,
    });
    deepStrictEqual(
      ladder.rungs.map((r) => `q${r.quality} ${r.fps} ${r.scale}`),
      rungs,
      `sizeFpsShare ${sizeFpsShare}`,
    );
  }
});

Deno.test("on a steady link the ladder settles and does not flap (table)", () => {
  // Budgets between rungs, near rung edges, each with ±5 % frame-size noise, for 60 s.
  for (const budgetBps of [3.3e6, 4.0e6, 4.3e6, 6.5e6, 8.0e6, 9.2e6]) {
    for (const seed of [1, 2, 3]) {
      const steps = run(new PictureLadder(), () => budgetBps, 60_000, seed);
      const settled = steps.filter((s) => s.tMs >= 10_000);
      const changes = settled.filter((s, i) => i > 0 && s.index !== settled[i - 1].index).length;
      ok(changes <= 1, `${budgetBps} seed ${seed}: ${changes} changes after 10 s`);
    }
  }
});

Deno.test("a step down is immediate, a step up waits for sustained headroom", () => {
  const cases: [name: string, wideBps: number, holdMs: number][] = [
    // Far more than the top rung needs: every rung up fits, and so does the one after it.
    ["a link widened by far: 0.5 s a rung", 14e6, 500],
    // Just enough for the next rung, never for the one after: 1.5 s a rung.
    ["a link a little wider: 1.5 s a rung", 3.9e6, 1500],
  ];
  for (const [name, wideBps, holdMs] of cases) {
    const ladder = new PictureLadder({ upHoldMs: 1500, fastUpHoldMs: 500 });
    const budget = (t: number) => (t < 5000 ? 14e6 : t < 10_000 ? 3e6 : wideBps);
    const steps = run(ladder, budget, 25_000);
    const at = (tMs: number) => steps.find((s) => s.tMs >= tMs)!;
    equal(at(4900).index, 0, name);
    // The first decision under the lower budget is already down among the frame-rate rungs.
    const down = at(5000).index;
    ok(down >= 5, at(5000).reason);
    equal(at(9900).index, down, name);
    // Up again one rung at a time, each after its hold of headroom.
    const ups = steps.filter((s, i) => i > 0 && s.index < steps[i - 1].index);
    ok(ups.length >= 1, name);
    ok(ups[0].tMs - 10_000 >= holdMs, `${name}: first step up at ${ups[0].tMs}`);
    for (let i = 1; i < ups.length; i++) {
      ok(ups[i].tMs - ups[i - 1].tMs >= holdMs, `${name}: ${ups[i].tMs}`);
      equal(ups[i].index, ups[i - 1].index - 1, name);
    }
    if (wideBps === 14e6) {
      equal(ups.length, down, name);
      equal(steps.at(-1)!.index, 0, name);
    } else ok(ups.length <= 2, `${name}: ${ups.length} steps up`);
  }
});

Deno.test("a brief rise of the budget changes nothing (table)", () => {
  const cases: [name: string, riseBps: number, riseMs: number][] = [
    // The next rung would fit for 1 s (the one after it would not): less than the 1.5 s hold.
    ["to the next rung for 1 s", 5.0e6, 1000],
    // Three times the budget, for less than the 0.5 s hold of a widened link.
    ["by far for 0.4 s", 12e6, 400],
  ];
  for (const [name, riseBps, riseMs] of cases) {
    const ladder = new PictureLadder();
    const budget = (t: number) => (t >= 10_000 && t < 10_000 + riseMs ? riseBps : 4e6);
    const steps = run(ladder, budget, 20_000);
    const settled = steps.filter((s) => s.tMs >= 5000).map((s) => s.index);
    equal(new Set(settled).size, 1, `${name}: ${settled.join(" ")}`);
  }
});

Deno.test("bytes per frame are modelled from what was measured", () => {
  const ladder = new PictureLadder();
  const encode = encoder(4, 0, 0.9, 0.85); // an encoder whose sizes fall faster than the prior
  // Frames measured at qualities 80 and 60 only.
  for (let t = 0; t < 2000; t += 33) {
    const quality = t < 1000 ? 80 : 60;
    ladder.observe(quality, 1, encode(quality, 1), t);
  }
  equal(ladder.qualityExponent.toFixed(3), "0.900", "measured at the switch from 80 to 60");
  const predicted = ladder.predictBps({ quality: 40, fps: 30, scale: 1 })!;
  const actual = encode(40, 1) * 8 * 30;
  ok(Math.abs(predicted / actual - 1) < 0.03, `${predicted} vs ${actual}`);
  // The scene gets twice as complex: the newest frames move every prediction at once.
  for (let t = 2000; t < 3000; t += 33) ladder.observe(60, 1, 2 * encode(60, 1), t);
  const busier = ladder.predictBps({ quality: 80, fps: 30, scale: 1 })!;
  ok(Math.abs(busier / (2 * encode(80, 1) * 240) - 1) < 0.1, `${busier}`);
  equal(ladder.qualityExponent.toFixed(3), "0.900", "a scene change is not a quality change");
  equal(new PictureLadder().predictBps({ quality: 80, fps: 30, scale: 1 }), null);
  equal(new PictureLadder().qualityExponent, 0.6, "the prior until a switch is measured");
});

Deno.test("admit passes frames evenly at the rung's frame rate (table)", () => {
  const cases: [fps: number, sent: number][] = [[30, 300], [20, 200], [15, 150], [10, 100], [
    5,
    50,
  ]];
  for (const [fps, expected] of cases) {
    const ladder = new PictureLadder({
      fpsShares: [1, fps / 30].filter((v, i, a) => a.indexOf(v) === i),
    });
    ladder.observe(80, 1, 1e6, 0); // huge frames: the budget forces the lowest rung
    ladder.choose(fps === 30 ? 1e12 : 1, 0);
    equal(ladder.rung.fps, fps);
    const prng = new Prng(fps);
    let sent = 0;
    const pattern: boolean[] = [];
    for (let i = 0; i < 300; i++) {
      // Capture times jitter by ±3 ms around 33.3 ms.
      const admitted = ladder.admit(i * (1000 / 30) + (prng.next() * 6 - 3));
      pattern.push(admitted);
      if (admitted) sent++;
    }
    ok(Math.abs(sent - expected) <= 1, `${fps} fps: ${sent} of 300`);
    // Evenly: never two skipped in a row above 15 fps.
    if (fps > 15) ok(!pattern.join("").includes("falsefalse"), `${fps} fps`);
  }
});

Deno.test("without re-encoding only the frame rate moves", () => {
  const ladder = new PictureLadder({ qualities: [75] });
  deepStrictEqual(
    ladder.rungs.map((r) => [r.quality, r.fps]),
    [[75, 30], [75, 24], [75, 20], [75, 15], [75, 10], [75, 5]],
  );
  ladder.observe(75, 1, 40_000, 0);
  equal(ladder.choose(5e6, 33).reason, "link 5.0 Mbit/s: q 75, 15 fps");
});

Deno.test("steps that do not fall from the best are refused with what to do", () => {
  const bad: Partial<PictureLadderOptions>[] = [
    { qualities: [] },
    { qualities: [40, 80] },
    { qualities: [120] },
    { fpsShares: [0.5] },
    { scales: [1, 1] },
    { sourceFps: 0 },
  ];
  for (const options of bad) {
    throws(
      () => new PictureLadder(options),
      (e: unknown) =>
        e instanceof RangeError && /^Cannot build the picture ladder: .*\. Pass/.test(e.message),
      JSON.stringify(options),
    );
  }
});

Deno.test("at the source's frame rate every frame goes, however fast they come", () => {
  const ladder = new PictureLadder({ sourceFps: 30 });
  let sent = 0;
  // A file at 300 fps, which the sender plans as 30 fps: the top rung must not thin it.
  for (let i = 0; i < 300; i++) if (ladder.admit(i * (1000 / 300))) sent++;
  equal(sent, 300);
});
