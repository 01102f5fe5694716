/**
 * `deno task bench`: runs every benchmark in turn and prints their tables. `--quick` runs each in
 * its short form, to check they all still work (CI can afford that).
 *
 * @module
 */

const BENCHMARKS = ["e2e_bench.ts", "decode_bench.ts", "loss_bench.ts", "peer_bench.ts"];

const quick = Deno.args.includes("--quick");
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
