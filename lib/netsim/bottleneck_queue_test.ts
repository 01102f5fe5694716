import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { BottleneckQueue } from "./bottleneck_queue.ts";
import { Prng } from "./prng.ts";
import { RateSchedule, type RateStep } from "./rate_schedule.ts";

function queueOf(steps: RateStep[] | number, queueMs: number, maxDatagrams = 10_000) {
  const schedule = typeof steps === "number"
    ? RateSchedule.constant(steps)
    : new RateSchedule(steps);
  return new BottleneckQueue({ schedule, queueMs, maxDatagrams });
}

Deno.test("a constant stream above the rate builds delay up to queueMs, then drops at the tail", () => {
  // [link kbit/s, queue ms, datagram bytes, offered kbit/s]
  const table: [number, number, number, number][] = [
    [4000, 60, 1200, 8000],
    [4000, 60, 1200, 4400],
    [20_000, 25, 1400, 30_000],
    [1000, 200, 500, 1500],
    [8000, 5, 1200, 80_000],
  ];
  for (const [rateKbps, queueMs, bytes, offeredKbps] of table) {
    const label = `${rateKbps} kbit/s, ${queueMs} ms, ${bytes} B, offered ${offeredKbps}`;
    const queue = queueOf(rateKbps, queueMs);
    const serializationMs = bytes * 8 / rateKbps;
    const gapMs = bytes * 8 / offeredKbps;
    let lastDelayMs = -1;
    let firstDropAt = -1;
    for (let i = 0; i < 5000; i++) {
      const nowMs = i * gapMs;
      const departureMs = queue.offer(bytes, nowMs);
      if (departureMs === null) {
        if (firstDropAt < 0) firstDropAt = i;
        continue;
      }
      const delayMs = departureMs - nowMs;
      ok(delayMs <= queueMs + serializationMs + 1e-9, `${label}: delay ${delayMs} at ${i}`);
      // Until the queue is full, each datagram waits longer than the one before.
      if (firstDropAt < 0) ok(delayMs > lastDelayMs, `${label}: delay fell at ${i}`);
      lastDelayMs = delayMs;
    }
    ok(firstDropAt > 0, `${label}: nothing dropped`);
    // Drops start once the backlog reaches queueMs: the queue grows by (1 - rate/offered) of a
    // datagram per arrival, and holds queueMs / serialization of them.
    const expectedFirstDrop = (queueMs / serializationMs) / (1 - rateKbps / offeredKbps);
    ok(Math.abs(firstDropAt - expectedFirstDrop) <= 2, `${label}: first drop at ${firstDropAt}`);
    ok(queue.counts.waitMaxMs <= queueMs && queue.counts.waitMaxMs > queueMs - serializationMs);
    // What got through is the link's rate: departures are back to back.
    const throughputKbps = queue.counts.enqueued * bytes * 8 / (5000 * gapMs);
    ok(Math.abs(throughputKbps / rateKbps - 1) < 0.05, `${label}: ${throughputKbps} kbit/s`);
  }
});

Deno.test("below the rate nothing waits: each datagram leaves after its own serialization", () => {
  // [link kbit/s, datagram bytes, offered kbit/s]
  const table: [number, number, number][] = [
    [4000, 1200, 3000],
    [20_000, 1400, 19_000],
    [800, 100, 10],
  ];
  for (const [rateKbps, bytes, offeredKbps] of table) {
    const queue = queueOf(rateKbps, 50);
    const gapMs = bytes * 8 / offeredKbps;
    for (let i = 0; i < 2000; i++) {
      const nowMs = i * gapMs;
      equal(queue.waitMsAt(nowMs), 0);
      equal(queue.offer(bytes, nowMs), nowMs + bytes * 8 / rateKbps);
    }
    deepStrictEqual(
      [queue.counts.dropped, queue.counts.waitMaxMs, queue.counts.waitTotalMs],
      [0, 0, 0],
    );
  }
});

Deno.test("a rate schedule switches the queue's service at the scheduled times", () => {
  // 1000-byte datagrams every 2 ms (4000 kbit/s offered) through 8000 → 2000 → 8000 kbit/s.
  const queue = queueOf([
    { atMs: 0, rateKbps: 8000 },
    { atMs: 1000, rateKbps: 2000 },
    { atMs: 2000, rateKbps: 8000 },
  ], 100);
  let firstWaitAt = -1;
  let firstDropAt = -1;
  let lastDropAt = -1;
  let lastWaitAt = -1;
  for (let nowMs = 0; nowMs < 3000; nowMs += 2) {
    const waitMs = queue.waitMsAt(nowMs);
    const departureMs = queue.offer(1000, nowMs);
    if (departureMs === null) {
      if (firstDropAt < 0) firstDropAt = nowMs;
      lastDropAt = nowMs;
      continue;
    }
    if (waitMs > 0 && firstWaitAt < 0) firstWaitAt = nowMs;
    if (waitMs > 0) lastWaitAt = nowMs;
    if (nowMs < 1000) equal(departureMs, nowMs + 1); // 8000 bits at 8000 kbit/s
  }
  // The datagram at 1000 ms takes 4 ms on the slower link, so the one at 1002 waits 2 ms, and the
  // k-th after the switch waits 2k ms: the 51st (at 1102 ms) would wait 102 ms > 100.
  equal(firstWaitAt, 1002);
  equal(firstDropAt, 1102);
  // Back at 8000 kbit/s the backlog drains 2 ms per 2 ms gone: no drops, and no wait by 2100 ms.
  ok(lastDropAt < 2000, `dropped at ${lastDropAt}`);
  ok(lastWaitAt > 2000 && lastWaitAt < 2100, `waited at ${lastWaitAt}`);
  equal(queue.counts.waitMaxMs, 100);
});

Deno.test("the hard cap on datagrams bounds the queue whatever queueMs allows", () => {
  const queue = queueOf(100, 60_000, 5);
  const departures = Array.from({ length: 8 }, () => queue.offer(1000, 0));
  deepStrictEqual(departures, [80, 160, 240, 320, 400, null, null, null]);
  equal(queue.queuedAt(0), 5);
  equal(queue.queuedAt(80), 4); // the first is through at 80 ms
  equal(queue.offer(1000, 80), 480);
  equal(queue.counts.dropped, 3);
  // A long random run wraps the ring many times and never holds more than the cap.
  const prng = new Prng(2);
  const small = queueOf(1000, 500, 7);
  let nowMs = 0;
  for (let i = 0; i < 20_000; i++) {
    nowMs += prng.next() * 3;
    small.offer(prng.int(20, 1500), nowMs);
    const queued = small.queuedAt(nowMs);
    ok(queued >= 0 && queued <= 7, `${queued} queued`);
    equal(small.counts.offered, small.counts.enqueued + small.counts.dropped);
  }
});

Deno.test("a clock that runs backwards neither frees the link early nor breaks the bounds", () => {
  const queue = queueOf(8000, 10);
  equal(queue.offer(1000, 100), 101);
  // 50 ms earlier: treated as 100 ms, so it waits for the first to finish.
  equal(queue.offer(1000, 50), 102);
  equal(queue.waitMsAt(0), 2);
  equal(queue.counts.waitMaxMs, 1);
  throws(() => queueOf(8000, -1), /queueMs must be ≥ 0/);
  throws(() => queueOf(8000, 10, 0), /maxDatagrams must be a whole number ≥ 1/);
});
