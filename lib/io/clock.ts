/**
 * The wall clock, read in one place: capture and completion times travel between machines as µs
 * since the Unix epoch.
 *
 * @module
 */

/** Microseconds since the Unix epoch, with sub-millisecond precision. */
export function epochMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
