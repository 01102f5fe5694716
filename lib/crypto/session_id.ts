/**
 * The 16-byte session id every sealed datagram carries after its clear header (the HKDF salt of
 * its session key, lib/crypto/seal_key.ts). It says which seal format made it and when its
 * session started, both authenticated (the id is associated data of every datagram):
 *
 * ```text
 * byte 0       seal version: 2 (the format of docs/protocol.md "Sealed datagrams")
 * bytes 1-6    session start: ms since the Unix epoch on the sealer's clock, u48 big-endian
 * bytes 7-15   random (72 bits): two sessions share a key only if they started in the same ms
 *              and drew the same 72 bits
 * ```
 *
 * The start orders sessions: an opener takes a new session only if it started later than the one
 * it follows (lib/crypto/datagram_opener.ts), so a recording of an older session cannot displace
 * a live one. Ids of the first seal format (before version 2) were 16 random bytes: their first
 * byte is 2 one time in 256, and such an id's "start" is a random date, so it is refused as not
 * fresh or fails authentication (the key schedule changed too).
 *
 * @module
 */

/** The seal format this code writes and reads (byte 0 of the session id). */
export const SEAL_VERSION = 2;
/** Bytes of a session id. */
export const SESSION_ID_BYTES = 16;
/** Random bytes at the end of a session id. */
const RANDOM_BYTES = 9;
/** Largest start a session id can carry (2^48 ms: the year 10889). */
const MAX_START_MS = 2 ** 48 - 1;

/**
 * A session id for a session starting at `startMs`, with 9 random bytes (or `random`, for
 * tests).
 *
 * @example An id carries its version and start
 * ```ts
 * import { newSessionId, SEAL_VERSION, sessionStartMs } from "./session_id.ts";
 *
 * const id = newSessionId(1_700_000_000_000);
 * if (id[0] !== SEAL_VERSION || sessionStartMs(id) !== 1_700_000_000_000) throw new Error("bad id");
 * ```
 */
export function newSessionId(startMs: number, random?: Uint8Array): Uint8Array {
  if (!Number.isInteger(startMs) || startMs < 0 || startMs > MAX_START_MS) {
    throw new RangeError(`Cannot start a sealed session: start ${startMs} ms is not a valid time`);
  }
  const tail = random ?? crypto.getRandomValues(new Uint8Array(RANDOM_BYTES));
  if (tail.length !== RANDOM_BYTES) {
    throw new RangeError(
      `Cannot start a sealed session: the random part must be ${RANDOM_BYTES} bytes`,
    );
  }
  const id = new Uint8Array(SESSION_ID_BYTES);
  id[0] = SEAL_VERSION;
  const view = new DataView(id.buffer);
  view.setUint16(1, Math.floor(startMs / 2 ** 32));
  view.setUint32(3, startMs % 2 ** 32);
  id.set(tail, 1 + 6);
  return id;
}

/** The seal version of session id `id` (its first byte). */
export function sessionVersion(id: Uint8Array): number {
  return id[0];
}

/** The start of the session `id` names, ms since the Unix epoch on its sealer's clock. */
export function sessionStartMs(id: Uint8Array): number {
  const view = new DataView(id.buffer, id.byteOffset, SESSION_ID_BYTES);
  return view.getUint16(1) * 2 ** 32 + view.getUint32(3);
}
