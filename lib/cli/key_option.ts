/**
 * The shared passphrase of `--key`, `--key-file` and the `UDPCAM_KEY` environment variable, on
 * both programs. The file and the variable exist so the passphrase never has to sit in shell
 * history or in `ps` output.
 *
 * @module
 */

import { usageError } from "./flags.ts";
import { wireModesWith, wireTraitsOf } from "../wire/mod.ts";

/** Environment variable read when neither `--key` nor `--key-file` is given. */
export const KEY_ENV = "UDPCAM_KEY";
/** Fewest characters a passphrase may have: PBKDF2 slows guessing, it cannot save a short one. */
const MIN_KEY_CHARS = 8;
/** Most bytes read from `--key-file` (a passphrase, not a document). */
const MAX_KEY_FILE_BYTES = 4096;

/** `--help` lines for the key flags, the same on both programs. */
export const KEY_HELP = `Encryption (--wire v1; both sides need the same passphrase)
  --key PASSPHRASE      seal every datagram with AES-256-GCM under a key derived from
                        PASSPHRASE (at least ${MIN_KEY_CHARS} characters); datagrams that fail
                        authentication are dropped and counted
  --key-file FILE       read the passphrase from FILE (first line), so it stays out of
                        shell history (default: environment variable ${KEY_ENV}, if set)`;

/** Where the passphrase may come from. */
export interface KeySources {
  /** `--key` value. */
  key: string | undefined;
  /** `--key-file` value. */
  keyFile: string | undefined;
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
  /** Reads a text file; throws when it cannot. */
  readTextFile: (path: string) => string;
  /** The `--wire` format: only those with the `key` trait can carry sealed datagrams. */
  wire: string;
}

/**
 * Returns the passphrase, or null when none was given.
 *
 * @throws {UserError} (usage) when both flags are given, the file cannot be read, the
 * passphrase is too short, or the wire format is not v1.
 */
export function resolveKey(program: string, sources: KeySources): string | null {
  if (sources.key !== undefined && sources.keyFile !== undefined) {
    throw usageError(program, "give the passphrase once: --key or --key-file, not both");
  }
  let key: string | null = null;
  let from = "--key";
  if (sources.key !== undefined) key = sources.key;
  else if (sources.keyFile !== undefined) {
    from = `--key-file ${sources.keyFile}`;
    let text: string;
    try {
      text = sources.readTextFile(sources.keyFile);
    } catch (error) {
      throw usageError(program, `Cannot read --key-file ${sources.keyFile}`, { cause: error });
    }
    if (text.length > MAX_KEY_FILE_BYTES) {
      throw usageError(
        program,
        `--key-file ${sources.keyFile} is over ${MAX_KEY_FILE_BYTES} bytes; put only the ` +
          "passphrase in it",
      );
    }
    // The first line, without its line ending: editors and `echo` add one.
    key = text.split(/\r?\n/)[0];
  } else {
    const fromEnv = sources.env(KEY_ENV);
    if (fromEnv !== undefined && fromEnv !== "") {
      key = fromEnv;
      from = KEY_ENV;
    }
  }
  if (key === null) return null;
  if (!wireTraitsOf(sources.wire)?.key) {
    throw usageError(
      program,
      `${from} needs --wire ${wireModesWith("key").join(" or ")}: the ${sources.wire} format ` +
        "cannot carry sealed datagrams" +
        (from === KEY_ENV ? ` (unset ${KEY_ENV} to stream in the clear)` : ""),
    );
  }
  if ([...key].length < MIN_KEY_CHARS) {
    throw usageError(
      program,
      `the passphrase from ${from} has ${
        [...key].length
      } characters; use at least ${MIN_KEY_CHARS}`,
    );
  }
  return key;
}
