/**
 * Finding and opening a shared library through FFI: the one search that every native library
 * udpcam uses (SDL2, libjpeg-turbo, libc) goes through.
 *
 * A {@linkcode NativeLibrary} is a description and a cache: making one opens nothing, so a module
 * that declares one still has no import-time effect. {@linkcode NativeLibrary.open} tries the file
 * its environment variable names, when set, or else each candidate name for the OS in order, and
 * keeps the first library that loads for the life of the process (a library may run threads of
 * its own, so none is ever unloaded). The variable is read on every call, so it can change at run
 * time.
 *
 * When nothing loads, `open` throws a {@linkcode UserError} that names what was tried and how to
 * install the library, whose `cause` is a {@linkcode LibraryLoadError} keeping every candidate's
 * own error in the order tried. The doctor reads those ({@linkcode loadAttemptsOf}) rather than
 * opening the library again to find out why.
 *
 * @module
 */

import { UserError } from "../errors.ts";

/** The operating systems Deno names. */
export type Os = typeof Deno.build.os;

/** A value per operating system, with `default` for those not listed. */
export type OsTable<T> = { readonly default: T } & { readonly [os in Os]?: T };

/** The value of `table` for `os`: its own entry, else the default. */
export function forOs<T>(table: OsTable<T>, os: Os = Deno.build.os): T {
  return table[os] ?? table.default;
}

/** What a {@linkcode NativeLibrary} looks for and how its error reads. */
export interface NativeLibrarySpec<S extends Deno.ForeignLibraryInterface> {
  /** The library's name in messages: "Cannot load the NAME library". */
  readonly name: string;
  /** Environment variable naming the one file to load instead of searching; none if absent. */
  readonly envVar?: string;
  /** File names and paths tried in order, per OS. */
  readonly candidates: OsTable<readonly string[]>;
  /** The install command (or how to get the file), per OS; none for a system library. */
  readonly installHint?: OsTable<string>;
  /** What else the user can do without the library, e.g. "run with --headless". */
  readonly otherwise?: string;
  /** The C functions to bind. */
  readonly symbols: S;
}

/** One candidate that did not load, and the error `Deno.dlopen` threw for it. */
export interface LoadAttempt {
  /** The file name or path given to `Deno.dlopen`. */
  readonly path: string;
  /** What `Deno.dlopen` threw: no such file, a wrong architecture, no `--allow-ffi`, … */
  readonly error: Error;
}

/**
 * No candidate loaded. `errors` (and {@linkcode LibraryLoadError.attempts}, which pairs each with
 * its path) holds every candidate's error in the order tried; the message lists what was tried,
 * as the {@linkcode UserError} that carries this as `cause` also says.
 */
export class LibraryLoadError extends AggregateError {
  /** Every candidate tried, with its error. */
  readonly attempts: readonly LoadAttempt[];
  /** The environment variable whose value was the one file tried, or null: the OS's list. */
  readonly envVar: string | null;

  /**
   * Records the failed attempts.
   *
   * @param attempts Every candidate tried, in order, with its error.
   * @param envVar The override's variable when its value was what was tried, else null.
   */
  constructor(attempts: readonly LoadAttempt[], envVar: string | null) {
    super(attempts.map((attempt) => attempt.error), `tried ${triedText(attempts, envVar)}`);
    this.name = "LibraryLoadError";
    this.attempts = attempts;
    this.envVar = envVar;
  }
}

function triedText(attempts: readonly LoadAttempt[], envVar: string | null): string {
  const paths = attempts.map((attempt) => attempt.path);
  if (paths.length === 0) return "no file: the list for this OS is empty";
  return envVar === null ? paths.join(", ") : `${envVar}=${paths[0]}`;
}

/**
 * The {@linkcode LibraryLoadError} that `error` is or has as `cause` (as
 * {@linkcode NativeLibrary.open} throws it), or null for any other error.
 */
export function loadAttemptsOf(error: unknown): LibraryLoadError | null {
  if (error instanceof LibraryLoadError) return error;
  if (error instanceof Error && error.cause instanceof LibraryLoadError) return error.cause;
  return null;
}

/** A library that loaded, and the candidate (or override) it loaded from. */
export interface OpenedLibrary<S extends Deno.ForeignLibraryInterface> {
  /** The name or path given to `Deno.dlopen`. */
  readonly path: string;
  /** The library, with its symbols bound. */
  readonly library: Deno.DynamicLibrary<S>;
}

/** One native library: where to look for it, opened lazily and kept (see the module doc). */
export class NativeLibrary<S extends Deno.ForeignLibraryInterface> {
  /** What is looked for, and how the error reads. */
  readonly spec: NativeLibrarySpec<S>;
  #opened: OpenedLibrary<S> | null = null;

  /** Describes the library; nothing is opened until {@linkcode NativeLibrary.open}. */
  constructor(spec: NativeLibrarySpec<S>) {
    this.spec = spec;
  }

  /** The names and paths tried on `os` when the override is not set. */
  candidates(os: Os = Deno.build.os): readonly string[] {
    return forOs(this.spec.candidates, os);
  }

  /** The install hint for `os`, or undefined when the spec has none. */
  installHint(os: Os = Deno.build.os): string | undefined {
    return this.spec.installHint === undefined ? undefined : forOs(this.spec.installHint, os);
  }

  /**
   * Opens the library: the file the environment variable names, when set, else the first of the
   * candidates for `os` that loads. A library already opened from one of those is reused.
   *
   * @throws {UserError} when none loads; its `cause` is a {@linkcode LibraryLoadError}.
   * @throws {Deno.errors.NotCapable} when the environment variable may not be read.
   */
  open(os: Os = Deno.build.os): OpenedLibrary<S> {
    const { envVar } = this.spec;
    const override = envVar === undefined ? undefined : Deno.env.get(envVar);
    const paths = override ? [override] : this.candidates(os);
    if (this.#opened !== null && paths.includes(this.#opened.path)) return this.#opened;
    const attempts: LoadAttempt[] = [];
    for (const path of paths) {
      try {
        this.#opened = { path, library: Deno.dlopen(path, this.spec.symbols) };
        return this.#opened;
      } catch (error) {
        attempts.push({ path, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
    const failure = new LibraryLoadError(attempts, override ? envVar ?? null : null);
    throw new UserError(this.#failureMessage(failure, os), 1, { cause: failure });
  }

  /** "Cannot load the NAME library (tried …): install it with HINT, or OTHERWISE." */
  #failureMessage(failure: LibraryLoadError, os: Os): string {
    const hint = this.installHint(os);
    const { otherwise } = this.spec;
    const advice = hint !== undefined
      ? `: install it with ${hint}${otherwise === undefined ? "" : `, or ${otherwise}`}`
      : otherwise === undefined
      ? ""
      : `: ${otherwise}`;
    return `Cannot load the ${this.spec.name} library (${failure.message})${advice}.`;
  }
}
