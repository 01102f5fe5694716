/**
 * Shared flag parsing: `node:util` parseArgs with errors that name the flag, the value and what is
 * allowed.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { UserError } from "../errors.ts";

/** Exit code for a bad flag or value. */
const USAGE_EXIT_CODE = 2;

/**
 * Raised for a bad command line; the message says which flag and what is allowed. `options.cause`
 * keeps the error behind it (lib/errors.ts prints it where the message gives no reason).
 */
export function usageError(program: string, message: string, options?: ErrorOptions): UserError {
  return new UserError(
    `${program}: ${message}. Run ${program} --help for usage.`,
    USAGE_EXIT_CODE,
    options,
  );
}

/** What {@linkcode parseFlags} returns: node's parsed values for `options`. */
export type ParsedFlags<T extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>
>["values"];

/** A value that starts with "-" but is a number (`-1`, `-0.5`, `-.5`, `-0x10`), not a flag. */
const NEGATIVE_NUMBER = /^-\.?\d/;

/**
 * `--flag -1` as `--flag=-1` for the flags that take a value: node's parseArgs takes any argument
 * starting with "-" for an option and calls the value "ambiguous", where the user plainly meant a
 * (negative) number that the flag's own check should answer with its range.
 */
function joinNegativeValues(args: string[], options: ParseArgsOptionsConfig): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = /^--([^=]+)$/.exec(args[i])?.[1];
    const next = args[i + 1];
    if (
      name !== undefined && Object.hasOwn(options, name) && options[name].type === "string" &&
      next !== undefined && NEGATIVE_NUMBER.test(next)
    ) {
      joined.push(`${args[i]}=${next}`);
      i++;
    } else {
      joined.push(args[i]);
    }
  }
  return joined;
}

/**
 * Parses `args` strictly; unknown flags and missing values become a {@linkcode UserError}. A
 * negative number after a flag that takes a value is that value (`--frames -1`), so the flag's
 * own check can say what range it allows.
 */
export function parseFlags<T extends ParseArgsOptionsConfig>(
  program: string,
  args: string[],
  options: T,
): ParsedFlags<T> {
  try {
    return parseArgs({
      args: joinNegativeValues(args, options),
      options,
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    // node's messages end with advice about "--" that does not apply here; keep the first sentence.
    const first = raw.split(/\.\s/)[0].replace(/^Unknown option/, "unknown flag");
    // The words are node's, trimmed; its error stays the cause.
    throw usageError(program, `Cannot parse the command line: ${first}`, { cause: error });
  }
}

/** Parses an integer flag value within [min, max]. */
export function intFlag(
  program: string,
  flag: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || number < min || number > max) {
    throw usageError(
      program,
      `--${flag} must be a whole number from ${min} to ${max}, got "${value}"`,
    );
  }
  return number;
}

/** Parses a positive number flag value (decimals allowed) within [min, max]. */
export function numberFlag(
  program: string,
  flag: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number < min || number > max) {
    throw usageError(program, `--${flag} must be a number from ${min} to ${max}, got "${value}"`);
  }
  return number;
}

/** Parses `WIDTHxHEIGHT` with even dimensions (4:2:0 JPEG needs them). */
export function sizeFlag(
  program: string,
  value: string | undefined,
): { width: number; height: number } | null {
  if (value === undefined) return null;
  const match = /^(\d{2,5})x(\d{2,5})$/.exec(value.trim());
  const width = match ? Number(match[1]) : 0;
  const height = match ? Number(match[2]) : 0;
  if (!match || width < 16 || height < 16 || width > 7680 || height > 4320) {
    throw usageError(
      program,
      `--size must be WIDTHxHEIGHT between 16x16 and 7680x4320, got "${value}"`,
    );
  }
  if (width % 2 !== 0 || height % 2 !== 0) {
    throw usageError(program, `--size needs even width and height, got "${value}"`);
  }
  return { width, height };
}
