/**
 * Writes the `--sdp` file players open, with the error a user can act on.
 *
 * @module
 */

import { UserError } from "../errors.ts";

/**
 * Writes `sdp` (lib/wire/rtp/sdp.ts builds it) to `path`.
 *
 * @throws {UserError} when the file cannot be written; the OS error is its `cause`.
 */
export function writeSdpFile(path: string, sdp: string): void {
  try {
    Deno.writeTextFileSync(path, sdp);
  } catch (error) {
    throw new UserError(`Cannot write --sdp ${path}. Check that the folder exists.`, 1, {
      cause: error,
    });
  }
}
