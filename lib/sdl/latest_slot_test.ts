import { deepStrictEqual, equal } from "node:assert/strict";
import { LatestSlot } from "./latest_slot.ts";
import { Prng } from "../netsim/mod.ts";

Deno.test("latest slot: newest wins, replaced items are counted as skipped", () => {
  const slot = new LatestSlot<number>();
  equal(slot.take(), undefined);
  slot.put(1);
  slot.put(2);
  slot.put(3);
  equal(slot.skipped, 2);
  equal(slot.take(), 3);
  equal(slot.take(), undefined);
  slot.put(4);
  equal(slot.take(), 4);
  equal(slot.skipped, 2);
});

Deno.test("latest slot: every item is either taken or skipped (seeded property)", () => {
  for (let seed = 1; seed <= 50; seed++) {
    const prng = new Prng(seed);
    const slot = new LatestSlot<number>();
    const taken: number[] = [];
    let put = 0;
    for (let step = 0; step < 500; step++) {
      if (prng.next() < 0.6) slot.put(put++);
      else {
        const item = slot.take();
        if (item !== undefined) taken.push(item);
      }
    }
    const last = slot.take();
    if (last !== undefined) taken.push(last);
    equal(taken.length + slot.skipped, put, `seed ${seed}`);
    // Taken items are increasing: the slot never hands out an older item after a newer one.
    deepStrictEqual(taken, [...taken].sort((a, b) => a - b), `seed ${seed}`);
  }
});

Deno.test("latest slot: wait wakes on put, or times out empty", async () => {
  const slot = new LatestSlot<string>();
  equal(await slot.wait(5), false);
  let woken = false;
  const waiting = slot.wait(10_000).then((full) => {
    woken = true;
    return full;
  });
  await Promise.resolve();
  equal(woken, false, "nothing was put yet");
  slot.put("frame");
  // Woken by put within a couple of microtasks, not by the 10 s timer.
  for (let i = 0; i < 5 && !woken; i++) await Promise.resolve();
  equal(woken, true, "put did not wake the waiter");
  equal(await waiting, true);
  equal(await slot.wait(10_000), true, "an item is already waiting");
  equal(slot.take(), "frame");
  slot.close();
});

Deno.test("latest slot: waits ended by puts leave one timer, which still times out later waits", async () => {
  const slot = new LatestSlot<number>();
  for (let i = 0; i < 20; i++) {
    const waiting = slot.wait(10_000);
    slot.put(i);
    equal(await waiting, true);
    equal(slot.take(), i);
  }
  // The timer armed for 10 s must not hold back a short wait, nor make it end early: told apart
  // by the order of events against two other timers, not by measuring time.
  const order: string[] = [];
  const before = setTimeout(() => order.push("10 ms timer"), 10);
  const after = setTimeout(() => order.push("2 s timer"), 2_000);
  equal(await slot.wait(30), false);
  order.push("wait(30) timed out");
  clearTimeout(before);
  clearTimeout(after);
  deepStrictEqual(order, ["10 ms timer", "wait(30) timed out"]);
  // close ends a pending wait and stops the timer (the test's sanitizer checks no timer is left).
  const pending = slot.wait(10_000);
  slot.close();
  equal(await pending, false);
});
