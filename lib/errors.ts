/**
 * Errors meant for a person at a terminal rather than for a stack trace.
 *
 * @module
 */

/**
 * An error caused by the user's input or environment (a bad flag, a missing tool, a busy port).
 * Entry points print only its message and exit with {@linkcode UserError.exitCode}.
 */
export class UserError extends Error {
  /** Process exit code to use: 2 for usage errors, 1 for everything else. */
  readonly exitCode: number;

  /**
   * A user error; `options.cause` keeps the error it explains (a library's, a system call's).
   *
   * @param message One or two sentences: what happened and what to do next.
   * @param exitCode 2 for a bad flag or value, 1 otherwise.
   * @param options Standard error options: `cause`.
   */
  constructor(message: string, exitCode = 1, options?: ErrorOptions) {
    super(message, options);
    this.name = "UserError";
    this.exitCode = exitCode;
  }
}

/** Wraps a non-Error thrown value so callers can rely on `.message`. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
