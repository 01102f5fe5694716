import { equal, ok, throws } from "node:assert/strict";
import { FrameClock } from "./frame_clock.ts";

Deno.test("FrameClock: the first frame goes at once, the next ones on a fixed grid", () => {
  const clock = new FrameClock(100); // 10 ms apart
  equal(clock.delayMs(1000), 0);
  equal(clock.delayMs(1001), 9);
  // The sender slept 2 ms too long: the next deadline stays on the grid (1020), not 1023.
  equal(clock.delayMs(1013), 7);
});

Deno.test("FrameClock: a sender more than a frame late restarts the grid instead of bursting", () => {
  const clock = new FrameClock(100);
  clock.delayMs(0);
  equal(clock.delayMs(50), 0, "40 ms late: no catching up");
  equal(clock.delayMs(51), 9);
});

Deno.test("FrameClock: over many frames the average rate is the asked one", () => {
  const clock = new FrameClock(300);
  let nowMs = 0;
  const frames = 3000;
  for (let i = 0; i < frames; i++) {
    // Timers fire up to 1 ms late, as the event loop's do.
    nowMs += clock.delayMs(nowMs) + (i % 3 === 0 ? 1 : 0.2);
  }
  const fps = (frames - 1) / (nowMs / 1000);
  ok(Math.abs(fps - 300) < 3, `${fps} fps`);
});

Deno.test("FrameClock: fps must be positive", () => {
  throws(() => new FrameClock(0), RangeError);
  throws(() => new FrameClock(Number.NaN), RangeError);
});
