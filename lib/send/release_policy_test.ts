import { deepStrictEqual, equal } from "node:assert/strict";
import { type ArrivalStep, ReleasePolicy } from "./release_policy.ts";
import type { RatePlan } from "./rate_plan.ts";

Deno.test("ReleasePolicy: each plan's step for frames arriving 1 ms apart", () => {
  const table: [string, RatePlan, ArrivalStep[]][] = [
    // ffmpeg sets the pace: at once, and reading never waits (the newest frame wins).
    ["capture", { kind: "capture", fps: 30 }, [
      { kind: "release", awaitSent: false },
      { kind: "release", awaitSent: false },
      { kind: "release", awaitSent: false },
    ]],
    ["file at its own rate", { kind: "fileOwnRate" }, [
      { kind: "release", awaitSent: false },
      { kind: "release", awaitSent: false },
      { kind: "release", awaitSent: false },
    ]],
    // --fps 100 on a pass-through file: slots 10 ms apart on the sender's clock.
    ["released", { kind: "released", fps: 100 }, [
      { kind: "hold", holdMs: 0 },
      { kind: "hold", holdMs: 9 },
      { kind: "hold", holdMs: 18 },
    ]],
    // --fps max: at once, but reading waits until the frame is on the wire.
    ["max", { kind: "max" }, [
      { kind: "release", awaitSent: true },
      { kind: "release", awaitSent: true },
      { kind: "release", awaitSent: true },
    ]],
  ];
  for (const [name, plan, steps] of table) {
    const policy = new ReleasePolicy(plan, 0);
    const seen = steps.map((_, i) => {
      const step = policy.arrive(1000 + i);
      equal(policy.released(), false, `${name}: no --frames, never the last`);
      return step;
    });
    deepStrictEqual(seen, steps, name);
    equal(policy.framesReleased, 3, name);
  }
});

Deno.test("ReleasePolicy: --frames N stops after the Nth release; stop() drops every frame after", () => {
  const limited = new ReleasePolicy({ kind: "capture", fps: 30 }, 3);
  const lasts = [0, 1, 2].map((i) => {
    limited.arrive(i);
    return limited.released();
  });
  deepStrictEqual(lasts, [false, false, true]);
  equal(limited.stopping, true);
  deepStrictEqual(limited.arrive(3), { kind: "drop" });

  const stopped = new ReleasePolicy({ kind: "released", fps: 10 }, 0);
  deepStrictEqual(stopped.arrive(0), { kind: "hold", holdMs: 0 });
  // Stopped while the frame is held: the caller sees `stopping` and does not release it.
  stopped.stop();
  equal(stopped.stopping, true);
  deepStrictEqual(stopped.arrive(100), { kind: "drop" });
  equal(stopped.framesReleased, 0);
});

Deno.test("ReleasePolicy: frames arriving however they may are released at most --frames times", () => {
  for (const maxFrames of [1, 2, 7]) {
    const policy = new ReleasePolicy({ kind: "max" }, maxFrames);
    let released = 0;
    let drops = 0;
    for (let i = 0; i < 20; i++) {
      const step = policy.arrive(i * 3);
      if (step.kind === "drop") drops++;
      else {
        released++;
        policy.released();
      }
    }
    equal(released, maxFrames);
    equal(released + drops, 20, "every frame is released or dropped");
    equal(policy.framesReleased, maxFrames);
  }
});
