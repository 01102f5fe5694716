/**
 * The outermost layer of both programs: runs `main`, prints user errors as one sentence, and
 * exits with the right code.
 *
 * @module
 */

import { causesOf, describeError, UserError } from "../errors.ts";

/**
 * Runs `main(args)` and exits the process with its code; never prints a stack trace for a user
 * error, which prints as {@linkcode describeError} words it (message and causes, one sentence).
 */
export async function runMain(
  program: string,
  main: (args: string[]) => Promise<number>,
): Promise<never> {
  let code: number;
  try {
    code = await main(withoutLeadingSeparator(Deno.args));
  } catch (error) {
    if (error instanceof UserError) {
      const text = describeError(error);
      console.error(text.startsWith(program) ? text : `${program}: ${text}`);
      code = error.exitCode;
    } else {
      console.error(
        `${program}: unexpected error, please report it with the command you ran: ${
          [error, ...causesOf(error)].map(stackOf).join("\ncaused by: ")
        }`,
      );
      code = 1;
    }
  }
  Deno.exit(code);
}

function stackOf(error: unknown): string {
  return error instanceof Error ? error.stack ?? error.message : String(error);
}

/** Drops the `--` that `deno task NAME -- flags` passes through, so both spellings work. */
export function withoutLeadingSeparator(args: readonly string[]): string[] {
  return args[0] === "--" ? args.slice(1) : [...args];
}

/**
 * Calls `onStop` on Ctrl-C, and on SIGTERM where the OS has it. Returns a function that removes
 * the listeners.
 */
export function onStopSignals(onStop: () => void): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, onStop);
  return () => {
    for (const signal of signals) Deno.removeSignalListener(signal, onStop);
  };
}

/** Writes all of `bytes` to `file` (writeSync may write less than asked). */
export function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
}
