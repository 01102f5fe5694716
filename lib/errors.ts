/**
 * Errors meant for a person at a terminal rather than for a stack trace, and the one formatter
 * that turns an error and its causes into the text that person reads.
 *
 * The convention: messages read "Cannot X: reason. Do Y." When the reason is another error, the
 * message leaves it out and keeps that error as `cause`: `new UserError("Cannot X. Do Y.", 1,
 * { cause })`. {@linkcode describeError} then puts the cause's own description where the reason
 * goes, "Cannot X: <cause>. Do Y.", so the printed text reads as before while programs (the
 * doctor, a test) still reach the original error. The rules, in order:
 *
 * - No cause: the message as it is.
 * - The message gives its own reason: its first sentence has ": " after its "Cannot" ("Cannot
 *   listen on HOST:PORT: the port is in use. …", the library loader's "Cannot load the SDL2
 *   library (tried …): install it …"). The message as it is; the cause is there for programs.
 * - The message already contains the cause's message: as it is (nothing is said twice).
 * - Otherwise the cause's description (itself described by these rules, so a chain reads
 *   "Cannot X: cannot Y: reason. Do Z. Do W.") goes at the end of the first sentence, before its
 *   full stop. That first sentence ("Cannot X") therefore holds no ". ", and ": " only as the
 *   reason's mark (an address such as "[::]:5000" has no space after its colons). A nested
 *   "Cannot" reads "cannot" after the colon; any other cause text is kept verbatim (OS messages
 *   included).
 *
 * @example Printing an error whose reason is the OS's error
 * ```ts
 * import { describeError, UserError } from "./errors.ts";
 *
 * const denied = new Error("Permission denied (os error 13)");
 * const error = new UserError("Cannot write --record /x.mjpeg. Check that it is writable.", 1, {
 *   cause: denied,
 * });
 * if (
 *   describeError(error) !==
 *     "Cannot write --record /x.mjpeg: Permission denied (os error 13). Check that it is writable."
 * ) throw new Error("unexpected text");
 * ```
 *
 * @module
 */

/**
 * An error caused by the user's input or environment (a bad flag, a missing tool, a busy port).
 * Entry points print only {@linkcode describeError} of it and exit with
 * {@linkcode UserError.exitCode}.
 */
export class UserError extends Error {
  /** Process exit code to use: 2 for usage errors, 1 for everything else. */
  readonly exitCode: number;

  /**
   * Makes an error for the user to read.
   *
   * @param message One or two sentences: what happened and what to do next (see the module doc
   * for how a `cause` joins them).
   * @param exitCode 2 for a bad flag or value, 1 otherwise.
   * @param options `cause`: the error behind this one.
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

/** Most causes followed from one error: chains are short, and a cycle must not loop forever. */
export const MAX_CAUSE_DEPTH = 8;

/**
 * The errors behind `error`, nearest first: its `cause`, that one's `cause`, and so on, at most
 * {@linkcode MAX_CAUSE_DEPTH} of them.
 */
export function causesOf(error: unknown): unknown[] {
  const causes: unknown[] = [];
  let current = error;
  while (
    causes.length < MAX_CAUSE_DEPTH && current instanceof Error && current.cause !== undefined
  ) {
    current = current.cause;
    causes.push(current);
  }
  return causes;
}

/**
 * The text a person reads for `error`: its message with the reasons its causes give, joined as
 * the module doc says ("Cannot X: <cause>. Do Y."). A thrown non-Error value gives its string.
 */
export function describeError(error: unknown): string {
  return describeAtDepth(error, 0);
}

function describeAtDepth(error: unknown, depth: number): string {
  if (!(error instanceof Error)) return String(error);
  const message = error.message;
  const cause = error.cause;
  if (cause === undefined || depth >= MAX_CAUSE_DEPTH) return message;
  const stop = message.indexOf(". ");
  const first = stop >= 0 ? message.slice(0, stop) : message;
  if (first.includes(": ", Math.max(0, first.indexOf("Cannot ")))) return message;
  const causeMessage = cause instanceof Error ? cause.message : String(cause);
  if (causeMessage === "" || message.includes(causeMessage)) return message;
  let reason = describeAtDepth(cause, depth + 1);
  if (reason.endsWith(".")) reason = reason.slice(0, -1);
  if (reason.startsWith("Cannot ")) reason = `c${reason.slice(1)}`;
  if (stop >= 0) return `${first}: ${reason}${message.slice(stop)}`;
  if (message.endsWith(".")) return `${message.slice(0, -1)}: ${reason}.`;
  return message === "" ? reason : `${message}: ${reason}`;
}
