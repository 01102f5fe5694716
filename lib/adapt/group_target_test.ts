import { deepStrictEqual, equal } from "node:assert/strict";
import { groupTarget, type ReceiverTarget } from "./group_target.ts";

const r = (key: string, targetBps: number, lastReportMs = 1000): ReceiverTarget => ({
  key,
  targetBps,
  lastReportMs,
});

Deno.test("the group follows the slowest receiver above the floor (table)", () => {
  const cases: [string, ReceiverTarget[], number | null, string | null, string[], string[]][] = [
    ["one receiver", [r("a", 5e6)], 5e6, "a", [], []],
    ["the slowest sets it", [r("a", 8e6), r("b", 3e6), r("c", 6e6)], 3e6, "b", [], []],
    ["a hopeless receiver is left out", [r("a", 8e6), r("b", 2e5)], 8e6, "a", ["b"], []],
    ["exactly the floor counts", [r("a", 8e6), r("b", 1e6)], 1e6, "b", [], []],
    ["a silent receiver is not waited for", [r("a", 8e6), r("b", 2e6, -2500)], 8e6, "a", [], ["b"]],
    ["everyone below the floor: the floor", [r("a", 5e5), r("b", 2e5)], 1e6, null, ["a", "b"], []],
    ["nobody reporting", [r("a", 5e6, -5000)], null, null, [], ["a"]],
    ["no receivers", [], null, null, [], []],
  ];
  for (const [name, receivers, targetBps, slowest, belowFloor, stale] of cases) {
    const got = groupTarget(receivers, 1000);
    deepStrictEqual(
      [got.targetBps, got.slowest, got.belowFloor, got.stale],
      [targetBps, slowest, belowFloor, stale],
      name,
    );
  }
});

Deno.test("the reason names the slowest and what was left out", () => {
  equal(
    groupTarget([r("10.0.0.2:5000", 8e6), r("10.0.0.3:5000", 3.5e6), r("x", 1e5)], 1000).reason,
    "slowest of 2: 10.0.0.3:5000 at 3.5 Mbit/s; 1 below the floor left out",
  );
  equal(
    groupTarget([r("a", 5e6)], 1000, { floorBps: 6e6 }).reason,
    "every receiver below the floor: 6.0 Mbit/s",
  );
});
