/**
 * Reads a small secret from a file the user named (`--key-file`, `--http-token-file`,
 * `--rtsp-user-file`): a regular file only, at most a few KB read whatever the file's size, the
 * bytes exactly as stored. The one reader of all three flags.
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

/** A path that names something other than a regular file: what it is, in words. */
export class NotRegularFileError extends Error {
  /**
   * Makes the error for what `info` describes.
   *
   * @param what "a directory", "a named pipe (FIFO)", ...
   */
  constructor(readonly what: string) {
    super(`it is ${what}, not a regular file`);
    this.name = "NotRegularFileError";
  }
}

function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a named pipe (FIFO)";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "something else";
}

/**
 * The first `maxBytes + 1` bytes at most of the regular file at `path` (one more than allowed, so
 * the caller can tell a file that is too long). Follows a symbolic link (reading through one is
 * harmless).
 *
 * @throws {NotRegularFileError} for a FIFO, device, socket or folder, checked before it is opened
 * so nothing blocks and no device is read; also when the file was swapped for another between the
 * check and the open.
 * @throws {Error} from the OS (`NotFound`, `PermissionDenied`, ...).
 */
export function readSmallFileSync(path: string, maxBytes: number): Uint8Array {
  const before = Deno.statSync(path);
  if (!before.isFile) throw new NotRegularFileError(kindOf(before));
  using file = Deno.openSync(path, { read: true });
  // Swapped since the stat: refuse rather than read it. (A FIFO swapped in between would still
  // block the open; that takes write access to the folder, and Deno has no non-blocking open.)
  const opened = file.statSync();
  if (!opened.isFile || opened.ino !== before.ino || opened.dev !== before.dev) {
    throw new NotRegularFileError("a file replaced while being opened");
  }
  const buffer = new Uint8Array(maxBytes + 1);
  let length = 0;
  // Bounded by the buffer: each read takes at least one byte or ends the loop.
  while (length < buffer.length) {
    const read = file.readSync(buffer.subarray(length));
    if (read === null || read === 0) break;
    length += read;
  }
  return buffer.slice(0, length);
}

/** The bytes of the regular file at `path`, at most `maxBytes`, or the problem. */
export function readSecretFileSync(path: string, maxBytes: number): Uint8Array | SecretFileProblem {
  try {
    const bytes = readSmallFileSync(path, maxBytes);
    if (bytes.length > maxBytes) return { kind: "tooLarge", maxBytes };
    return bytes;
  } catch (error) {
    if (error instanceof NotRegularFileError) return { kind: "notRegular" };
    return { kind: "unreadable", cause: error };
  }
}
