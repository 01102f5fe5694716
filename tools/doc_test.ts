/**
 * `deno task test` runs this after the tests: type-checks and runs every `@example` (every ```ts
 * block of a JSDoc comment) in lib/ and tools/, with tools/doctest.json. That config is deno.json's
 * without `noUnusedLocals`: Deno adds an import of every export of the module to each example,
 * and the strict setting would refuse the ones an example does not use.
 *
 * @module
 */

import { join } from "node:path";

/** The modules whose JSDoc examples are tested: everything but tests and the receive worker. */
export function documentedModules(files: readonly string[]): string[] {
  return files.filter((file) =>
    /^(lib|tools)\/.*\.ts$/.test(file) && !file.endsWith("_test.ts") &&
    // A worker script: importing it outside a worker would run its message loop.
    file !== "lib/io/receive_worker.ts"
  ).sort();
}

function walk(root: string, dir: string, out: string[]): void {
  for (const entry of Deno.readDirSync(join(root, dir))) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) walk(root, path, out);
    else out.push(path);
  }
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url).pathname;
  const files: string[] = [];
  for (const dir of ["lib", "tools"]) walk(root, dir, files);
  const modules = documentedModules(files);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--doc", "-A", "--config", "tools/doctest.json", ...modules],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  Deno.exit(code);
}
