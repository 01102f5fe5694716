/**
 * Reading `--key-file` (only a regular file, at most a few KiB of it, as exact bytes), and writing
 * a new random key (`udpcam-send --new-key-file`). A key file
 * is a secret of a few dozen bytes; a path that names a device (`/dev/zero`), a named pipe (which
 * would block until someone writes to it) or a big file is a mistake to refuse, not to read.
 *
 * @module
 */

import { NotRegularFileError, readSmallFileSync } from "../io/secret_file.ts";
import { UserError } from "../errors.ts";

/** Most bytes a key file may hold (a passphrase or a random key, not a document). */
export const MAX_KEY_FILE_BYTES = 4096;

/**
 * The bytes of the key file at `path`, at most `MAX_KEY_FILE_BYTES + 1` of them (one more than
 * allowed, so the caller can tell a file that is too long). Symbolic links are followed.
 *
 * @throws {Error} whose message is the reason (the caller says which flag): the file is not a
 * regular file (checked before it is opened, so a FIFO never blocks and a device is never read),
 * it changed while being opened, or the OS refused it.
 */
export function readKeyFile(path: string): Uint8Array {
  try {
    return readSmallFileSync(path, MAX_KEY_FILE_BYTES);
  } catch (error) {
    if (error instanceof NotRegularFileError) {
      throw new Error(`${error.message}; put the key in a regular file`);
    }
    throw error;
  }
}

/** Random bytes in a key written by {@linkcode writeNewKeyFile}: a full AES-256 key's worth. */
export const NEW_KEY_BYTES = 32;

/**
 * `bytes` in base64url without padding (RFC 4648 §5): letters, digits, `-` and `_`, so the key
 * can also be pasted into `--key` or `UDPCAM_KEY` unquoted.
 */
function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Writes a new random key to `path` (`udpcam-send --new-key-file`): 32 random bytes as one
 * line of base64url text (43 characters and a newline), in a new file only its owner may read
 * or write (0600). Never overwrites: a file already there is an error, so a key in use is never
 * lost by accident. Returns the text written, less its newline.
 *
 * @throws {Error} from the OS (`AlreadyExists` when `path` exists).
 */
export function writeNewKeyFile(path: string): string {
  const key = base64url(crypto.getRandomValues(new Uint8Array(NEW_KEY_BYTES)));
  const file = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
  try {
    const bytes = new TextEncoder().encode(`${key}\n`);
    let written = 0;
    // Bounded: each write moves at least one byte of a 44-byte line.
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
  } finally {
    file.close();
  }
  return key;
}

/**
 * `udpcam-send --new-key-file FILE`: writes a random key and says what to do with it; a file
 * that exists or cannot be written is a {@linkcode UserError} saying what to do instead.
 */
export function newKeyFileMain(path: string): number {
  try {
    writeNewKeyFile(path);
  } catch (error) {
    const exists = error instanceof Deno.errors.AlreadyExists;
    throw new UserError(
      `Cannot write --new-key-file ${path}${exists ? ": it exists" : ""}. ` +
        (exists
          ? "Choose another name: a key file is never overwritten."
          : "Check that its folder exists and is writable."),
      1,
      { cause: error },
    );
  }
  console.error(
    `udpcam-send: wrote a new random key to ${path} (readable by you only). Copy it to the ` +
      `receiving machine safely (scp), then run both sides with --key-file ${path}.`,
  );
  return 0;
}
