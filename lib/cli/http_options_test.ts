import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import { UserError } from "../errors.ts";
import {
  HTTP_TOKEN_ENV,
  httpOpenWarning,
  httpTokenNote,
  receiverHttpOptions,
} from "./http_options.ts";
import { parseReceiverArgs } from "./receiver_options.ts";

async function inTempDir(body: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "udpcam-http-options-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function options(args: string[], env: Record<string, string> = {}) {
  const command = parseReceiverArgs(args, (name) => env[name]);
  if (command.kind !== "receive") throw new Error("expected receive");
  const { http, httpToken, httpTokenFrom, showToken } = command.options;
  return { http, httpToken, httpTokenFrom, showToken };
}

Deno.test("the HTTP token comes from --http-token-file, UDPCAM_HTTP_TOKEN or --http-token", async () => {
  await inTempDir((dir) => {
    Deno.writeTextFileSync(`${dir}/token`, "t0ken-from-file\nsecond line ignored\n");
    Deno.writeTextFileSync(`${dir}/crlf`, "crlf-t0ken\r\n");
    const http = { hostname: "127.0.0.1", port: 8080 };
    const env = { [HTTP_TOKEN_ENV]: "t0ken-from-env" };
    const table: [string[], Record<string, string>, ReturnType<typeof options>][] = [
      [["--http", "8080"], {}, { http, httpToken: null, httpTokenFrom: null, showToken: false }],
      [["--http", "8080", "--http-token-file", `${dir}/token`], env, {
        http,
        httpToken: "t0ken-from-file",
        httpTokenFrom: `--http-token-file ${dir}/token`,
        showToken: false,
      }],
      [["--http", "8080", "--http-token-file", `${dir}/crlf`, "--show-token"], {}, {
        http,
        httpToken: "crlf-t0ken",
        httpTokenFrom: `--http-token-file ${dir}/crlf`,
        showToken: true,
      }],
      [["--http", "8080"], env, {
        http,
        httpToken: "t0ken-from-env",
        httpTokenFrom: HTTP_TOKEN_ENV,
        showToken: false,
      }],
      [["--http", "8080", "--http-token", "t0ken-on-line"], env, {
        http,
        httpToken: "t0ken-on-line",
        httpTokenFrom: "--http-token",
        showToken: false,
      }],
      // Without --http the variable is someone else's business (a shell profile): ignored.
      [[], env, { http: null, httpToken: null, httpTokenFrom: null, showToken: false }],
    ];
    for (const [args, env, want] of table) {
      deepStrictEqual(options(args, env), want, args.join(" "));
    }
  });
});

Deno.test("token files: at most 4 KB read, regular files only, bytes taken exactly", async () => {
  await inTempDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/big`, "x".repeat(4097));
    Deno.writeTextFileSync(`${dir}/limit`, "y".repeat(4096));
    Deno.writeFileSync(`${dir}/binary`, new Uint8Array([0x74, 0xc3, 0xa9, 0x0a]));
    Deno.writeFileSync(`${dir}/latin1`, new Uint8Array([0x74, 0xe9, 0x0a]));
    Deno.writeTextFileSync(`${dir}/empty`, "\n");
    Deno.mkdirSync(`${dir}/folder`);
    const fifo = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    ok(fifo.success, "mkfifo is required for this test (coreutils)");
    const table: [string, RegExp][] = [
      // /dev/zero is endless: it must be refused before anything is read.
      ["/dev/zero", /\/dev\/zero: it is not a regular file \(a FIFO, device or folder\)/],
      // A FIFO nobody writes to would block the start forever if it were opened.
      [`${dir}/fifo`, /fifo: it is not a regular file/],
      [`${dir}/folder`, /folder: it is not a regular file/],
      [`${dir}/big`, /big: it is over 4096 bytes\. Put only the token in it/],
      [`${dir}/limit`, /the token from --http-token-file .*limit: the token is longer than 256/],
      [`${dir}/binary`, /the token must be printable ASCII without spaces/],
      [`${dir}/latin1`, /the token must be printable ASCII without spaces/],
      [`${dir}/empty`, /the token is empty/],
      [`${dir}/missing`, /Cannot read --http-token-file .*missing/],
    ];
    for (const [path, expected] of table) {
      throws(() => options(["--http", "8080", "--http-token-file", path]), (error: unknown) => {
        ok(error instanceof UserError);
        equal(error.exitCode, 2);
        match(error.message, expected);
        return true;
      }, path);
    }
  });
});

Deno.test("the HTTP token flags refuse what makes no sense", () => {
  const table: [string[], Record<string, string>, RegExp][] = [
    [["--http-token", "abc"], {}, /--http-token only applies with --http/],
    [["--http-token-file", "f"], {}, /--http-token-file only applies with --http/],
    [["--show-token"], {}, /--show-token only applies with --http/],
    [["--http", "8080", "--http-token", "a", "--http-token-file", "f"], {}, /give the token once/],
    [["--http", "8080", "--http-token", "a b"], {}, /printable ASCII without spaces/],
    [["--http", "8080"], { [HTTP_TOKEN_ENV]: "a b" }, /from UDPCAM_HTTP_TOKEN: .*printable/],
    [["--http", "x:y"], {}, /--http "x:y" has no valid port/],
    [["--http-open"], {}, /--http-open only applies with --http/],
    [["--http-host", "cam.lan"], {}, /--http-host only applies with --http/],
    [["--http", "8080", "--http-host", "a b"], {}, /--http-host needs a host name or address/],
    [["--http", "8080", "--http-host", "x@cam.lan"], {}, /--http-host needs a host name/],
  ];
  for (const [args, env, expected] of table) {
    throws(() => options(args, env), (error: unknown) => {
      equal((error as UserError).exitCode, 2);
      match((error as Error).message, expected);
      return true;
    }, args.join(" "));
  }
});

Deno.test("httpTokenNote: says where the token is unless it is printed", () => {
  const base = receiverHttpOptions("p", { http: "8080" }, () => undefined);
  equal(httpTokenNote(base), null);
  const withToken = { ...base, httpToken: "t", httpTokenFrom: "--http-token-file /etc/t" };
  equal(
    httpTokenNote(withToken),
    "the browser view needs ?token=TOKEN (TOKEN from --http-token-file /etc/t) after the " +
      "address; --show-token prints the address with it",
  );
  equal(httpTokenNote({ ...withToken, showToken: true }), null);
});

Deno.test("--http beyond loopback needs a token or --http-open", () => {
  const start = (args: string[], env: Record<string, string> = {}) =>
    receiverHttpOptions("udpcam-recv", {
      http: args[0],
      "http-token": args.includes("--http-token") ? "t0ken" : undefined,
      "http-open": args.includes("--http-open"),
    }, (name) => env[name]);
  for (
    const address of ["8080", "127.0.0.1:8080", "127.0.0.5:8080", "localhost:8080", "[::1]:8080"]
  ) {
    equal(httpOpenWarning(start([address])), null, address);
  }
  for (const address of ["0.0.0.0:8080", "[::]:8080", "192.168.1.20:8080", "cam.lan:8080"]) {
    throws(() => start([address]), (error: unknown) => {
      equal((error as UserError).exitCode, 2);
      match(
        (error as Error).message,
        /serves the camera beyond this machine without a token: anyone who can reach it could watch\. Give a token \(--http-token-file FILE or UDPCAM_HTTP_TOKEN\), or add --http-open/,
      );
      return true;
    }, address);
    equal(httpOpenWarning(start([address, "--http-token"])), null, address);
    equal(httpOpenWarning(start([address], { [HTTP_TOKEN_ENV]: "t0ken" })), null, address);
    match(
      httpOpenWarning(start([address, "--http-open"]))!,
      /^warning: the browser view on \S+ has no token \(--http-open\): anyone who can reach this machine can watch the camera$/,
    );
  }
  deepStrictEqual(
    receiverHttpOptions(
      "p",
      { http: "8080", "http-host": ["cam.lan", "[fd00::2]"] },
      () => undefined,
    )
      .httpHosts,
    ["cam.lan", "[fd00::2]"],
  );
});
