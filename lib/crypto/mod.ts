/**
 * Sealed datagrams (`--key`): AES-256-GCM per datagram with a key derived from a passphrase, and
 * the replay window.
 *
 * @module
 */

export { DatagramOpener, DatagramSealer, SEAL_OVERHEAD_BYTES } from "./datagram_seal.ts";
export type { SealSecret } from "./datagram_seal.ts";
