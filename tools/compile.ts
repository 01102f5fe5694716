/**
 * `deno task compile`: builds udpcam-send and udpcam-recv for every supported target into dist/,
 * with the narrowest permissions baked in (tools/permissions.ts).
 *
 * `deno compile` downloads a runtime per target, so this needs access to Deno's download server.
 * Flags: `--target TRIPLE` (repeatable) to build a subset, `--dry-run` to print the commands.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  RECEIVER_PERMISSIONS,
  SENDER_PERMISSIONS,
  UNSTABLE_FLAGS,
  V8_FLAGS,
} from "./permissions.ts";
import { VERSION } from "../lib/version.ts";

/** Every target we ship. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

const ROOT = new URL("../", import.meta.url).pathname;

/** The `deno compile` arguments for one program and target. */
export function compileArgs(program: "send" | "recv", target: string): string[] {
  const entry = program === "send" ? "sender.ts" : "receiver.ts";
  const permissions = program === "send" ? SENDER_PERMISSIONS : RECEIVER_PERMISSIONS;
  const suffix = target.includes("windows") ? ".exe" : "";
  return [
    "compile",
    "--no-check",
    ...UNSTABLE_FLAGS,
    ...V8_FLAGS,
    ...permissions,
    // The receive worker is loaded by URL at run time, so it must be embedded explicitly.
    ...(program === "recv" ? ["--include", `${ROOT}lib/io/receive_worker.ts`] : []),
    "--target",
    target,
    "--output",
    `${ROOT}dist/udpcam-${program}-${VERSION}-${target}${suffix}`,
    `${ROOT}${entry}`,
  ];
}

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: { target: { type: "string", multiple: true }, "dry-run": { type: "boolean" } },
  });
  const targets = values.target ?? [...TARGETS];
  for (const target of targets) {
    if (!(TARGETS as readonly string[]).includes(target)) {
      console.error(`compile: unknown target ${target}; choose from ${TARGETS.join(", ")}`);
      Deno.exit(2);
    }
    for (const program of ["send", "recv"] as const) {
      const args = compileArgs(program, target);
      console.log(`deno ${args.join(" ")}`);
      if (values["dry-run"]) continue;
      const status = await new Deno.Command(Deno.execPath(), { args }).spawn().status;
      if (!status.success) {
        console.error(`compile: udpcam-${program} for ${target} failed (exit ${status.code})`);
        Deno.exit(1);
      }
    }
  }
}

if (import.meta.main) await main();
