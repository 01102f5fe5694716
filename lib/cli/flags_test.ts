import { deepStrictEqual, equal, match, throws } from "node:assert/strict";
import { UserError } from "../errors.ts";
import { parseFlags } from "./flags.ts";
import { parseReceiverArgs } from "./receiver_options.ts";
import { parseSenderArgs } from "./sender_options.ts";

const OPTIONS = {
  frames: { type: "string" },
  headless: { type: "boolean" },
} as const;

Deno.test("parseFlags takes a negative number as the value of a string flag", () => {
  const table: [string[], Record<string, unknown>][] = [
    [["--frames", "-1"], { frames: "-1" }],
    [["--frames", "-0.5", "--headless"], { frames: "-0.5", headless: true }],
    [["--frames", "-.5"], { frames: "-.5" }],
    [["--frames=-1"], { frames: "-1" }],
    [["--frames", "-0x10"], { frames: "-0x10" }],
  ];
  for (const [args, want] of table) {
    deepStrictEqual({ ...parseFlags("p", args, OPTIONS) }, want, args.join(" "));
  }
});

Deno.test("parseFlags still refuses a flag where a value belongs, and a stray negative number", () => {
  const table: [string[], RegExp][] = [
    // A flag after a string flag is still a missing value, not the value.
    [["--frames", "--headless"], /argument is ambiguous|argument missing/],
    // A negative number after a boolean is no value of anything.
    [["--headless", "-1"], /unknown flag '-1'/],
  ];
  for (const [args, expected] of table) {
    throws(() => parseFlags("p", args, OPTIONS), (error: unknown) => {
      equal(error instanceof UserError, true);
      match((error as Error).message, expected);
      return true;
    }, args.join(" "));
  }
});

Deno.test("every numeric flag of both programs answers a negative number with its range", () => {
  const sender: [string[], RegExp][] = [
    [["--frames", "-1"], /--frames must be a whole number from 1 to \d+, got "-1"/],
    [["--duration", "-1"], /--duration must be a number from 0\.1 to 10000000, got "-1"/],
    [["--fps", "-30"], /--fps must be a whole number from 1 to 240, got "-30"/],
    [["--quality", "-5"], /--quality must be a whole number from 1 to 100, got "-5"/],
    [["--max-datagram", "-1200"], /--max-datagram must be a whole number from 576/],
    [["--to", "239.1.2.3:5000", "--ttl", "-1"], /--ttl must be a whole number from 0 to 255/],
  ];
  for (const [args, expected] of sender) {
    throws(() => parseSenderArgs(args), (error: unknown) => {
      equal((error as UserError).exitCode, 2);
      match((error as Error).message, expected);
      return true;
    }, args.join(" "));
  }
  const receiver: [string[], RegExp][] = [
    [["--frames", "-1"], /--frames must be a whole number from 1 to \d+, got "-1"/],
    [["--duration", "-2.5"], /--duration must be a number from 0\.1 to 10000000, got "-2\.5"/],
    [["--frame-timeout-ms", "-250"], /--frame-timeout-ms must be a whole number from 10/],
    [["--stream", "-0x1"], /--stream must be a hex stream id such as 0x1a2b3c4d, got "-0x1"/],
  ];
  for (const [args, expected] of receiver) {
    throws(() => parseReceiverArgs(args), (error: unknown) => {
      equal((error as UserError).exitCode, 2);
      match((error as Error).message, expected);
      return true;
    }, args.join(" "));
  }
});
