import { deepStrictEqual } from "node:assert/strict";
import { Backoff } from "./retry_backoff.ts";

Deno.test("backoff doubles from 0.5 s to 10 s and starts over after a steady run", () => {
  const backoff = new Backoff();
  const delays = Array.from({ length: 8 }, () => backoff.next(100));
  deepStrictEqual(delays, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  deepStrictEqual([backoff.next(60_000), backoff.next(100)], [500, 1000]);
});
