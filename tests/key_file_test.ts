/**
 * `--key-file` on a real udpcam-recv (issue #19, finding 12): a device, a FIFO or a directory is
 * refused at once with exit code 2 and a sentence naming the flag, never read or waited on; and
 * `udpcam-send --new-key-file` (finding 13), the random key that beats any passphrase.
 */

import { equal, match } from "node:assert/strict";
import { startProgram, stopProgram } from "./support/programs.ts";

/** Longer than the receiver needs to refuse a flag; a run that outlives it is killed. */
const REFUSE_WITHIN_MS = 15_000;

async function refusal(keyFile: string): Promise<{ code: number; stderr: string }> {
  const receiver = startProgram("receiver.ts", [
    "--headless",
    "--listen",
    "127.0.0.1:0",
    "--duration",
    "1",
    "--key-file",
    keyFile,
  ]);
  const timer = setTimeout(() => stopProgram(receiver), REFUSE_WITHIN_MS);
  try {
    return await receiver.done;
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("--key-file refuses a FIFO, /dev/zero and a directory at once (exit 2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "udpcam-key-file-" });
  try {
    const fifo = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    equal(fifo.code, 0, "mkfifo is required for this test: install coreutils");
    const table: [string, RegExp][] = [
      [`${dir}/fifo`, /named pipe \(FIFO\), not a regular file/],
      ["/dev/zero", /character device, not a regular file/],
      [dir, /directory, not a regular file/],
    ];
    for (const [path, reason] of table) {
      const { code, stderr } = await refusal(path);
      equal(code, 2, `${path}: ${stderr}`);
      match(stderr, /Cannot read --key-file /, path);
      match(stderr, reason, path);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("udpcam-send --new-key-file writes a 0600 key once, then refuses to overwrite it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "udpcam-new-key-" });
  try {
    const path = `${dir}/stream.key`;
    const first = await startProgram("sender.ts", ["--new-key-file", path]).done;
    equal(first.code, 0, first.stderr);
    match(first.stderr, /wrote a new random key to .*stream\.key .*--key-file/);
    match(Deno.readTextFileSync(path), /^[A-Za-z0-9_-]{43}\n$/);
    equal(Deno.statSync(path).mode! & 0o777, 0o600);
    const key = Deno.readTextFileSync(path);
    const again = await startProgram("sender.ts", ["--new-key-file", path]).done;
    equal(again.code, 1, again.stderr);
    match(again.stderr, /Cannot write --new-key-file .*: it exists\. Choose another name/);
    equal(Deno.readTextFileSync(path), key);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
