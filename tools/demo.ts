/**
 * `deno task demo`: a sender on ffmpeg's test pattern and a receiver on loopback, in one command,
 * with no camera. Extra flags go to the receiver (e.g. `deno task demo -- --headless`).
 *
 * @module
 */

import { runMain } from "../lib/cli/run_main.ts";
import { UserError } from "../lib/errors.ts";

const ROOT = new URL("../", import.meta.url);
const DEMO_PORT = "12345";

function denoRun(entry: string, args: string[], stderr: "inherit" | "piped"): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "-A",
      "--config",
      new URL("deno.json", ROOT).pathname,
      new URL(entry, ROOT).pathname,
      ...args,
    ],
    stdin: "null",
    stdout: "inherit",
    stderr,
  }).spawn();
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(
      "deno task demo [-- receiver flags]: test pattern -> udpcam-send -> 127.0.0.1:12345 -> udpcam-recv",
    );
    return 0;
  }
  const receiver = denoRun(
    "receiver.ts",
    ["--listen", `127.0.0.1:${DEMO_PORT}`, ...args],
    "inherit",
  );
  // Give the receiver a moment to bind before frames arrive; the sender's first frames are not lost anyway.
  await new Promise((resolve) => setTimeout(resolve, 700));
  const sender = denoRun(
    "sender.ts",
    ["--test-pattern", "--to", `127.0.0.1:${DEMO_PORT}`],
    "piped",
  );
  const senderErrors = (async () => {
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of sender.stderr) text = (text + decoder.decode(chunk)).slice(-4000);
    return text;
  })();
  const stopBoth = () => {
    for (const child of [sender, receiver]) {
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
    }
  };
  Deno.addSignalListener("SIGINT", stopBoth);
  const first = await Promise.race([
    receiver.status.then((status) => ({ who: "receiver", status })),
    sender.status.then((status) => ({ who: "sender", status })),
  ]);
  stopBoth();
  await Promise.allSettled([receiver.status, sender.status]);
  if (first.who === "sender" && first.status.code !== 0) {
    const lines = (await senderErrors).trim().split("\n").filter((l) =>
      !l.startsWith("udpcam-send ->")
    );
    throw new UserError(`the demo's sender stopped: ${lines.at(-1) ?? "no message"}`);
  }
  return first.who === "receiver" ? first.status.code : 0;
}

if (import.meta.main) await runMain("udpcam demo", main);
