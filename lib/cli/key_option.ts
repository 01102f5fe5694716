/**
 * The shared passphrase of `--key`, `--key-file` and the `UDPCAM_KEY` environment variable, on
 * both programs. The file and the variable exist so the passphrase never has to sit in shell
 * history or in `ps` output.
 *
 * @module
 */

import { usageError } from "./flags.ts";
import { wireModesWith, wireTraitsOf } from "../wire/mod.ts";
import { MAX_KEY_FILE_BYTES } from "./key_file.ts";

/** Environment variable read when neither `--key` nor `--key-file` is given. */
export const KEY_ENV = "UDPCAM_KEY";
/**
 * Fewest characters a passphrase may have. Anyone who records one sealed datagram can test
 * guesses offline, as fast as their hardware runs PBKDF2: the iterations slow each guess, they
 * cannot save a short passphrase. A random key (`--new-key-file`) is better still.
 */
const MIN_KEY_CHARS = 12;

/** `--help` lines for the key flags, the same on both programs. */
export const KEY_HELP = `Encryption (--wire v1; both sides need the same key)
  --key PASSPHRASE      seal every datagram with AES-256-GCM under a key derived from
                        PASSPHRASE (at least ${MIN_KEY_CHARS} characters); datagrams that fail
                        authentication are dropped and counted
  --key-file FILE       read the key from FILE, so it stays out of shell history: a regular
                        file of at most ${MAX_KEY_FILE_BYTES} bytes, its exact bytes (text or binary) less one
                        final line ending (default: environment variable ${KEY_ENV}, if set)`;

/** Where the passphrase may come from. */
export interface KeySources {
  /** `--key` value. */
  key: string | undefined;
  /** `--key-file` value. */
  keyFile: string | undefined;
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
  /**
   * Reads the key file (lib/cli/key_file.ts `readKeyFile`): at most {@linkcode MAX_KEY_FILE_BYTES}
   * + 1 bytes; throws, with the reason as its message, when it cannot.
   */
  readKeyFile: (path: string) => Uint8Array;
  /** The `--wire` format: only those with the `key` trait can carry sealed datagrams. */
  wire: string;
}

/** `bytes` as text when they are valid UTF-8, else null (a binary key). */
function asText(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * The key in a key file's bytes: all of them, less one final line ending (editors and `echo` add
 * one), taken exactly, so two different files never give the same key.
 */
function keyFromFile(program: string, path: string, bytes: Uint8Array): Uint8Array {
  if (bytes.length > MAX_KEY_FILE_BYTES) {
    throw usageError(
      program,
      `--key-file ${path} is over ${MAX_KEY_FILE_BYTES} bytes; put only the key in it`,
    );
  }
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  if (end > 0 && bytes[end - 1] === 0x0d && end < bytes.length) end--;
  const key = bytes.slice(0, end);
  // A text file with more lines than the key would silently give another key than `--key`.
  const text = asText(key);
  if (text !== null && /[\r\n]/.test(text)) {
    throw usageError(
      program,
      `--key-file ${path} holds more than one line of text; put only the key in it`,
    );
  }
  return key;
}

/**
 * Returns the key's bytes (the UTF-8 of `--key` and `UDPCAM_KEY`, the exact bytes of
 * `--key-file`), or null when none was given.
 *
 * @throws {UserError} (usage) when both flags are given, the file cannot be read, is not a
 * regular file, is too long or holds more than one line of text, the key is too short, or the
 * wire format is not v1.
 */
export function resolveKey(program: string, sources: KeySources): Uint8Array | null {
  if (sources.key !== undefined && sources.keyFile !== undefined) {
    throw usageError(program, "give the passphrase once: --key or --key-file, not both");
  }
  let key: Uint8Array | null = null;
  let from = "--key";
  if (sources.key !== undefined) key = new TextEncoder().encode(sources.key);
  else if (sources.keyFile !== undefined) {
    from = `--key-file ${sources.keyFile}`;
    let bytes: Uint8Array;
    try {
      bytes = sources.readKeyFile(sources.keyFile);
    } catch (error) {
      throw usageError(program, `Cannot read --key-file ${sources.keyFile}`, { cause: error });
    }
    key = keyFromFile(program, sources.keyFile, bytes);
  } else {
    const fromEnv = sources.env(KEY_ENV);
    if (fromEnv !== undefined && fromEnv !== "") {
      key = new TextEncoder().encode(fromEnv);
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
  // Characters of a text key; bytes of a binary one.
  const text = asText(key);
  const length = text === null ? key.length : [...text].length;
  if (length < MIN_KEY_CHARS) {
    throw usageError(
      program,
      `the passphrase from ${from} has ${length} ${
        text === null ? "bytes" : "characters"
      }; use at least ${MIN_KEY_CHARS}, or a random key: udpcam-send --new-key-file FILE`,
    );
  }
  return key;
}
