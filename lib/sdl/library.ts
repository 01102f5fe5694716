/**
 * Finding and opening libSDL2 lazily, and turning SDL failures into exceptions.
 *
 * Nothing is loaded at import time: {@linkcode openSdl} opens the library on first use and keeps
 * it for the life of the process (SDL may run helper threads, so it is never unloaded).
 *
 * @module
 */

import { UserError } from "../errors.ts";
import { SDL_SYMBOLS, type SdlLibrary } from "./ffi.ts";

/** Environment variable naming the SDL2 library file to load instead of searching for one. */
export const SDL2_LIB_ENV = "UDPCAM_SDL2_LIB";

/** Library file names and paths tried in order on `os`, when no override is set. */
export function sdlLibraryCandidates(os: typeof Deno.build.os = Deno.build.os): string[] {
  switch (os) {
    case "darwin":
      return [
        "libSDL2-2.0.0.dylib",
        "/opt/homebrew/lib/libSDL2-2.0.0.dylib",
        "/usr/local/lib/libSDL2-2.0.0.dylib",
        "libSDL2.dylib",
      ];
    case "windows":
      return ["SDL2.dll"];
    default:
      return ["libSDL2-2.0.so.0", "libSDL2.so"];
  }
}

/** The one-sentence install hint for SDL2 on `os`. */
export function sdlInstallHint(os: typeof Deno.build.os = Deno.build.os): string {
  switch (os) {
    case "darwin":
      return "brew install sdl2";
    case "windows":
      return "download SDL2.dll from the SDL releases page (https://github.com/libsdl-org/SDL/releases) and put it next to udpcam-recv.exe";
    default:
      return "sudo apt install libsdl2-2.0-0";
  }
}

let cached: { path: string; lib: SdlLibrary } | undefined;

/**
 * Opens libSDL2 (once per path; later calls reuse it). The override in {@linkcode SDL2_LIB_ENV} is
 * read on every call, so it can be changed at run time.
 *
 * @throws {UserError} when no candidate can be loaded, naming the install command.
 */
export function openSdl(): SdlLibrary {
  const override = Deno.env.get(SDL2_LIB_ENV);
  const candidates = override ? [override] : sdlLibraryCandidates();
  if (cached && candidates.includes(cached.path)) return cached.lib;
  for (const path of candidates) {
    try {
      const lib = Deno.dlopen(path, SDL_SYMBOLS);
      cached = { path, lib };
      return lib;
    } catch {
      // try the next candidate; the error below names them all
    }
  }
  const where = override ? `${SDL2_LIB_ENV}=${override}` : candidates.join(", ");
  throw new UserError(
    `Cannot load the SDL2 library (tried ${where}): install it with ` +
      `${sdlInstallHint()}, or run with --headless.`,
  );
}

/** Reads SDL's thread-local error string (empty when SDL set none). */
export function sdlError(lib: SdlLibrary): string {
  const ptr = lib.symbols.SDL_GetError();
  return ptr === null ? "" : Deno.UnsafePointerView.getCString(ptr);
}

/** An SDL call failed; the message carries the function name and `SDL_GetError()`. */
export class SdlError extends Error {
  /** The SDL function that failed. */
  readonly functionName: string;

  /**
   * An error for a failed call of `functionName`.
   *
   * @param functionName The failing SDL function.
   * @param reason Text from SDL_GetError.
   */
  constructor(functionName: string, reason: string) {
    super(`Cannot ${functionName}: ${reason || "SDL gave no reason"}.`);
    this.name = "SdlError";
    this.functionName = functionName;
  }
}

/**
 * Throws {@linkcode SdlError} when an SDL call failed: a negative return code or a NULL pointer.
 * Returns the pointer otherwise, so creation calls read `const w = check(lib, f(...), "f")`.
 */
export function check<T extends number | Deno.PointerValue>(
  lib: SdlLibrary,
  result: T,
  functionName: string,
): Exclude<T, null> {
  if (result === null || (typeof result === "number" && result < 0)) {
    throw new SdlError(functionName, sdlError(lib));
  }
  return result as Exclude<T, null>;
}

/** A NUL-terminated UTF-8 copy of `text` for `const char*` parameters. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const encoded = new TextEncoder().encode(text);
  const out = new Uint8Array(encoded.length + 1);
  out.set(encoded);
  return out;
}
