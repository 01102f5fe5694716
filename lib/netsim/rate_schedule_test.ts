import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { Prng } from "./prng.ts";
import {
  formatRateSchedule,
  MAX_RATE_STEPS,
  parseRateSchedule,
  RateSchedule,
  type RateStep,
} from "./rate_schedule.ts";

Deno.test("parseRateSchedule reads KBPS@SECONDS steps", () => {
  const table: [string, RateStep[]][] = [
    ["4000@0", [{ atMs: 0, rateKbps: 4000 }]],
    ["20000@0,4000@10,20000@20", [
      { atMs: 0, rateKbps: 20_000 },
      { atMs: 10_000, rateKbps: 4000 },
      { atMs: 20_000, rateKbps: 20_000 },
    ]],
    [" 500@0 , 250.5@0.25 ", [{ atMs: 0, rateKbps: 500 }, { atMs: 250, rateKbps: 250.5 }]],
  ];
  for (const [text, steps] of table) {
    deepStrictEqual(parseRateSchedule(text), steps, text);
    // The text form reads back to the same steps.
    deepStrictEqual(parseRateSchedule(formatRateSchedule(steps)), steps, text);
  }
});

Deno.test("parseRateSchedule refuses what is not a schedule, naming the step and the fix", () => {
  const tooMany = Array.from({ length: MAX_RATE_STEPS + 1 }, (_, i) => `100@${i}`).join(",");
  const table: [string, RegExp][] = [
    ["", /step 1 "" is not KBPS@SECONDS \(e\.g\. 20000@0,4000@10,20000@20\)/],
    ["4000", /step 1 "4000" is not KBPS@SECONDS/],
    ["4000@", /step 1 "4000@" is not KBPS@SECONDS/],
    ["@0", /step 1 "@0" is not KBPS@SECONDS/],
    ["-5@0", /step 1 "-5@0" is not KBPS@SECONDS/],
    ["4000@0,2000@x", /step 2 "2000@x" is not KBPS@SECONDS/],
    ["4000@0,,2000@1", /step 2 "" is not KBPS@SECONDS/],
    ["4 Mbit@0", /step 1 "4 Mbit@0" is not KBPS@SECONDS/],
    ["1e3@0", /step 1 "1e3@0" is not KBPS@SECONDS/],
    ["4000@0@1", /step 1 "4000@0@1" is not KBPS@SECONDS/],
    ["0@0", /step 1 has a rate of 0 kbit\/s; rates must be more than 0/],
    ["200000000@0", /rates must be more than 0 and at most 100000000/],
    ["4000@5", /the first step must start at 0, not 5 s/],
    ["4000@0,2000@10,1000@10", /step 3 starts at 10 s, not after step 2 \(10 s\); list the steps/],
    ["4000@0,2000@10,1000@5", /step 3 starts at 5 s, not after step 2/],
    [tooMany, /at most 1000 steps, got 1001/],
  ];
  for (const [text, problem] of table) {
    const parsed = parseRateSchedule(text);
    ok(typeof parsed === "string", `${text.slice(0, 40)} parsed`);
    ok(problem.test(parsed), `${text.slice(0, 40)}: ${parsed}`);
  }
  throws(() => new RateSchedule([]), /at least one step/);
  throws(() => new RateSchedule([{ atMs: 0, rateKbps: NaN }]), /rate of NaN/);
});

Deno.test("RateSchedule: the rate in force, bits carried and finish times across steps", () => {
  // 8000 kbit/s (8000 bits per ms) until 1 s, 2000 until 2 s, then 8000 for good.
  const schedule = new RateSchedule([
    { atMs: 0, rateKbps: 8000 },
    { atMs: 1000, rateKbps: 2000 },
    { atMs: 2000, rateKbps: 8000 },
  ]);
  const rates: [number, number][] = [
    [-5, 8000],
    [0, 8000],
    [999.9, 8000],
    [1000, 2000],
    [1999, 2000],
    [2000, 8000],
    [1e9, 8000],
  ];
  for (const [atMs, rate] of rates) equal(schedule.rateKbpsAt(atMs), rate, `at ${atMs}`);
  const bits: [number, number, number][] = [
    [0, 1, 8000],
    [999, 1001, 8000 + 2000],
    [500, 2500, 500 * 8000 + 1000 * 2000 + 500 * 8000],
    [-10, 0, 80_000], // before the first step its rate holds
    [10, 10, 0],
    [10, 5, 0],
  ];
  for (const [fromMs, toMs, expected] of bits) {
    equal(schedule.bitsBetween(fromMs, toMs), expected, `${fromMs}..${toMs}`);
  }
  const finishes: [number, number, number][] = [
    [0, 8000, 1],
    [999, 8000, 1000], // exactly at the switch
    [999, 10_000, 1001], // 8000 bits before the switch, 2000 after
    [1998, 12_000, 2001], // 4000 bits at 2000, then 8000 at 8000
    [1500, 0, 1500],
  ];
  for (const [fromMs, bitCount, expected] of finishes) {
    equal(schedule.finishMs(fromMs, bitCount), expected, `${bitCount} bits from ${fromMs}`);
  }
});

Deno.test("RateSchedule: finishMs and bitsBetween are inverses over random schedules", () => {
  const prng = new Prng(21);
  for (let round = 0; round < 200; round++) {
    const steps: RateStep[] = [];
    let atMs = 0;
    const count = prng.int(1, 8);
    for (let i = 0; i < count; i++) {
      steps.push({ atMs, rateKbps: prng.int(1, 50_000) });
      atMs += prng.int(1, 500);
    }
    const schedule = new RateSchedule(steps);
    const fromMs = prng.next() * atMs;
    const bits = prng.int(0, 2_000_000);
    const doneMs = schedule.finishMs(fromMs, bits);
    ok(doneMs >= fromMs);
    const carried = schedule.bitsBetween(fromMs, doneMs);
    ok(Math.abs(carried - bits) < 1e-6 * (bits + 1), `round ${round}: ${carried} vs ${bits}`);
  }
});
