import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { DEFAULT_FEC_SETTING } from "../fec/mod.ts";
import { UserError } from "../errors.ts";
import { parseFecSetting, parseSenderArgs, type SenderOptions } from "./sender_options.ts";

function options(args: string[]): SenderOptions {
  const command = parseSenderArgs(args);
  if (command.kind !== "stream") throw new Error(`expected stream, got ${command.kind}`);
  return command.options;
}

Deno.test("FEC off and NACK on by default; --fec alone is the default setting", () => {
  equal(options([]).fec, null);
  deepStrictEqual(options(["--fec"]).fec, DEFAULT_FEC_SETTING);
  equal(options([]).nack, true);
  equal(options(["--no-nack"]).nack, false);
  equal(options(["--fec", "off"]).fec, null);
  deepStrictEqual(options(["--fec", "xor:10"]).fec, {
    scheme: "xor",
    groupData: 10,
    groupParity: 1,
    interleaved: true,
  });
  deepStrictEqual(options(["--fec=rs:8/2", "--test-pattern"]).fec, {
    scheme: "rs",
    groupData: 8,
    groupParity: 2,
    interleaved: true,
  });
});

Deno.test("--fec refuses settings it cannot use, naming the flag", () => {
  for (const value of ["rs:250/10", "xor:0", "rs:20", "reed", "rs:20/0", "xor:300"]) {
    throws(() => parseSenderArgs(["--fec", value]), (error: unknown) => {
      equal(error instanceof UserError && error.exitCode, 2, value);
      equal((error as Error).message.includes("--fec"), true, (error as Error).message);
      return true;
    });
  }
  deepStrictEqual(parseFecSetting("RS:4/4"), {
    scheme: "rs",
    groupData: 4,
    groupParity: 4,
    interleaved: true,
  });
});

Deno.test("--new-key-file FILE is a command of its own; an empty name is refused", () => {
  deepStrictEqual(parseSenderArgs(["--new-key-file", "k.key"]), {
    kind: "newKeyFile",
    path: "k.key",
  });
  throws(() => parseSenderArgs(["--new-key-file", " "]), /--new-key-file needs a file name/);
});
