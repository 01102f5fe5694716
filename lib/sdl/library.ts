/**
 * Finding and opening libSDL2 lazily, and turning SDL failures into exceptions.
 *
 * Nothing is loaded at import time: {@linkcode openSdl} opens the library on first use, through
 * lib/ffi's one loader, and keeps it for the life of the process (SDL may run helper threads, so
 * it is never unloaded).
 *
 * @module
 */

import { forOs, NativeLibrary, type Os, type OsTable } from "../ffi/native_library.ts";
import { SDL_SYMBOLS, type SdlLibrary } from "./ffi.ts";

/** Environment variable naming the SDL2 library file to load instead of searching for one. */
export const SDL2_LIB_ENV = "UDPCAM_SDL2_LIB";

const SDL_INSTALL_HINT: OsTable<string> = {
  darwin: "brew install sdl2",
  windows:
    "download SDL2.dll from the SDL releases page (https://github.com/libsdl-org/SDL/releases) and put it next to udpcam-recv.exe",
  default: "sudo apt install libsdl2-2.0-0",
};

/** libSDL2: where it is looked for, and the install line its error names. */
export const SDL_LIBRARY: NativeLibrary<typeof SDL_SYMBOLS> = new NativeLibrary({
  name: "SDL2",
  envVar: SDL2_LIB_ENV,
  candidates: {
    darwin: [
      "libSDL2-2.0.0.dylib",
      "/opt/homebrew/lib/libSDL2-2.0.0.dylib",
      "/usr/local/lib/libSDL2-2.0.0.dylib",
      "libSDL2.dylib",
    ],
    windows: ["SDL2.dll"],
    default: ["libSDL2-2.0.so.0", "libSDL2.so"],
  },
  installHint: SDL_INSTALL_HINT,
  otherwise: "run with --headless",
  symbols: SDL_SYMBOLS,
});

/** Library file names and paths tried in order on `os`, when no override is set. */
export function sdlLibraryCandidates(os: Os = Deno.build.os): string[] {
  return [...SDL_LIBRARY.candidates(os)];
}

/** The one-sentence install hint for SDL2 on `os`. */
export function sdlInstallHint(os: Os = Deno.build.os): string {
  return forOs(SDL_INSTALL_HINT, os);
}

/**
 * Opens libSDL2 (once per path; later calls reuse it). The override in {@linkcode SDL2_LIB_ENV} is
 * read on every call, so it can be changed at run time.
 *
 * @throws {UserError} when no candidate can be loaded, naming the install command; its `cause`
 * keeps each candidate's error (lib/ffi/native_library.ts).
 */
export function openSdl(): SdlLibrary {
  return SDL_LIBRARY.open().library;
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
   * Makes the error for a failed SDL call.
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
