import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { ReplyTarget } from "./reply_target.ts";
import { Prng } from "../netsim/mod.ts";

const SENDER = { hostname: "127.0.0.1", port: 40000 };
const FORGER = { hostname: "127.0.0.2", port: 40000 };

Deno.test("ReplyTarget: who the source is after each datagram (table)", () => {
  const table: {
    name: string;
    steps: [from: typeof SENDER, streamId: number | null, nowMs: number][];
    source: typeof SENDER;
    counters: { sourceChanges: number; fromOtherSources: number };
  }[] = [
    {
      name: "the first datagram establishes the source",
      steps: [[SENDER, 7, 0]],
      source: SENDER,
      counters: { sourceChanges: 1, fromOtherSources: 0 },
    },
    {
      name: "a forger on the same stream while the sender is live: ignored, counted",
      steps: [[SENDER, 7, 0], [FORGER, 7, 5], [SENDER, 7, 1500], [FORGER, 7, 3000]],
      source: SENDER,
      counters: { sourceChanges: 1, fromOtherSources: 2 },
    },
    {
      name: "another address takes over after 2 s of the source's silence",
      steps: [[SENDER, 7, 0], [FORGER, 7, 2001]],
      source: FORGER,
      counters: { sourceChanges: 2, fromOtherSources: 0 },
    },
    {
      name: "another followed stream names its own source at once",
      steps: [[SENDER, 7, 0], [FORGER, 8, 10]],
      source: FORGER,
      counters: { sourceChanges: 2, fromOtherSources: 0 },
    },
    {
      name: "the IPv4-mapped form of the source is the source",
      steps: [[SENDER, 7, 0], [{ hostname: "::ffff:127.0.0.1", port: 40000 }, 7, 5]],
      source: SENDER,
      counters: { sourceChanges: 1, fromOtherSources: 0 },
    },
    {
      name: "another port of the same host is another source",
      steps: [[SENDER, 7, 0], [{ hostname: "127.0.0.1", port: 40001 }, 7, 5]],
      source: SENDER,
      counters: { sourceChanges: 1, fromOtherSources: 1 },
    },
  ];
  for (const row of table) {
    const target = new ReplyTarget();
    for (const [from, streamId, nowMs] of row.steps) target.observe(from, streamId, nowMs);
    deepStrictEqual(target.address, row.source, row.name);
    const { sourceChanges, fromOtherSources } = target.counters;
    deepStrictEqual({ sourceChanges, fromOtherSources }, row.counters, row.name);
  }
});

Deno.test("ReplyTarget: no source, no address", () => {
  equal(new ReplyTarget().address, null);
});

Deno.test("ReplyTarget fuzz: replies within rate × time + burst, every refusal counted", () => {
  const prng = new Prng(9);
  const target = new ReplyTarget({ perSecond: 200, burst: 50 });
  let nowMs = 0;
  let taken = 0;
  let asked = 0;
  for (let i = 0; i < 20_000; i++) {
    nowMs += prng.int(0, 3);
    asked++;
    if (target.take(nowMs)) taken++;
    ok(taken <= 50 + (nowMs * 200) / 1000, `at ${nowMs} ms: ${taken} replies`);
  }
  equal(taken + target.counters.repliesLimited, asked);
  ok(target.counters.repliesLimited > 0);
  ok(taken >= (nowMs * 200) / 1000 - 1, "the rate is actually available");
});
