/**
 * Reads a small secret from a file the user named (`--http-token-file`): a regular file only, at
 * most a few KB read whatever the file's size, the bytes exactly as stored.
 *
 * Why each rule: `/dev/zero` or a huge file must not be read into memory before a size check; a
 * FIFO or a terminal would block the program's start forever; a secret decoded loosely (invalid
 * UTF-8 replaced) could make two different files give the same secret.
 *
 * @module
 */

/** What went wrong, for the caller to word with its flag. */
export type SecretFileProblem =
  | { kind: "unreadable"; cause: unknown }
  | { kind: "notRegular" }
  | { kind: "tooLarge"; maxBytes: number };

/**
 * The first `maxBytes` bytes of the regular file at `path`, or the problem. Follows a symbolic
 * link (reading through one is harmless); refuses FIFOs, devices, sockets and folders before
 * opening them, so nothing blocks.
 */
export function readSecretFileSync(path: string, maxBytes: number): Uint8Array | SecretFileProblem {
  try {
    if (!Deno.statSync(path).isFile) return { kind: "notRegular" };
    using file = Deno.openSync(path, { read: true });
    // The file may have been swapped since the stat: check what was opened, before reading. (A
    // FIFO swapped in between would still block the open; that takes write access to the
    // folder, and Deno has no non-blocking open.)
    if (!file.statSync().isFile) return { kind: "notRegular" };
    // One byte more than allowed tells "too large" from "exactly the limit".
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = file.readSync(buffer.subarray(length));
      if (read === null) break;
      length += read;
    }
    if (length > maxBytes) return { kind: "tooLarge", maxBytes };
    return buffer.slice(0, length);
  } catch (error) {
    return { kind: "unreadable", cause: error };
  }
}
