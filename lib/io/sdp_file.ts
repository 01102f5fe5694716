/**
 * Writes the `--sdp` file players open, with the error a user can act on; the file is replaced
 * whole, never written through a symbolic link (lib/io/output_file.ts).
 *
 * @module
 */

import { replaceFile } from "./output_file.ts";

/**
 * Writes `sdp` (lib/wire/rtp/sdp.ts builds it) to `path`, replacing what was there.
 *
 * @throws {UserError} when the file cannot be written or `path` is a symbolic link or a folder;
 * the OS error, if any, is its `cause`.
 */
export function writeSdpFile(path: string, sdp: string): void {
  replaceFile(path, "--sdp", new TextEncoder().encode(sdp));
}
