import { deepStrictEqual, throws } from "node:assert/strict";
import { TrialBudget } from "./trial_budget.ts";

Deno.test("TrialBudget: starts full, earns perSecond, banks at most burst (table)", () => {
  // [perSecond, burst, times of take() in ms, what each take returns]
  const table: [number, number, number[], boolean[]][] = [
    [100, 2, [0, 0, 0], [true, true, false]],
    [100, 2, [0, 0, 0, 10, 10], [true, true, false, true, false]],
    // A long quiet spell banks no more than the burst.
    [100, 2, [0, 0, 10_000, 10_000, 10_000], [true, true, true, true, false]],
    // A clock going back earns nothing and does not break the bucket.
    [1000, 1, [50, 40, 45, 51], [true, false, false, true]],
    // Fractions add up: 0.5 tries per ms.
    [500, 1, [0, 1, 2, 3, 4], [true, false, true, false, true]],
  ];
  for (const [perSecond, burst, times, want] of table) {
    const budget = new TrialBudget(perSecond, burst);
    deepStrictEqual(times.map((t) => budget.take(t)), want, `${perSecond}/s, burst ${burst}`);
  }
});

Deno.test("TrialBudget refuses a rate or burst that is not positive", () => {
  for (const [perSecond, burst] of [[0, 1], [10, 0], [NaN, 1], [-1, 5]]) {
    throws(() => new TrialBudget(perSecond, burst), /must be positive/);
  }
});
