/**
 * The key schedule of sealed datagrams: one slow derivation per program run, from the shared key,
 * then one cheap derivation per session (a sender run, or a receiver's NACK session):
 *
 * ```text
 * root key    = PBKDF2-HMAC-SHA256(key bytes, salt = "udpcam seal v2", KDF_ITERATIONS) → 32 bytes
 * session key = HKDF-SHA256(root key, salt = the session's 16-byte id, info = "udpcam datagram key")
 *               → AES-256-GCM key
 * ```
 *
 * Why two steps: a receiver meets session ids it has never seen, from senders and from forgers
 * alike. With PBKDF2 per session (as before), each new id cost a slow derivation, so ids had to
 * be rationed and a flood of forged ids could keep the real one waiting; with HKDF per session a
 * new id costs about as much as opening one datagram, so the receiver can simply try it
 * (lib/crypto/datagram_opener.ts). PBKDF2's cost still stands between an eavesdropper and every
 * guess of the passphrase. Its salt is fixed (both sides must compute the root key before they
 * have exchanged anything): guesses can be computed once for every udpcam stream sealed under the
 * same passphrase, which is why a random key (`--key-file`) beats any passphrase.
 *
 * @module
 */

/**
 * PBKDF2 iterations of the root key: the OWASP Password Storage Cheat Sheet's figure for
 * PBKDF2-HMAC-SHA256. Both sides must use the same count (it is part of the seal format).
 */
export const KDF_ITERATIONS = 600_000;

/** PBKDF2's salt: fixed and versioned, so a change of schedule never meets an old root key. */
const ROOT_SALT = new TextEncoder().encode("udpcam seal v2");
/** HKDF's info: what the derived key is for. */
const SESSION_INFO = new TextEncoder().encode("udpcam datagram key");

/** The shared secret: key bytes, or a passphrase (its UTF-8 bytes). */
export type SealSecret = Uint8Array | string;

/**
 * The root key of one program run, from which every session key is derived. It never leaves
 * WebCrypto (not extractable).
 *
 * @example Two programs with the same passphrase derive the same session keys
 * ```ts
 * import { RootKey } from "./seal_key.ts";
 *
 * const iterations = 1000; // the programs use KDF_ITERATIONS
 * const sender = await RootKey.derive("correct horse battery staple", iterations);
 * const receiver = await RootKey.derive("correct horse battery staple", iterations);
 * const session = crypto.getRandomValues(new Uint8Array(16));
 * const iv = new Uint8Array(12);
 * const sealed = await crypto.subtle.encrypt(
 *   { name: "AES-GCM", iv },
 *   await sender.sessionKey(session),
 *   new Uint8Array([1, 2, 3]),
 * );
 * const opened = await crypto.subtle.decrypt(
 *   { name: "AES-GCM", iv },
 *   await receiver.sessionKey(session),
 *   sealed,
 * );
 * if (new Uint8Array(opened)[2] !== 3) throw new Error("the keys differ");
 * ```
 */
export class RootKey {
  readonly #hkdf: CryptoKey;

  private constructor(hkdf: CryptoKey) {
    this.#hkdf = hkdf;
  }

  /**
   * Derives the root key from `secret` with PBKDF2 (the slow step, once per run).
   *
   * @param secret The shared key bytes, or a passphrase.
   * @param iterations PBKDF2 iterations; tests use fewer than {@linkcode KDF_ITERATIONS}.
   */
  static async derive(secret: SealSecret, iterations: number = KDF_ITERATIONS): Promise<RootKey> {
    const bytes = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
    const material = await crypto.subtle.importKey(
      "raw",
      bytes as Uint8Array<ArrayBuffer>,
      "PBKDF2",
      false,
      ["deriveBits"],
    );
    const root = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: "PBKDF2", hash: "SHA-256", salt: ROOT_SALT, iterations },
        material,
        256,
      ),
    );
    const hkdf = await crypto.subtle.importKey("raw", root, "HKDF", false, ["deriveKey"]);
    // The raw root bytes are not needed any more; WebCrypto keeps its own copy.
    root.fill(0);
    return new RootKey(hkdf);
  }

  /** The AES-256-GCM key of the session `sessionId` (HKDF: cheap, any number of times). */
  async sessionKey(sessionId: Uint8Array): Promise<CryptoKey> {
    return await crypto.subtle.deriveKey(
      {
        name: "HKDF",
        hash: "SHA-256",
        salt: sessionId as Uint8Array<ArrayBuffer>,
        info: SESSION_INFO,
      },
      this.#hkdf,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
  }
}
