/**
 * The receiver's memory figures for `--stats-json`: the process's resident memory and both
 * threads' V8 heaps.
 *
 * @module
 */

import type { MemoryReport } from "../stats/mod.ts";

/** Bytes in MB rounded to 0.1 MB (1 MB = 2^20 bytes; 104857.6 bytes = 0.1 MB). */
export function megabytes(bytes: number): number {
  return Math.round(bytes / 104857.6) / 10;
}

/**
 * This process's resident memory and the main thread's V8 heap, from `Deno.memoryUsage()`, with
 * the receive worker's heap (which the worker reports, `workerHeapUsedBytes`), in MB.
 */
export function memoryMB(workerHeapUsedBytes: number): MemoryReport {
  const usage = Deno.memoryUsage();
  return {
    rss: megabytes(usage.rss),
    heapUsed: megabytes(usage.heapUsed),
    external: megabytes(usage.external),
    workerHeapUsed: megabytes(workerHeapUsedBytes),
  };
}
