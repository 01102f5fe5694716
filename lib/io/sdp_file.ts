/**
 * Writes the `--sdp` file players open, with the error a user can act on.
 *
 * @module
 */

import { asError, UserError } from "../errors.ts";

/**
 * Writes `sdp` (lib/wire/rtp/sdp.ts builds it) to `path`.
 *
 * @throws {UserError} when the file cannot be written; the OS error is its `cause`.
 */
export function writeSdpFile(path: string, sdp: string): void {
  try {
    Deno.writeTextFileSync(path, sdp);
  } catch (error) {
    const failure = new UserError(
      `Cannot write --sdp ${path}: ${asError(error).message}. Check that the folder exists.`,
    );
    failure.cause = error;
    throw failure;
  }
}
