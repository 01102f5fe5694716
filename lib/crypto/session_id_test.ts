import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { newSessionId, SEAL_VERSION, sessionStartMs, sessionVersion } from "./session_id.ts";

Deno.test("a session id: version, start (u48 ms), 9 random bytes (golden)", () => {
  const random = new Uint8Array([0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9]);
  const id = newSessionId(1_700_000_000_123, random);
  // deno-fmt-ignore
  deepStrictEqual(id, new Uint8Array([
    0x02,                               // seal version 2
    0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b, // start: 1,700,000,000,123 ms = 0x018bcfe5687b
    0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, // random
  ]));
  equal(sessionVersion(id), SEAL_VERSION);
  equal(sessionStartMs(id), 1_700_000_000_123);
  // Read in place, inside a datagram.
  const datagram = new Uint8Array(60);
  datagram.set(id, 30);
  equal(sessionStartMs(datagram.subarray(30, 46)), 1_700_000_000_123);
});

Deno.test("session ids: random tails differ; bad starts and tails are refused (table)", () => {
  const ids = new Set(Array.from({ length: 100 }, () => newSessionId(5).join(",")));
  equal(ids.size, 100);
  equal(sessionStartMs(newSessionId(2 ** 48 - 1)), 2 ** 48 - 1);
  for (const start of [-1, 1.5, 2 ** 48, NaN]) {
    throws(() => newSessionId(start), /not a valid time/, String(start));
  }
  throws(() => newSessionId(0, new Uint8Array(8)), /must be 9 bytes/);
});
