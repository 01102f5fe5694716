import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { megabytes, memoryMB } from "./memory_usage.ts";

Deno.test("megabytes rounds to 0.1 MB of 2^20 bytes", () => {
  const cases: [number, number][] = [
    [0, 0],
    [52_428, 0], // just under 0.05 MB
    [52_429, 0.1], // 0.05 MB rounds up
    [1_048_576, 1],
    [1_572_864, 1.5],
    [104_857_600, 100],
  ];
  for (const [bytes, mb] of cases) equal(megabytes(bytes), mb, `${bytes} bytes`);
});

Deno.test("memoryMB reads this process's memory and passes the worker's heap through", () => {
  const report = memoryMB(1_572_864);
  deepStrictEqual(Object.keys(report), ["rss", "heapUsed", "external", "workerHeapUsed"]);
  equal(report.workerHeapUsed, 1.5);
  // A running Deno has a resident set larger than its V8 heap, and some heap in use.
  ok(report.rss > report.heapUsed && report.heapUsed > 0, JSON.stringify(report));
  for (const value of Object.values(report)) equal(Math.round(value * 10) / 10, value);
});
