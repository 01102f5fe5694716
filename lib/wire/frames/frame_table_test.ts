import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  type Admission,
  type FollowResult,
  type FrameEntry,
  FrameTable,
  type FrameTableOptions,
  MAX_REMEMBERED_SOURCES,
  RESYNC_AFTER_MS,
  RESYNC_AFTER_STALE_DATAGRAMS,
} from "./frame_table.ts";
import { seqIsNewer } from "./serial.ts";
import { Prng } from "../../netsim/mod.ts";

const OPTIONS: FrameTableOptions = {
  maxFramesInFlight: 3,
  maxBytesInFlight: 1000,
  frameTimeoutMs: 100,
  sourceIdleMs: 500,
  lockedSourceId: null,
  followNewest: false,
  maxJumpIds: 1000,
};

type Reason = "superseded" | "expired" | "evicted" | "jump" | "switch" | "bad";

function makeTable(options: Partial<FrameTableOptions> = {}) {
  const frameDrops = { superseded: 0, expired: 0, evicted: 0, jump: 0, switch: 0, bad: 0 };
  const released: [number, Reason | null][] = [];
  const table = new FrameTable<{ name: string }, Reason>({ ...OPTIONS, ...options }, {
    frameDrops,
    switchReason: "switch",
    onRelease: (entry, reason) => released.push([entry.id, reason]),
  });
  /** Opens frame `id` holding `bytes`, or returns null as the table does. */
  const open = (id: number, bytes = 100, nowMs = 0) => {
    const entry = table.open(id, nowMs, bytes, () => ({ name: `frame ${id}` }));
    if (entry !== null) table.hold(entry, bytes);
    return entry;
  };
  const ids = () => [...table.entries()].map((entry) => entry.id);
  return { table, frameDrops, released, open, ids };
}

Deno.test("follow: lock, idle takeover and followNewest decide who is followed (table)", () => {
  // Each step: [source, nowMs, expected result].
  const cases: {
    name: string;
    options: Partial<FrameTableOptions>;
    steps: [number, number, FollowResult][];
  }[] = [
    {
      name: "the first source is followed; another waits until it is silent",
      options: {},
      steps: [[1, 0, "first"], [1, 10, "same"], [2, 100, "refused"], [2, 509, "refused"], [
        2,
        510,
        "switched",
      ], [1, 520, "refused"]],
    },
    {
      name: "a lock refuses every other source, even when the locked one is silent",
      options: { lockedSourceId: 7 },
      steps: [[1, 0, "refused"], [7, 1, "first"], [2, 5000, "refused"], [7, 5001, "same"]],
    },
    {
      name: "followNewest: a never-seen source takes over at once, a seen one does not",
      options: { followNewest: true },
      steps: [[1, 0, "first"], [2, 1, "switched"], [1, 2, "refused"], [3, 3, "switched"], [
        2,
        4,
        "refused",
      ], [2, 503, "switched"]],
    },
  ];
  for (const { name, options, steps } of cases) {
    const { table } = makeTable(options);
    const got = steps.map(([source, nowMs]) => table.follow(source, nowMs));
    deepStrictEqual(got, steps.map(([, , result]) => result), name);
  }
});

Deno.test("follow: a refused datagram does not keep the followed source alive", () => {
  const { table } = makeTable();
  table.follow(1, 0);
  equal(table.follow(2, 400), "refused");
  // Source 1 was last seen at 0, whatever source 2 did since.
  equal(table.follow(2, 500), "switched");
});

Deno.test("followNewest remembers at most MAX_REMEMBERED_SOURCES sources, oldest forgotten", () => {
  const { table } = makeTable({ followNewest: true });
  for (let source = 1; source <= MAX_REMEMBERED_SOURCES + 1; source++) {
    equal(table.follow(source, source), source === 1 ? "first" : "switched");
  }
  // Source 1 was forgotten: it counts as new again; source 2 is still remembered.
  equal(table.follow(2, 100), "refused");
  equal(table.follow(1, 101), "switched");
});

Deno.test("a switch or restart drops every frame in flight and forgets the last emitted", () => {
  for (const how of ["switch", "restart"] as const) {
    const { table, frameDrops, open, released } = makeTable();
    table.follow(1, 0);
    table.complete(open(5)!);
    open(6);
    open(7);
    equal(table.isStale(5), true);
    if (how === "switch") equal(table.follow(2, 600), "switched");
    else table.restart();
    equal(table.framesInFlight, 0, how);
    equal(table.bytesInFlight, 0, how);
    equal(frameDrops.switch, 2, how);
    equal(table.lastEmittedId, null, how);
    equal(table.isStale(5), false, `${how}: any frame id is new again`);
    deepStrictEqual(released, [[5, null], [6, "switch"], [7, "switch"]], how);
  }
});

Deno.test("isStale: latest wins, in serial arithmetic across the wrap (table)", () => {
  const cases: [number | null, number, boolean][] = [
    [null, 0, false], // nothing emitted yet
    [10, 10, true],
    [10, 9, true],
    [10, 11, false],
    [0xffff_ffff, 0, false], // wrapped: 0 follows 2^32 - 1
    [0, 0xffff_ffff, true],
  ];
  for (const [emitted, id, stale] of cases) {
    const { table, open } = makeTable();
    if (emitted !== null) table.complete(open(emitted)!);
    equal(table.isStale(id), stale, `emitted ${emitted}, id ${id}`);
  }
});

Deno.test("caps: the oldest frames are evicted for newer ones, never the other way", () => {
  const { table, frameDrops, open, ids } = makeTable();
  open(10);
  open(11);
  open(12);
  // A fourth frame evicts the oldest.
  ok(open(13) !== null);
  deepStrictEqual(ids(), [11, 12, 13]);
  equal(frameDrops.evicted, 1);
  // A frame older than all held does not fit: nothing is evicted for it, and no state is made.
  let made = false;
  equal(table.open(9, 0, 0, () => ({ name: `${made = true}` })), null);
  equal(made, false);
  deepStrictEqual(ids(), [11, 12, 13]);
  // Bytes: 800 more for frame 13 (300 held, 1000 allowed) evict the oldest, 11.
  const newest = table.get(13)!;
  ok(table.makeRoom(newest, 800));
  table.hold(newest, 800);
  deepStrictEqual(ids(), [12, 13]);
  equal(table.bytesInFlight, 1000);
  // Room that only evicting frame 13 itself would make: refused (older frames still go first).
  equal(table.makeRoom(newest, 101), false);
  deepStrictEqual(ids(), [13]);
  equal(table.bytesInFlight, 900);
  // A newer frame is never evicted for an older one.
  ok(open(14, 100) !== null);
  equal(table.makeRoom(newest, 1), false, "frame 14 is newer than 13");
  deepStrictEqual(ids(), [13, 14]);
  equal(table.bytesInFlight, 1000);
  table.free(newest, 800);
  equal(table.bytesInFlight, 200);
  equal(newest.bytes, 100);
});

Deno.test("complete: the frame leaves and supersedes older frames, not newer ones", () => {
  const { table, frameDrops, open, ids, released } = makeTable();
  open(1);
  open(3);
  const two = open(2)!;
  table.complete(two);
  deepStrictEqual(ids(), [3]);
  equal(frameDrops.superseded, 1);
  equal(table.lastEmittedId, 2);
  equal(table.bytesInFlight, 100);
  deepStrictEqual(released, [[1, "superseded"], [2, null]]);
});

Deno.test("expire: frames go at frameTimeoutMs after they were opened", () => {
  const { table, frameDrops, open, ids } = makeTable();
  open(1, 100, 0);
  open(2, 100, 50);
  table.expire(99);
  deepStrictEqual(ids(), [1, 2]);
  table.expire(100);
  deepStrictEqual(ids(), [2]);
  table.expire(150);
  deepStrictEqual(ids(), []);
  equal(frameDrops.expired, 2);
  equal(table.bytesInFlight, 0);
});

Deno.test("discard counts the format's own reasons", () => {
  const { table, frameDrops, open, released } = makeTable();
  table.discard(open(4)!, "bad");
  equal(frameDrops.bad, 1);
  equal(table.framesInFlight, 0);
  deepStrictEqual(released, [[4, "bad"]]);
});

Deno.test("property: random use keeps the caps, the byte sum and the accounting identity", () => {
  for (let seed = 1; seed <= 50; seed++) {
    const prng = new Prng(seed);
    const maxFramesInFlight = prng.int(1, 6);
    const maxBytesInFlight = prng.int(100, 5000);
    const { table, frameDrops, released } = makeTable({
      followNewest: seed % 2 === 0,
      maxFramesInFlight,
      maxBytesInFlight,
    });
    let opened = 0;
    let completed = 0;
    let nowMs = 0;
    let base = prng.int(0, 1) === 0 ? 0xffff_fff0 : prng.int(0, 1000);
    const live = new Map<number, FrameEntry<{ name: string }>>();
    for (let step = 0; step < 400; step++) {
      nowMs += prng.int(0, 30);
      const source = prng.int(1, 3);
      if (table.follow(source, nowMs) === "refused") continue;
      const id = (base + prng.int(-3, 8)) >>> 0;
      if (prng.next() < 0.1) base = (base + 1) >>> 0;
      const roll = prng.next();
      if (roll < 0.05) table.expire(nowMs);
      if (table.isStale(id)) continue;
      let entry = table.get(id) ?? null;
      if (entry === null) {
        entry = table.open(id, nowMs, 0, () => ({ name: "" }));
        if (entry === null) continue;
        opened++;
      }
      const bytes = prng.int(0, 400);
      if (table.makeRoom(entry, bytes)) table.hold(entry, bytes);
      if (roll > 0.8 && table.get(id) === entry) {
        table.complete(entry);
        completed++;
      }
      live.clear();
      for (const held of table.entries()) live.set(held.id, held);
      const held = [...live.values()].reduce((sum, e) => sum + e.bytes, 0);
      equal(table.bytesInFlight, held, `seed ${seed}: bytes in flight is the sum held`);
      ok(table.framesInFlight <= maxFramesInFlight, `seed ${seed}: frames`);
      ok(table.bytesInFlight <= maxBytesInFlight, `seed ${seed}: bytes`);
      const last = table.lastEmittedId;
      for (const id of live.keys()) {
        ok(last === null || seqIsNewer(id, last), `seed ${seed}: a stale frame is held`);
      }
    }
    const dropped = Object.values(frameDrops).reduce((a, b) => a + b, 0);
    equal(opened, table.framesInFlight + completed + dropped, `seed ${seed}: identity`);
    equal(released.length, completed + dropped, `seed ${seed}: every release reported`);
  }
});

Deno.test("jumps: a frame far ahead is held back until the stream goes on from it (table)", () => {
  // Each case: frames completed in order after frame 100 was emitted; which were emitted.
  const cases: { name: string; ids: number[]; emitted: number[]; jumps: number }[] = [
    { name: "within maxJumpIds: at once", ids: [1100], emitted: [1100], jumps: 0 },
    { name: "one frame far ahead: held", ids: [1101], emitted: [], jumps: 1 },
    { name: "the stream goes on from it", ids: [5000, 5001], emitted: [5001], jumps: 1 },
    { name: "... up to maxJumpIds after it", ids: [5000, 6000], emitted: [6000], jumps: 1 },
    { name: "too far after it: a new jump", ids: [5000, 6001], emitted: [], jumps: 2 },
    { name: "older than the jump: a new jump", ids: [5000, 4999], emitted: [], jumps: 2 },
    {
      name: "the real stream goes on: the jump is forgotten",
      ids: [5000, 101, 5001],
      emitted: [101],
      jumps: 2,
    },
    {
      name: "2^31 - 1 ahead, the farthest serial arithmetic allows",
      ids: [(100 + 0x7fff_ffff) >>> 0, 101],
      emitted: [101],
      jumps: 1,
    },
  ];
  for (const { name, ids, emitted, jumps } of cases) {
    const { table, frameDrops, open } = makeTable({ maxFramesInFlight: 8 });
    table.follow(1, 0);
    table.complete(open(100)!);
    const got = ids.filter((id) => table.admit(id, 0) === "fresh" && table.complete(open(id)!));
    deepStrictEqual(got, emitted, name);
    equal(frameDrops.jump, jumps, name);
    equal(table.framesInFlight, 0, name);
  }
});

Deno.test("a held jump supersedes nothing: the frames of the real stream stay in flight", () => {
  const { table, open, ids } = makeTable();
  table.follow(1, 0);
  table.complete(open(100)!);
  open(101);
  equal(table.complete(open(1_000_000)!), false);
  deepStrictEqual(ids(), [101]);
  equal(table.lastEmittedId, 100);
});

Deno.test("resync: datagrams far behind for a while, with no frame emitted, start over (table)", () => {
  // Steps after frame 100_000 was emitted: [id, nowMs, expected admission].
  const far = 100_000 - 1001;
  const steps: [number, number, Admission][] = [
    [99_000, 0, "stale"], // 1000 behind: late, not far
    ...Array.from(
      { length: RESYNC_AFTER_STALE_DATAGRAMS - 1 },
      (_, i): [number, number, Admission] => [far, i, "stale"],
    ),
    [far, RESYNC_AFTER_MS - 1, "stale"], // enough datagrams, not yet for long enough
    [far, RESYNC_AFTER_MS, "resynced"],
    [far + 1, RESYNC_AFTER_MS, "fresh"], // nothing emitted since the resync
  ];
  const { table, frameDrops, open } = makeTable();
  table.follow(1, 0);
  table.complete(open(100_000)!);
  open(100_001);
  const got = steps.map(([id, nowMs]) => table.admit(id, nowMs));
  deepStrictEqual(got, steps.map(([, , admission]) => admission));
  equal(frameDrops.switch, 1, "the frame in flight went with the resync");
  equal(table.lastEmittedId, null);
});

Deno.test("resync: a gap, or a frame emitted, starts the count over", () => {
  for (const interrupt of ["gap", "emitted"] as const) {
    const { table, open } = makeTable();
    table.follow(1, 0);
    table.complete(open(100_000)!);
    let now = 0;
    for (let i = 0; i < RESYNC_AFTER_STALE_DATAGRAMS; i++) {
      equal(table.admit(10, now), "stale", interrupt);
      now += 5;
    }
    if (interrupt === "gap") now += RESYNC_AFTER_MS;
    else table.complete(open(100_001)!);
    // As many again, spanning RESYNC_AFTER_MS - 1: not a resync, counted from the interruption.
    const results = new Set<Admission>();
    for (let i = 0; i < RESYNC_AFTER_STALE_DATAGRAMS; i++) {
      results.add(table.admit(10, now + (i * (RESYNC_AFTER_MS - 1)) / 15));
    }
    deepStrictEqual([...results], ["stale"], interrupt);
    equal(table.admit(10, now + RESYNC_AFTER_MS), "resynced", interrupt);
  }
});

Deno.test("eviction for a new frame: the one holding the fewest bytes among those it may evict (table)", () => {
  // Frames in flight [id, bytes held] (room for 3), the new frame [id, bytes], what goes.
  const cases: {
    name: string;
    held: [number, number][];
    open: [number, number];
    evicted: number | null;
  }[] = [
    {
      name: "the newest frame evicts the least held of the older ones",
      held: [[10, 500], [11, 100], [12, 300]],
      open: [13, 200],
      evicted: 11,
    },
    {
      name: "ties: the oldest",
      held: [[10, 100], [11, 100], [12, 100]],
      open: [13, 100],
      evicted: 10,
    },
    {
      name: "a frame holding next to nothing evicts only frames holding as little",
      held: [[10, 1426], [20, 258], [30, 258]],
      open: [25, 258],
      evicted: 20,
    },
    {
      name: "... never the real frame, even when it is the only older one",
      held: [[10, 1426], [30, 258], [40, 258]],
      open: [20, 258],
      evicted: null,
    },
    {
      name: "a real first fragment evicts a tiny frame, even a newer one",
      held: [[20, 258], [30, 258], [40, 258]],
      open: [11, 1426],
      evicted: 20,
    },
    {
      name: "an older frame holding as much pushes out no newer one",
      held: [[17, 570], [18, 570], [19, 570]],
      open: [5, 100],
      evicted: null,
    },
  ];
  for (const { name, held, open: [id, bytes], evicted } of cases) {
    const { table, open, ids } = makeTable({ maxBytesInFlight: 1 << 20 });
    table.follow(1, 0);
    for (const [heldId, heldBytes] of held) open(heldId, heldBytes);
    const before = ids();
    const entry = table.open(id, 0, bytes, () => ({ name }));
    if (evicted === null) {
      equal(entry, null, name);
      deepStrictEqual(ids(), before, name);
    } else {
      ok(entry !== null, name);
      deepStrictEqual(ids(), [...before.filter((other) => other !== evicted), id], name);
    }
  }
});
