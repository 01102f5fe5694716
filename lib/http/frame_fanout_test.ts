import { deepStrictEqual, equal, rejects } from "node:assert/strict";
import { type FanoutViewer, FrameFanout } from "./frame_fanout.ts";
import { Prng } from "../netsim/mod.ts";

Deno.test("FrameFanout: a new viewer starts with the newest frame, a waiting one gets the next", async () => {
  const fanout = new FrameFanout<string>(4);
  const early = fanout.join()!;
  const pending = early.next();
  equal(early.waiting, true);
  fanout.publish("a");
  equal(await pending, "a");
  fanout.publish("b");
  fanout.publish("c");
  const late = fanout.join()!;
  equal(await late.next(), "c");
  deepStrictEqual(late.counters, { sent: 1, skipped: 0 });
  equal(await early.next(), "c");
  deepStrictEqual(early.counters, { sent: 2, skipped: 1 });
  deepStrictEqual(fanout.counters, { published: 3, joined: 2, refused: 0, sent: 3, skipped: 1 });
});

Deno.test("FrameFanout: a busy viewer's skipped frames count at once, and freeze when it leaves", () => {
  const fanout = new FrameFanout<number>(2);
  const stuck = fanout.join()!;
  for (let i = 1; i <= 10; i++) fanout.publish(i);
  deepStrictEqual(stuck.counters, { sent: 0, skipped: 9 });
  stuck.close();
  fanout.publish(11);
  deepStrictEqual(stuck.counters, { sent: 0, skipped: 9 });
  equal(fanout.counters.skipped, 9);
  equal(fanout.viewerCount, 0);
});

Deno.test("FrameFanout: the cap refuses joins; leaving and closing release waiters", async () => {
  const fanout = new FrameFanout<number>(2);
  const a = fanout.join()!;
  const b = fanout.join()!;
  equal(fanout.join(), null);
  equal(fanout.counters.refused, 1);
  const aNext = a.next();
  a.close();
  equal(await aNext, undefined);
  equal(await a.next(), undefined);
  equal(fanout.viewerCount, 1);
  const c = fanout.join()!;
  const bNext = b.next();
  const cNext = c.next();
  fanout.close();
  deepStrictEqual([await bNext, await cNext], [undefined, undefined]);
  equal(fanout.viewerCount, 0);
  equal(fanout.join(), null);
});

Deno.test("FrameFanout: one next() at a time", async () => {
  const fanout = new FrameFanout<number>(1);
  const viewer = fanout.join()!;
  const first = viewer.next();
  await rejects(async () => await viewer.next(), /one next\(\) at a time/);
  fanout.publish(1);
  equal(await first, 1);
});

Deno.test("FrameFanout: seeded random schedules keep every viewer in order and accounted", async () => {
  for (let seed = 1; seed <= 30; seed++) {
    const prng = new Prng(seed);
    const fanout = new FrameFanout<number>(5);
    interface Seen {
      viewer: FanoutViewer<number>;
      firstAvailable: number;
      got: number[];
      pending: boolean;
    }
    const seen: Seen[] = [];
    let published = 0;
    for (let step = 0; step < 400; step++) {
      const action = prng.int(0, 9);
      if (action < 4) {
        fanout.publish(++published);
        // Waiting viewers must have the frame handed over synchronously in publish.
        for (const s of seen) {
          if (s.pending && !s.viewer.closed) equal(s.viewer.waiting, false, `seed ${seed}`);
        }
      } else if (action < 5) {
        const viewer = fanout.join();
        if (viewer) {
          seen.push({ viewer, firstAvailable: Math.max(1, published), got: [], pending: false });
        } else equal(fanout.viewerCount, 5);
      } else if (action < 6 && seen.length > 0) {
        prng.shuffle(seen)[0].viewer.close();
      } else if (seen.length > 0) {
        const s = seen[prng.int(0, seen.length - 1)];
        if (!s.pending && !s.viewer.closed) {
          s.pending = true;
          s.viewer.next().then((item) => {
            s.pending = false;
            if (item !== undefined) s.got.push(item);
          });
        }
      }
      await Promise.resolve();
    }
    fanout.close();
    await new Promise((resolve) => setTimeout(resolve, 0));
    let sentTotal = 0;
    let skippedTotal = 0;
    for (const s of seen) {
      const { sent, skipped } = s.viewer.counters;
      equal(sent, s.got.length, `seed ${seed}`);
      for (let i = 1; i < s.got.length; i++) equal(s.got[i] > s.got[i - 1], true, `seed ${seed}`);
      if (s.got.length > 0) {
        equal(s.got[0] >= s.firstAvailable, true, `seed ${seed}`);
        // Every frame from the first one offered to the last one taken was either sent or skipped.
        equal(
          sent + skipped >= s.got[s.got.length - 1] - s.firstAvailable + 1,
          true,
          `seed ${seed}`,
        );
      }
      sentTotal += sent;
      skippedTotal += skipped;
    }
    deepStrictEqual(
      [fanout.counters.sent, fanout.counters.skipped, fanout.counters.published],
      [sentTotal, skippedTotal, published],
      `seed ${seed}`,
    );
  }
});
