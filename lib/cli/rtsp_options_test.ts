import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { describeError, UserError } from "../errors.ts";
import {
  MAX_RTSP_USER_FILE_BYTES,
  resolveRtspSettings,
  RTSP_USER_ENV,
  type RtspFlagValues,
} from "./rtsp_options.ts";
import { parseReceiverArgs } from "./receiver_options.ts";

const encoder = new TextEncoder();
const FILES: Record<string, Uint8Array> = {
  "/one": encoder.encode("cam:s3cret\n"),
  "/two": encoder.encode("# viewers\r\ncam:s3cret\r\n\r\nnvr:pass:with:colons\r\n"),
  "/empty": encoder.encode("# nobody\n\n"),
  "/big": new Uint8Array(MAX_RTSP_USER_FILE_BYTES + 1).fill(0x61),
  "/latin1": new Uint8Array([0x63, 0x3a, 0xe9]),
};
const read = (path: string, maxBytes: number) => {
  const bytes = FILES[path];
  if (bytes === undefined) throw new Error("No such file or directory (os error 2)");
  return bytes.subarray(0, maxBytes + 1);
};

function settings(flags: RtspFlagValues, env: Record<string, string> = {}) {
  return resolveRtspSettings("udpcam-test", flags, (name) => env[name], read);
}

Deno.test("--rtsp: host 127.0.0.1 unless given, path /udpcam unless given", () => {
  equal(settings({}), null);
  deepStrictEqual(settings({ rtsp: "8554" }), {
    listen: { hostname: "127.0.0.1", port: 8554 },
    path: "/udpcam",
    users: [],
  });
  deepStrictEqual(settings({ rtsp: "0.0.0.0:0" })?.listen, { hostname: "0.0.0.0", port: 0 });
  deepStrictEqual(settings({ rtsp: "[::]:8554" })?.listen, { hostname: "::", port: 8554 });
  const paths: [string, string][] = [
    ["cam", "/cam"],
    ["/cam", "/cam"],
    ["cams/front/", "/cams/front"],
    ["live.sdp", "/live.sdp"],
  ];
  for (const [given, path] of paths) equal(settings({ rtsp: "1", "rtsp-path": given })?.path, path);
});

Deno.test("credentials come from --rtsp-user, else --rtsp-user-file, else UDPCAM_RTSP_USER", () => {
  const env = { [RTSP_USER_ENV]: "env:password" };
  deepStrictEqual(settings({ rtsp: "1", "rtsp-user": ["a:b", "c:d:e"] }, env)?.users, [
    { username: "a", password: "b" },
    { username: "c", password: "d:e" },
  ]);
  deepStrictEqual(settings({ rtsp: "1", "rtsp-user-file": "/one" }, env)?.users, [
    { username: "cam", password: "s3cret" },
  ]);
  deepStrictEqual(settings({ rtsp: "1", "rtsp-user-file": "/two" })?.users, [
    { username: "cam", password: "s3cret" },
    { username: "nvr", password: "pass:with:colons" },
  ]);
  deepStrictEqual(settings({ rtsp: "1" }, env)?.users, [{ username: "env", password: "password" }]);
  deepStrictEqual(settings({ rtsp: "1" }, { [RTSP_USER_ENV]: "" })?.users, []);
});

Deno.test("bad RTSP flags are usage errors saying what to do, never echoing a password (table)", () => {
  const table: [RtspFlagValues, Record<string, string>, RegExp][] = [
    [{ rtsp: "nope" }, {}, /--rtsp "nope" is not HOST:PORT/],
    [{ rtsp: "99999" }, {}, /--rtsp "99999" has no valid port/],
    [{ "rtsp-path": "x" }, {}, /--rtsp-path only applies with --rtsp/],
    [{ "rtsp-user": ["a:b"] }, {}, /--rtsp-user only applies with --rtsp/],
    [{ "rtsp-user-file": "/one" }, {}, /--rtsp-user-file only applies with --rtsp/],
    [{ rtsp: "1", "rtsp-path": "/" }, {}, /--rtsp-path must be a path/],
    [{ rtsp: "1", "rtsp-path": "a b" }, {}, /--rtsp-path must be a path/],
    [{ rtsp: "1", "rtsp-path": "a//b" }, {}, /--rtsp-path must be a path/],
    [{ rtsp: "1", "rtsp-path": "a?b" }, {}, /--rtsp-path must be a path/],
    [{ rtsp: "1", "rtsp-user": ["nocolon"] }, {}, /--rtsp-user: write the account as NAME:PASS/],
    [{ rtsp: "1", "rtsp-user": [":secretpw"] }, {}, /--rtsp-user: the user name must be 1 to/],
    [{ rtsp: "1", "rtsp-user": ["cam:"] }, {}, /the password of "cam" must be 1 to 256/],
    [{ rtsp: "1", "rtsp-user": ["cam:a\tb"] }, {}, /without control characters/],
    [{ rtsp: "1", "rtsp-user": ["a:b", "a:c"] }, {}, /user "a" is given twice/],
    [{ rtsp: "1", "rtsp-user": ["a:b"], "rtsp-user-file": "/one" }, {}, /not both/],
    [{ rtsp: "1", "rtsp-user-file": "/missing" }, {}, /Cannot read --rtsp-user-file \/missing/],
    [{ rtsp: "1", "rtsp-user-file": "/big" }, {}, /is over 4096 bytes/],
    [{ rtsp: "1", "rtsp-user-file": "/empty" }, {}, /has no NAME:PASSWORD line/],
    [{ rtsp: "1", "rtsp-user-file": "/latin1" }, {}, /is not UTF-8 text/],
    [{ rtsp: "1" }, { [RTSP_USER_ENV]: "secretpw" }, /UDPCAM_RTSP_USER: write the account/],
    [
      { rtsp: "1", "rtsp-user": Array.from({ length: 17 }, (_, i) => `u${i}:p`) },
      {},
      /at most 16 RTSP accounts/,
    ],
  ];
  for (const [flags, env, message] of table) {
    throws(() => settings(flags, env), (error: unknown) => {
      ok(error instanceof UserError, String(error));
      equal(error.exitCode, 2);
      const text = describeError(error);
      ok(message.test(text), text);
      ok(!text.includes("secretpw"), `a password in: ${text}`);
      ok(text.endsWith("Run udpcam-test --help for usage."), text);
      return true;
    });
  }
});

Deno.test("udpcam-recv --rtsp re-serves next to --http; its companions need it", () => {
  const command = parseReceiverArgs([
    "--rtsp",
    "0.0.0.0:8554",
    "--rtsp-path",
    "door",
    "--http",
    "8080",
  ]);
  ok(command.kind === "receive");
  deepStrictEqual(command.options.rtsp, {
    listen: { hostname: "0.0.0.0", port: 8554 },
    path: "/door",
    users: [],
  });
  deepStrictEqual(command.options.http, { hostname: "127.0.0.1", port: 8080 });
  const none = parseReceiverArgs([]);
  ok(none.kind === "receive" && none.options.rtsp === null);
  throws(() => parseReceiverArgs(["--rtsp-path", "x"]), /--rtsp-path only applies with --rtsp/);
});
