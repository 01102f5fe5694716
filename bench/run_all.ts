/**
 * `deno task bench`: runs every benchmark in turn and prints their tables. `--quick` runs each in
 * its short form, to check they all still work (CI can afford that). `--write FILE` (e.g.
 * docs/benchmarks.md) has the benchmarks that generate tables rewrite theirs in FILE.
 *
 * @module
 */

import { parseArgs } from "node:util";

const BENCHMARKS = [
  "e2e_bench.ts",
  "decode_bench.ts",
  "loss_bench.ts",
  "peer_bench.ts",
  "crypto_bench.ts",
  "rtsp_bench.ts",
  "transcode_bench.ts",
  "link_bench.ts",
  "link_wide_bench.ts",
  "link_tbf_bench.ts",
];
/** The benchmarks that regenerate their section of a document with `--write FILE`. */
const WRITERS = new Set([
  "e2e_bench.ts",
  "loss_bench.ts",
  "peer_bench.ts",
  "rtsp_bench.ts",
  "transcode_bench.ts",
  "link_bench.ts",
  "link_wide_bench.ts",
  "link_tbf_bench.ts",
]);

const flags = parseArgs({
  args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
  options: { quick: { type: "boolean" }, write: { type: "string" } },
}).values;
const quick = flags.quick ?? false;
let failed = 0;
for (const bench of BENCHMARKS) {
  console.log(`\n## ${bench}\n`);
  const status = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      new URL(bench, import.meta.url).pathname,
      ...(quick ? ["--quick"] : []),
      ...(flags.write && WRITERS.has(bench) ? ["--write", flags.write] : []),
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) {
    console.error(`bench: ${bench} failed with exit code ${status.code}`);
    failed++;
  }
}
Deno.exit(failed === 0 ? 0 : 1);
