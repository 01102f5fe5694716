import { deepStrictEqual, ok } from "node:assert/strict";
import { DEFAULT_PACING, planBursts } from "./pacing.ts";

Deno.test("planBursts spreads big frames and keeps small ones in one burst", () => {
  const table: [datagrams: number, intervalMs: number, bursts: number, burstDatagrams: number][] = [
    [1, 33.3, 1, 1],
    [16, 33.3, 1, 16],
    [17, 33.3, 2, 9],
    [40, 33.3, 3, 14], // 720p: ~2 ms spread
    [90, 33.3, 6, 15], // 1080p
    [400, 33.3, 9, 45], // 9 bursts fit in 8.3 ms: bursts grow instead of delaying the frame
    [400, 4, 2, 200], // 250 fps: 1 ms of spread allows 2 bursts
  ];
  for (const [datagrams, intervalMs, bursts, burstDatagrams] of table) {
    deepStrictEqual(planBursts(datagrams, intervalMs), { bursts, burstDatagrams, gapMs: 1 });
  }
});

Deno.test("planBursts always covers every datagram within the allowed spread", () => {
  for (let datagrams = 1; datagrams < 2000; datagrams += 7) {
    for (const intervalMs of [1, 8, 16.7, 33.3, 100]) {
      const plan = planBursts(datagrams, intervalMs);
      ok(plan.bursts * plan.burstDatagrams >= datagrams);
      ok((plan.bursts - 1) * plan.burstDatagrams < datagrams, "no empty burst");
      const spread = (plan.bursts - 1) * plan.gapMs;
      ok(
        spread <= Math.max(0, intervalMs * DEFAULT_PACING.maxSpreadShare),
        `${datagrams}@${intervalMs}`,
      );
    }
  }
});
