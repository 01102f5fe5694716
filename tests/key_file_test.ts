/**
 * `--key-file` on a real udpcam-recv (issue #19, finding 12): a device, a FIFO or a directory is
 * refused at once with exit code 2 and a sentence naming the flag, never read or waited on.
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
