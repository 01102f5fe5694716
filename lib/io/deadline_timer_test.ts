import { deepStrictEqual, equal } from "node:assert/strict";
import { DeadlineTimer } from "./deadline_timer.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("DeadlineTimer: a sooner deadline replaces the armed one, a later one does not", async () => {
  const timer = new DeadlineTimer();
  const fired: string[] = [];
  const now = performance.now();
  timer.arm(now + 60, now, () => fired.push("60"));
  timer.arm(now + 10, now, () => fired.push("10"));
  timer.arm(now + 30, now, () => fired.push("30"));
  equal(timer.atMs, now + 10);
  await sleep(100);
  deepStrictEqual(fired, ["10"]);
  equal(timer.atMs, Infinity, "nothing armed after it fired");
});

Deno.test("DeadlineTimer: re-armed from its own callback, and cancelled", async () => {
  const timer = new DeadlineTimer();
  let fires = 0;
  const again = () => {
    fires++;
    const now = performance.now();
    if (fires < 3) timer.arm(now + 5, now, again);
  };
  const now = performance.now();
  timer.arm(now + 5, now, again);
  await sleep(120);
  equal(fires, 3);
  const later = performance.now();
  timer.arm(later + 10, later, () => fires++);
  timer.cancel();
  await sleep(40);
  equal(fires, 3, "a cancelled timer never fires");
});
