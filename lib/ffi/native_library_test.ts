/**
 * The loader against the real SDL2, libjpeg-turbo and libc of this machine: what loads, what is
 * reused, and the error (with every candidate's own error kept as cause) when nothing loads.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { describeError, UserError } from "../errors.ts";
import {
  forOs,
  LibraryLoadError,
  loadAttemptsOf,
  NativeLibrary,
  type NativeLibrarySpec,
} from "./native_library.ts";

const SDL_VERSION_SYMBOLS = {
  SDL_GetVersion: { parameters: ["buffer"], result: "void" },
} as const;

const TURBOJPEG_INIT_SYMBOLS = {
  tjInitDecompress: { parameters: [], result: "pointer" },
  tjDestroy: { parameters: ["pointer"], result: "i32" },
} as const;

const TEST_ENV = "UDPCAM_TEST_NATIVE_LIB";

function sdlSpec(
  overrides: Partial<NativeLibrarySpec<typeof SDL_VERSION_SYMBOLS>> = {},
): NativeLibrarySpec<typeof SDL_VERSION_SYMBOLS> {
  return {
    name: "SDL2",
    envVar: TEST_ENV,
    candidates: {
      darwin: ["libSDL2-2.0.0.dylib", "/opt/homebrew/lib/libSDL2-2.0.0.dylib"],
      windows: ["SDL2.dll"],
      default: ["libSDL2-2.0.so.0", "libSDL2.so"],
    },
    installHint: { default: "install-sdl" },
    otherwise: "run with --headless",
    symbols: SDL_VERSION_SYMBOLS,
    ...overrides,
  };
}

/** Runs `body` with TEST_ENV set to `value` (undefined: unset), then removes it. */
function withOverride<T>(value: string | undefined, body: () => T): T {
  if (value === undefined) Deno.env.delete(TEST_ENV);
  else Deno.env.set(TEST_ENV, value);
  try {
    return body();
  } finally {
    Deno.env.delete(TEST_ENV);
  }
}

/** The UserError that `open` throws, checked to be one. */
function openError(library: NativeLibrary<Deno.ForeignLibraryInterface>): UserError {
  try {
    library.open();
  } catch (error) {
    ok(error instanceof UserError, String(error));
    return error;
  }
  throw new Error("open() loaded a library that should not load");
}

Deno.test("NativeLibrary opens the real SDL2 from the OS's candidates, once", () => {
  const sdl = new NativeLibrary(sdlSpec());
  const opened = withOverride(undefined, () => sdl.open());
  ok(sdl.candidates().includes(opened.path), opened.path);
  const version = new Uint8Array(3);
  opened.library.symbols.SDL_GetVersion(version);
  equal(version[0], 2, `SDL ${version.join(".")}`);
  // Kept: the second call returns the same library without opening it again.
  equal(withOverride(undefined, () => sdl.open()), opened);
});

Deno.test("NativeLibrary opens the real libjpeg-turbo", () => {
  const turbo = new NativeLibrary({
    name: "libjpeg-turbo",
    candidates: {
      darwin: ["libturbojpeg.0.dylib", "/opt/homebrew/opt/jpeg-turbo/lib/libturbojpeg.0.dylib"],
      windows: ["turbojpeg.dll"],
      default: ["libturbojpeg.so.0", "libturbojpeg.so"],
    },
    symbols: TURBOJPEG_INIT_SYMBOLS,
  });
  const { library } = turbo.open();
  const handle = library.symbols.tjInitDecompress();
  ok(handle !== null);
  equal(library.symbols.tjDestroy(handle), 0);
});

Deno.test("a bogus override: one sentence, and the dlopen error kept as cause", () => {
  const sdl = new NativeLibrary(sdlSpec());
  const error = withOverride("/nonexistent/libSDL2.so", () => openError(sdl));
  equal(
    error.message,
    `Cannot load the SDL2 library (tried ${TEST_ENV}=/nonexistent/libSDL2.so): install it with ` +
      "install-sdl, or run with --headless.",
  );
  // The message already sums up the cause, so it prints as it is.
  equal(describeError(error), error.message);
  const failure = loadAttemptsOf(error);
  ok(failure instanceof LibraryLoadError);
  equal(failure, error.cause);
  equal(failure.envVar, TEST_ENV);
  deepEqual(failure.attempts.map((a) => a.path), ["/nonexistent/libSDL2.so"]);
  deepEqual(failure.errors, failure.attempts.map((a) => a.error));
  match(failure.attempts[0].error.message, /\/nonexistent\/libSDL2\.so/);
});

Deno.test("no candidate loads: each one's own error, in the order tried", () => {
  const missing = new NativeLibrary(sdlSpec({
    envVar: undefined,
    candidates: { default: ["/nonexistent/a.so", "libudpcam-nothing.so", "/etc/hostname"] },
  }));
  const error = openError(missing);
  equal(
    error.message,
    "Cannot load the SDL2 library (tried /nonexistent/a.so, libudpcam-nothing.so, " +
      "/etc/hostname): install it with install-sdl, or run with --headless.",
  );
  const failure = loadAttemptsOf(error)!;
  equal(failure.envVar, null);
  deepEqual(failure.attempts.map((a) => a.path), [
    "/nonexistent/a.so",
    "libudpcam-nothing.so",
    "/etc/hostname",
  ]);
  for (const { path, error: cause } of failure.attempts) ok(cause.message.includes(path));
  // A file that exists but is no library fails for its own reason, which the list keeps.
  if (Deno.build.os === "linux") match(failure.attempts[2].error.message, /ELF|header|short/i);
});

Deno.test("the override is read on every call; a library that loaded is reused", () => {
  const sdl = new NativeLibrary(sdlSpec());
  const real = withOverride(undefined, () => sdl.open());
  withOverride("/nonexistent/libSDL2.so", () => openError(sdl));
  equal(withOverride(real.path, () => sdl.open()), real);
});

Deno.test("a library that loads without a wanted symbol fails naming the symbol", () => {
  const libc = new NativeLibrary({
    name: "C",
    candidates: { darwin: ["/usr/lib/libSystem.B.dylib"], default: ["libc.so.6"] },
    symbols: { udpcam_no_such_function: { parameters: [], result: "void" } },
  });
  const error = openError(libc);
  // No install hint and no alternative: the message ends after what was tried.
  match(error.message, /^Cannot load the C library \(tried [^)]+\)\.$/);
  match(loadAttemptsOf(error)!.attempts[0].error.message, /udpcam_no_such_function/);
});

Deno.test("making a NativeLibrary opens nothing; loadAttemptsOf ignores other errors", () => {
  const never = new NativeLibrary(sdlSpec({ candidates: { default: ["/nonexistent/x.so"] } }));
  deepEqual(never.candidates(), ["/nonexistent/x.so"]);
  equal(never.installHint(), "install-sdl");
  equal(new NativeLibrary(sdlSpec({ installHint: undefined })).installHint(), undefined);
  equal(loadAttemptsOf(new Error("other")), null);
  equal(loadAttemptsOf("text"), null);
});

Deno.test("forOs: the OS's own entry, else the default", () => {
  const table = { darwin: "mac", windows: "win", default: "unix" } as const;
  const cases: [typeof Deno.build.os, string][] = [
    ["darwin", "mac"],
    ["windows", "win"],
    ["linux", "unix"],
    ["freebsd", "unix"],
  ];
  for (const [os, want] of cases) equal(forOs(table, os), want, os);
});
