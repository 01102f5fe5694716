/**
 * The `--http-token` check: the token travels as `?token=` in every URL of the HTTP viewer and is
 * compared in constant time, so response timing does not reveal how much of a guess was right.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * True when `given` equals `expected`. The time taken depends only on the lengths, never on where
 * the strings first differ. A null `given` (no token in the URL) never matches.
 */
export function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  const length = Math.max(a.length, b.length);
  let difference = a.length ^ b.length;
  for (let i = 0; i < length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

/** Checks a `--http-token` value; returns an error message or null when it is usable. */
export function validateHttpToken(token: string): string | null {
  if (token.length === 0) return "the token is empty";
  if (token.length > 256) return "the token is longer than 256 characters";
  if (!/^[\x21-\x7e]+$/.test(token)) {
    return "the token must be printable ASCII without spaces";
  }
  return null;
}
