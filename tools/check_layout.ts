/**
 * `deno task check` runs this: the rules of docs/architecture.md that the type checker cannot see.
 *
 * - A folder with a `mod.ts` is faced: a file outside it imports only its `mod.ts`.
 * - The sans-IO folders (every folder of lib/ but the adapters) import no adapter.
 * - Adapters import only the adapters they are allowed to ({@linkcode ADAPTERS}: io, sdl and
 *   decode load libraries through ffi; the window decodes; cli wires everything).
 * - No import cycle between folders.
 * - lib/ ships: nothing in it imports tests/, bench/, tools/ or an entry point, except its
 *   `_test.ts` files, which may use tests/support/; and no test-only helper (`_name.ts`) lives in it.
 *
 * Prints one line per broken rule and exits 1 when there is any.
 *
 * @module
 */

import { dirname, join, normalize } from "node:path";

/** Adapter folders and the other adapters each may import. */
export const ADAPTERS: Readonly<Record<string, readonly string[]>> = {
  "lib/ffi": [],
  "lib/io": ["lib/ffi"],
  "lib/decode": ["lib/ffi"],
  // The display reads the wall clock (lib/io/clock.ts) to measure latency to the screen.
  "lib/sdl": ["lib/ffi", "lib/decode", "lib/io"],
  "lib/cli": ["lib/ffi", "lib/io", "lib/decode", "lib/sdl"],
};

/** The folder of a file: its directory, relative to the repository root. */
function folderOf(file: string): string {
  return dirname(file);
}

/** The adapter a folder belongs to (itself or a parent), or null for a sans-IO folder of lib/. */
function adapterOf(folder: string): string | null {
  for (const adapter of Object.keys(ADAPTERS)) {
    if (folder === adapter || folder.startsWith(adapter + "/")) return adapter;
  }
  return null;
}

/** The innermost faced folder holding `file`, or null. */
function faceOf(file: string, faced: ReadonlySet<string>): string | null {
  let folder = folderOf(file);
  while (folder.startsWith("lib/")) {
    if (faced.has(folder)) return folder;
    folder = dirname(folder);
  }
  return null;
}

/**
 * The broken rules of an import graph: `imports` maps each file (relative to the repository
 * root) to the files it imports; `faced` is the set of folders with a `mod.ts`.
 *
 * @example A file outside a faced folder that reaches past its mod.ts
 * ```ts
 * import { layoutProblems } from "./check_layout.ts";
 *
 * const problems = layoutProblems(
 *   new Map([["lib/io/udp.ts", ["lib/net/address.ts"]], ["lib/net/address.ts", []]]),
 *   new Set(["lib/net"]),
 * );
 * if (problems.length !== 1) throw new Error("the face rule did not fire");
 * ```
 */
export function layoutProblems(
  imports: ReadonlyMap<string, readonly string[]>,
  faced: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  const folderEdges = new Map<string, Map<string, string>>();
  for (const [file, targets] of imports) {
    const from = folderOf(file);
    const isTest = file.endsWith("_test.ts");
    if (file.startsWith("lib/") && /^_/.test(file.split("/").pop()!)) {
      problems.push(`${file}: test-only helpers live in tests/support/, not in lib/`);
    }
    for (const target of targets) {
      const to = folderOf(target);
      const face = faceOf(target, faced);
      if (face !== null && faceOf(file, faced) !== face && target !== `${face}/mod.ts`) {
        problems.push(`${file}: imports ${target}; import ${face}/mod.ts instead`);
      }
      if (file.startsWith("lib/")) {
        const outside = !target.startsWith("lib/");
        if (outside && !(isTest && target.startsWith("tests/support/"))) {
          problems.push(`${file}: lib/ imports ${target}, which does not ship`);
        }
        const fromAdapter = adapterOf(from);
        const toAdapter = target.startsWith("lib/") ? adapterOf(to) : null;
        if (toAdapter !== null && toAdapter !== fromAdapter) {
          if (fromAdapter === null) {
            problems.push(`${file}: a sans-IO folder imports the adapter ${target}`);
          } else if (!ADAPTERS[fromAdapter].includes(toAdapter)) {
            problems.push(`${file}: ${fromAdapter} may not import ${toAdapter} (${target})`);
          }
        }
      }
      if (from !== to && !isTest && file.startsWith("lib/") && target.startsWith("lib/")) {
        if (!folderEdges.has(from)) folderEdges.set(from, new Map());
        if (!folderEdges.get(from)!.has(to)) folderEdges.get(from)!.set(to, `${file} -> ${target}`);
      }
    }
  }
  problems.push(...folderCycles(folderEdges));
  return problems;
}

/** Every cycle of the folder graph, once each, with one import per edge as evidence. */
function folderCycles(edges: ReadonlyMap<string, ReadonlyMap<string, string>>): string[] {
  const out: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (folder: string) => {
    state.set(folder, "open");
    stack.push(folder);
    for (const next of edges.get(folder)?.keys() ?? []) {
      if (state.get(next) === "open") {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const evidence = cycle.slice(0, -1).map((f, i) => edges.get(f)!.get(cycle[i + 1])!);
        out.push(`import cycle between folders: ${cycle.join(" -> ")} (${evidence.join("; ")})`);
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(folder, "done");
  };
  for (const folder of [...edges.keys()].sort()) if (!state.has(folder)) visit(folder);
  return out;
}

const IMPORT_PATTERN = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*"(\.{1,2}\/[^"]+)"/g;

/** The relative imports of one source text, resolved against `file`. */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(IMPORT_PATTERN)) {
    out.push(normalize(join(dirname(file), match[1])));
  }
  return out;
}

function walk(root: string, dir: string, out: string[]): void {
  for (const entry of Deno.readDirSync(join(root, dir))) {
    if (entry.name === "node_modules" || entry.name.startsWith(".") || entry.name === "dist") {
      continue;
    }
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory) walk(root, path, out);
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url).pathname;
  const files: string[] = [];
  walk(root, "", files);
  const imports = new Map<string, string[]>();
  const faced = new Set<string>();
  for (const file of files) {
    imports.set(file, importsOf(file, Deno.readTextFileSync(join(root, file))));
    if (file.startsWith("lib/") && file.endsWith("/mod.ts")) faced.add(dirname(file));
  }
  const problems = layoutProblems(imports, faced);
  for (const problem of problems) console.error(`check_layout: ${problem}`);
  if (problems.length > 0) {
    console.error(
      `check_layout: ${problems.length} problem(s); the rules are in docs/architecture.md.`,
    );
    Deno.exit(1);
  }
  console.log(`check_layout: ${files.length} files, ${faced.size} faced folders, rules hold`);
}
