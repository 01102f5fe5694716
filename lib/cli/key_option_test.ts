import { deepStrictEqual, equal, notDeepStrictEqual, throws } from "node:assert/strict";
import { KEY_ENV, resolveKey } from "./key_option.ts";
import { UserError } from "../errors.ts";

const text = (value: string) => new TextEncoder().encode(value);

const files: Record<string, Uint8Array> = {
  "/k": text("file passphrase\n"),
  "/crlf": text("file passphrase\r\n"),
  "/bare": text("file passphrase"),
  "/spaces": text("  file passphrase  \n"),
  "/short": text("abc\n"),
  "/eleven": text("elevenchars\n"),
  "/two-lines": text("file passphrase\nsecond line\n"),
  "/long": new Uint8Array(4097).fill(0x61),
  // Two binary keys that differ only in bytes that are not UTF-8 (decoded lossily, both were
  // "\ufffd\ufffd..." and gave the same key).
  "/binary-a": new Uint8Array([0xff, 0xfe, 0x80, 0x81, 0x0a, 0x00, 0xc3, 0x28, 0x90, 0x91, 1, 2]),
  "/binary-b": new Uint8Array([0xfe, 0xff, 0x81, 0x80, 0x0a, 0x00, 0xc3, 0x28, 0x91, 0x90, 1, 2]),
  "/binary-short": new Uint8Array([
    0xff,
    0xfe,
    0x80,
    0x81,
    0x82,
    0x83,
    0x84,
    0x85,
    0x86,
    0x87,
    0x88,
  ]),
};
const read = (path: string) => {
  if (!(path in files)) throw new Error("No such file or directory (os error 2)");
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
    readKeyFile: read,
    wire,
  });
}

Deno.test("the key comes from --key, else --key-file, else UDPCAM_KEY, as bytes", () => {
  equal(key({}), null);
  deepStrictEqual(
    key({ key: "flag passphrase" }, { [KEY_ENV]: "env passphrase" }),
    text("flag passphrase"),
  );
  deepStrictEqual(
    key({ keyFile: "/k" }, { [KEY_ENV]: "env passphrase" }),
    text("file passphrase"),
  );
  deepStrictEqual(key({}, { [KEY_ENV]: "env passphrase" }), text("env passphrase"));
  equal(key({}, { [KEY_ENV]: "" }), null);
  // Non-ASCII passphrases are their UTF-8 bytes, and count characters, not bytes.
  deepStrictEqual(key({ key: "секретный ключ" }), text("секретный ключ"));
});

Deno.test("--key-file: exact bytes less one final line ending (table)", () => {
  const table: [string, Uint8Array][] = [
    ["/k", text("file passphrase")],
    ["/crlf", text("file passphrase")],
    ["/bare", text("file passphrase")],
    // Spaces are part of the key: only the line ending goes.
    ["/spaces", text("  file passphrase  ")],
    // Binary: every byte, the 0x0a in the middle too.
    ["/binary-a", files["/binary-a"]],
    ["/binary-b", files["/binary-b"]],
  ];
  for (const [path, want] of table) deepStrictEqual(key({ keyFile: path }), want, path);
  notDeepStrictEqual(key({ keyFile: "/binary-a" }), key({ keyFile: "/binary-b" }));
});

Deno.test("bad keys and combinations are usage errors naming the flag (table)", () => {
  const table: [() => unknown, RegExp][] = [
    [() => key({ key: "a long passphrase", keyFile: "/k" }), /--key or --key-file, not both/],
    [() => key({ keyFile: "/missing" }), /Cannot read --key-file \/missing/],
    [() => key({ keyFile: "/short" }), /--key-file \/short has 3 characters/],
    [() => key({ keyFile: "/eleven" }), /has 11 characters; use at least 12, or a random key/],
    [() => key({ keyFile: "/binary-short" }), /--key-file \/binary-short has 11 bytes/],
    [() => key({ keyFile: "/two-lines" }), /more than one line of text; put only the key/],
    [() => key({ keyFile: "/long" }), /--key-file \/long is over 4096 bytes/],
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
