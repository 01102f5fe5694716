import { deepStrictEqual, ok } from "node:assert/strict";
import { DEFAULT_PACING, planBursts, planPacedBursts } from "./pacing.ts";

const MBIT = 1_000_000;

Deno.test("planBursts sends what fits the receive buffer at once and splits the rest evenly", () => {
  const table: [
    datagrams: number,
    datagramBytes: number,
    intervalMs: number,
    bursts: number,
    burstDatagrams: number,
  ][] = [
    [1, 1200, 33.3, 1, 1],
    [37, 1200, 33.3, 1, 37], // 720p30: one burst, no gap
    [80, 1200, 33.3, 1, 80], // 96,000 bytes: the largest single burst
    [81, 1200, 33.3, 2, 41], // even halves, not 80 + 1
    [90, 1200, 33.3, 2, 45], // 1080p30 at quality 80
    [12, 9000, 33.3, 2, 6], // jumbo datagrams: 10 per burst
    [800, 1200, 33.3, 9, 89], // 9 bursts fit in 8.3 ms: bursts grow instead of delaying the frame
    [400, 1200, 4, 2, 200], // 250 fps: 1 ms of spread allows 2 bursts
    [5, 65507, 33.3, 5, 1], // a datagram bigger than the burst budget still goes, alone
  ];
  for (const [datagrams, bytes, intervalMs, bursts, burstDatagrams] of table) {
    deepStrictEqual(
      planBursts(datagrams, bytes, intervalMs),
      { bursts, burstDatagrams, gapMs: 1 },
      `${datagrams} x ${bytes} B every ${intervalMs} ms`,
    );
  }
});

Deno.test("planBursts always covers every datagram within the allowed spread", () => {
  for (let datagrams = 1; datagrams < 2000; datagrams += 7) {
    for (const bytes of [576, 1200, 9000, 65507]) {
      for (const intervalMs of [1, 8, 16.7, 33.3, 100]) {
        const plan = planBursts(datagrams, bytes, intervalMs);
        const label = `${datagrams} x ${bytes} B every ${intervalMs} ms`;
        ok(plan.bursts * plan.burstDatagrams >= datagrams, label);
        ok((plan.bursts - 1) * plan.burstDatagrams < datagrams, `no empty burst: ${label}`);
        const spread = (plan.bursts - 1) * plan.gapMs;
        ok(spread <= Math.max(0, intervalMs * DEFAULT_PACING.maxSpreadShare), label);
        // Over the byte budget only when the spread allows no more bursts.
        if (plan.burstDatagrams > 1 && plan.burstDatagrams * bytes > 96_000) {
          const fittingBursts = Math.floor(intervalMs * DEFAULT_PACING.maxSpreadShare) + 1;
          const budgetBursts = Math.ceil(datagrams / Math.max(1, Math.floor(96_000 / bytes)));
          ok(budgetBursts > fittingBursts, label);
        }
      }
    }
  }
});

Deno.test("pacing plans spread a frame at the pacing rate (table)", () => {
  const cases: [name: string, count: number, bytes: number, rateBps: number, plan: object][] = [
    // 10 Mbit/s = 1250 B/ms: two 1200-byte datagrams every 1.92 ms.
    ["10 Mbit/s", 40, 1200, 10 * MBIT, { burstDatagrams: 2, bursts: 20, gapMs: 1.92 }],
    // 100 Mbit/s = 12.5 kB/ms: 11 datagrams every 1.056 ms.
    ["100 Mbit/s", 40, 1200, 100 * MBIT, { burstDatagrams: 11, bursts: 4, gapMs: 1.06 }],
    // 1 Mbit/s: a datagram every 9.6 ms.
    ["1 Mbit/s", 3, 1200, 1 * MBIT, { burstDatagrams: 1, bursts: 3, gapMs: 9.6 }],
    ["unbounded", 100, 1200, Number.POSITIVE_INFINITY, { burstDatagrams: 80, bursts: 2, gapMs: 1 }],
    ["huge rate capped by the burst limit", 200, 1200, 10_000 * MBIT, {
      burstDatagrams: 80,
      bursts: 3,
      gapMs: 1,
    }],
  ];
  for (const [name, count, bytes, rate, plan] of cases) {
    const got = planPacedBursts(count, bytes, rate);
    deepStrictEqual({ ...got, gapMs: Math.round(got.gapMs * 100) / 100 }, plan, name);
  }
});
