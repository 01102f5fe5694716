import { deepStrictEqual, equal } from "node:assert/strict";
import { DeadlinePoller, DeadlineTimer } from "./deadline_timer.ts";

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

Deno.test("DeadlinePoller: polls when work falls due, again while there is more, never after close", async () => {
  let due = [performance.now() + 5, performance.now() + 15];
  let polls = 0;
  const poller = new DeadlinePoller(() => due[0] ?? null, 1, () => {
    polls++;
    due = due.slice(1);
  });
  poller.schedule(performance.now());
  await sleep(80);
  equal(polls, 2, "both deadlines polled, then no timer: nothing due");
  due = [performance.now() + 10];
  poller.schedule(performance.now());
  poller.close();
  poller.schedule(performance.now());
  await sleep(40);
  equal(polls, 2, "a closed poller never polls");
});
