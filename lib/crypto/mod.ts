/**
 * Sealed datagrams (`--key`): AES-256-GCM per datagram under session keys derived from one root
 * key per run, the opener that finds real sessions among forged salts, and the replay window.
 *
 * @module
 */

export { DatagramOpener, DEFAULT_MAX_CLOCK_SKEW_MS } from "./datagram_opener.ts";
export type { OpenClock, OpenerOptions, OpenFailure, OpenResult } from "./datagram_opener.ts";
export { DatagramSealer, SEAL_OVERHEAD_BYTES } from "./datagram_seal.ts";
export { KDF_ITERATIONS, RootKey } from "./seal_key.ts";
export type { SealSecret } from "./seal_key.ts";
export { SEAL_VERSION } from "./session_id.ts";
