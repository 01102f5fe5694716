/**
 * Drop-reason counter records: every drop reason of a depacketizer or path is a key that starts
 * at 0, so `--stats-json` always lists every reason.
 *
 * @module
 */

/** A counter record with every key of `keys` at 0 (depacketizers' drop reasons). */
export function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}
