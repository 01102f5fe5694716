/**
 * Full garbage collections between frames, so a receiver's memory stays flat over a long run.
 *
 * Why: in a steady stream a few objects per second outlive two young-generation collections and
 * move to V8's old generation, where they wait for a full collection; ArrayBuffers among them hold
 * their bytes in malloc'd memory until then. V8 starts that collection late for a quiet heap: in a
 * minute of 1080p30 the receive worker had none (the main thread one, from V8's memory reducer), so
 * RSS rose for minutes before levelling off. A collection of these small heaps takes a few ms;
 * done right after a frame went out, it delays no frame at 30 fps. The figures (RSS with and
 * without, pause per collection) are in docs/benchmarks.md, "Soak" and "Figures behind design
 * choices".
 *
 * V8 offers `gc()` only with `--v8-flags=--expose-gc`, which the `send`/`recv` tasks and the
 * compiled binaries pass (tools/permissions.ts `V8_FLAGS`). Run without it, the collector does
 * nothing and V8 collects on its own schedule.
 *
 * @module
 */

/** Least time between two collections. */
export const HEAP_COLLECT_EVERY_MS = 20_000;

/** Runs a full, synchronous garbage collection of the calling isolate. */
export type CollectGarbage = () => void;

/** V8's `gc()` when the runtime exposes it (`--v8-flags=--expose-gc`), else null. */
export function exposedGc(): CollectGarbage | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== "function") return null;
  return () => (gc as () => void)();
}

/** How a {@linkcode HeapCollector} runs. */
export interface HeapCollectorOptions {
  /** When the collector starts, in ms on the clock later calls use. */
  nowMs: number;
  /** Least time between two collections (default {@linkcode HEAP_COLLECT_EVERY_MS}). */
  everyMs?: number;
  /** What collects (default {@linkcode exposedGc}); null: never collect. */
  collect?: CollectGarbage | null;
}

/** Collects garbage at most once per `everyMs`, when told a frame has just gone out. */
export class HeapCollector {
  readonly #collect: CollectGarbage | null;
  readonly #everyMs: number;
  #lastMs: number;
  #collections = 0;
  #lastPauseMs: number | null = null;

  /**
   * Makes a collector that has not collected yet.
   *
   * @param options Start time, interval and collector.
   */
  constructor(options: HeapCollectorOptions) {
    this.#collect = options.collect === undefined ? exposedGc() : options.collect;
    this.#everyMs = options.everyMs ?? HEAP_COLLECT_EVERY_MS;
    this.#lastMs = options.nowMs;
  }

  /** Whether this collector can collect at all (false without `--expose-gc`). */
  get enabled(): boolean {
    return this.#collect !== null;
  }

  /** Collections run so far. */
  get collections(): number {
    return this.#collections;
  }

  /** How long the last collection blocked the thread, in ms; null before the first. */
  get lastPauseMs(): number | null {
    return this.#lastPauseMs;
  }

  /**
   * Call when a frame has just been handed on (the quietest moment of a stream). Collects when
   * `everyMs` has passed since the last collection or the start; returns whether it did.
   */
  betweenFrames(nowMs: number): boolean {
    if (this.#collect === null || nowMs - this.#lastMs < this.#everyMs) return false;
    const startMs = performance.now();
    this.#collect();
    this.#lastPauseMs = performance.now() - startMs;
    this.#collections++;
    this.#lastMs = nowMs;
    return true;
  }
}
