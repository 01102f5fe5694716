import assert from "node:assert/strict";
import { exposedGc, HEAP_COLLECT_EVERY_MS, HeapCollector } from "./heap_collector.ts";

Deno.test("HeapCollector collects at most once per interval, counted from the start", () => {
  let calls = 0;
  const collector = new HeapCollector({ nowMs: 1000, everyMs: 100, collect: () => calls++ });
  assert.equal(collector.enabled, true);
  // [call at ms, collects?]
  const table: [number, boolean][] = [
    [1000, false], // at the start
    [1099, false], // 1 ms short of the interval
    [1100, true], // a full interval since the start
    [1150, false], // half an interval since that collection
    [1199, false],
    [1200, true], // measured from the last collection, not from the start
    [5000, true], // a long gap gives one collection, not one per missed interval
    [5001, false],
  ];
  for (const [nowMs, collects] of table) {
    assert.equal(collector.betweenFrames(nowMs), collects, `at ${nowMs} ms`);
  }
  assert.equal(calls, 3);
  assert.equal(collector.collections, 3);
  assert.ok(collector.lastPauseMs !== null && collector.lastPauseMs >= 0);
});

Deno.test("HeapCollector without a collector never collects", () => {
  const collector = new HeapCollector({ nowMs: 0, collect: null });
  assert.equal(collector.enabled, false);
  assert.equal(collector.betweenFrames(HEAP_COLLECT_EVERY_MS * 10), false);
  assert.equal(collector.collections, 0);
  assert.equal(collector.lastPauseMs, null);
});

Deno.test("exposedGc is null when V8's gc() is not exposed (deno test runs without it)", () => {
  assert.equal(exposedGc(), null);
  assert.equal(new HeapCollector({ nowMs: 0 }).enabled, false);
});

/**
 * Real V8 in a child process: an object that only a WeakRef points to survives while nothing
 * collects, and is gone after the collector's full collection. With `--expose-gc` the collector
 * must find V8's gc(); without it, the same script must report it disabled and the object alive.
 */
async function runCollectorScript(v8Flags: string[]): Promise<Record<string, unknown>> {
  const url = new URL("./heap_collector.ts", import.meta.url).href;
  const script = `
    import { HeapCollector } from ${JSON.stringify(url)};
    const collector = new HeapCollector({ nowMs: 0, everyMs: 1000 });
    let target = { payload: new Array(1000).fill(7) };
    const ref = new WeakRef(target);
    target = null;
    // A WeakRef keeps its target to the end of any job that made or read it, so making, reading
    // and collecting each get a task of their own.
    const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
    await nextTask();
    const aliveBefore = ref.deref() !== undefined;
    await nextTask();
    const early = collector.betweenFrames(999);
    const collected = collector.betweenFrames(1000);
    await nextTask();
    console.log(JSON.stringify({
      enabled: collector.enabled,
      early,
      aliveBefore,
      collected,
      aliveAfter: ref.deref() !== undefined,
      collections: collector.collections,
    }));
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", ...v8Flags, script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `the child failed: ${stderr}`);
  return JSON.parse(new TextDecoder().decode(output.stdout).trim());
}

Deno.test("HeapCollector runs a real full collection with --expose-gc", async () => {
  const withGc = await runCollectorScript(["--v8-flags=--expose-gc"]);
  assert.deepEqual(withGc, {
    enabled: true,
    early: false,
    aliveBefore: true,
    collected: true,
    aliveAfter: false,
    collections: 1,
  });
  // The control: the same script without the flag collects nothing, and the object lives on.
  const withoutGc = await runCollectorScript([]);
  assert.deepEqual(withoutGc, {
    enabled: false,
    early: false,
    aliveBefore: true,
    collected: false,
    aliveAfter: true,
    collections: 0,
  });
});
