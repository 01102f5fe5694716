import { equal, throws } from "node:assert/strict";
import { ReplayWindow } from "./replay_window.ts";
import { Prng } from "../netsim/mod.ts";

function offer(window: ReplayWindow, counter: number): boolean {
  if (!window.check(counter)) return false;
  window.accept(counter);
  return true;
}

Deno.test("ReplayWindow accepts each counter once, in any order within the window", () => {
  const window = new ReplayWindow(64);
  const table: [counter: number, accepted: boolean][] = [
    [0, true],
    [0, false], // replay
    [5, true],
    [3, true], // late but inside the window
    [3, false], // replay of a late one
    [100, true], // jump ahead
    [36, false], // 100 - 64: just out of the window
    [37, true], // oldest still inside
    [99, true],
    [99, false],
  ];
  for (const [counter, accepted] of table) equal(offer(window, counter), accepted, `${counter}`);
  equal(window.newest, 100);
});

Deno.test("ReplayWindow: a big jump forgets everything older", () => {
  const window = new ReplayWindow(64);
  offer(window, 10);
  offer(window, 10_000);
  equal(offer(window, 10), false);
  equal(offer(window, 9_999), true);
});

Deno.test("property: shuffled traffic with replays, every counter accepted at most once", () => {
  for (let seed = 1; seed <= 50; seed++) {
    const prng = new Prng(seed);
    const window = new ReplayWindow(128);
    // Reordering by at most 100 places (sort by position plus jitter), plus replays.
    const counters = Array.from({ length: 2000 }, (_, i) => ({ i, key: i + prng.int(0, 100) }))
      .sort((a, b) => a.key - b.key).map(({ i }) => i);
    const traffic = counters.flatMap((c) => prng.next() < 0.2 ? [c, prng.int(0, c)] : [c]);
    const accepted = new Set<number>();
    for (const counter of traffic) {
      if (offer(window, counter)) {
        equal(accepted.has(counter), false, `seed ${seed}: ${counter} accepted twice`);
        accepted.add(counter);
      }
    }
    // Reordering stays within the window, so every genuine counter gets through once.
    equal(accepted.size, 2000, `seed ${seed}`);
  }
});

Deno.test("ReplayWindow refuses sizes that are not a multiple of 8", () => {
  throws(() => new ReplayWindow(10), /multiple of 8/);
});
