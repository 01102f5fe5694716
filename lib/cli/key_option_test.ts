import { equal, throws } from "node:assert/strict";
import { KEY_ENV, resolveKey } from "./key_option.ts";
import { UserError } from "../errors.ts";

const files: Record<string, string> = { "/k": "file passphrase\n", "/short": "abc\n" };
const read = (path: string) => {
  if (!(path in files)) throw new Error("No such file or directory");
  return files[path];
};

function key(
  flags: { key?: string; keyFile?: string },
  env: Record<string, string> = {},
  wire = "v1",
) {
  return resolveKey("udpcam-test", {
    key: flags.key,
    keyFile: flags.keyFile,
    env: (name) => env[name],
    readTextFile: read,
    wire,
  });
}

Deno.test("the passphrase comes from --key, else --key-file, else UDPCAM_KEY", () => {
  equal(key({}), null);
  equal(key({ key: "flag passphrase" }, { [KEY_ENV]: "env passphrase" }), "flag passphrase");
  equal(key({ keyFile: "/k" }, { [KEY_ENV]: "env passphrase" }), "file passphrase");
  equal(key({}, { [KEY_ENV]: "env passphrase" }), "env passphrase");
  equal(key({}, { [KEY_ENV]: "" }), null);
});

Deno.test("bad passphrases and combinations are usage errors naming the flag (table)", () => {
  const table: [() => unknown, RegExp][] = [
    [() => key({ key: "a long passphrase", keyFile: "/k" }), /--key or --key-file, not both/],
    [() => key({ keyFile: "/missing" }), /Cannot read --key-file \/missing/],
    [() => key({ keyFile: "/short" }), /--key-file \/short has 3 characters/],
    [() => key({ key: "short" }), /--key has 5 characters/],
    [() => key({ key: "a long passphrase" }, {}, "rtp"), /--key needs --wire v1/],
    [() => key({}, { [KEY_ENV]: "a long passphrase" }, "legacy"), /unset UDPCAM_KEY/],
  ];
  for (const [call, message] of table) {
    throws(call, (error: unknown) => {
      equal(error instanceof UserError, true);
      equal((error as UserError).exitCode, 2);
      return message.test((error as Error).message);
    });
  }
});
