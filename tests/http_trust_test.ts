/**
 * The HTTP view of a real receiver under the attacks of issue #19: the token kept out of the log
 * and `ps`, and (below) the Host check and the connection limits. Loopback only; every wait is
 * bounded.
 */

import { doesNotMatch, equal, match, ok } from "node:assert/strict";
import { startLoopbackReceiver, stopProgram } from "./support/programs.ts";

const TOKEN = "t0ken-that-must-not-leak";

/** Starts a headless receiver with `--http 127.0.0.1:0` and `args`; returns it and the view. */
async function receiverWithView(args: string[], env: Record<string, string> = {}) {
  const { receiver } = await startLoopbackReceiver([
    ...["--headless", "--duration", "60", "--http", "127.0.0.1:0", ...args],
  ], { env });
  const line = await receiver.waitForStderr(/browser view at http:\/\/127\.0\.0\.1:\d+\/\S*/);
  const port = Number(/:(\d+)\//.exec(line)![1]);
  return { receiver, port, line };
}

async function status(url: string): Promise<number> {
  const response = await fetch(url);
  await response.body?.cancel();
  return response.status;
}

Deno.test("udpcam-recv: a token from --http-token-file or UDPCAM_HTTP_TOKEN is not in the log or in ps", async () => {
  const dir = await Deno.makeTempDir({ prefix: "udpcam-http-trust-" });
  try {
    await Deno.writeTextFile(`${dir}/token`, `${TOKEN}\n`);
    const runs: [string, string[], Record<string, string>][] = [
      ["file", ["--http-token-file", `${dir}/token`], {}],
      ["environment", [], { UDPCAM_HTTP_TOKEN: TOKEN }],
    ];
    for (const [name, args, env] of runs) {
      const { receiver, port, line } = await receiverWithView(args, env);
      try {
        equal(line, `browser view at http://127.0.0.1:${port}/`, name);
        await receiver.waitForStderr(/the browser view needs \?token=TOKEN/);
        const base = `http://127.0.0.1:${port}`;
        equal(await status(`${base}/stats.json`), 401, name);
        equal(await status(`${base}/stats.json?token=${TOKEN}`), 200, name);
        const cmdline = await Deno.readTextFile(`/proc/${receiver.child.pid}/cmdline`);
        ok(cmdline.includes("--http"), `${name}: not the receiver's command line: ${cmdline}`);
        ok(!cmdline.includes(TOKEN), `${name}: the token is in ps: ${cmdline}`);
      } finally {
        const result = await stopProgram(receiver);
        equal(result.code, 0, result.stderr);
        ok(!result.stderr.includes(TOKEN), `${name}: the token is in the log:\n${result.stderr}`);
        ok(!result.stdout.includes(TOKEN), `${name}: the token is on stdout`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("udpcam-recv --show-token prints the address with the token", async () => {
  const { receiver, port, line } = await receiverWithView([
    ...["--http-token", TOKEN, "--show-token"],
  ]);
  try {
    equal(line, `browser view at http://127.0.0.1:${port}/?token=${TOKEN}`);
  } finally {
    const result = await stopProgram(receiver);
    doesNotMatch(result.stderr, /needs \?token=TOKEN/);
    match(result.stderr, /browser view at/);
  }
});
