import { deepEqual, ok } from "node:assert/strict";
import {
  CI_TOOLS,
  findTestFiles,
  MAX_MODULES_PER_TEST,
  REPO_ROOT,
  sourceReader,
  testFilesFor,
  type Tool,
  toolsNeeded,
} from "./test_files.ts";

function reader(files: Record<string, string>) {
  return (path: string) => files[path] ?? null;
}

Deno.test("toolsNeeded: tools named in the test and in the local modules it imports", () => {
  const files = {
    "tests/a_test.ts": `import { x } from "./support/run.ts";\nimport "npm:yaml";\nx("Xvfb");`,
    "tests/support/run.ts": `import { y } from "../../lib/io/lib.ts"; export const x = 1;`,
    "lib/io/lib.ts": `const lib = Deno.dlopen(path, SDL_SYMBOLS);\nrun("gst-launch-1.0")`,
    "lib/plain_test.ts": `import { y } from "./plain.ts"; // mentions ffmpeg only in prose`,
    "lib/plain.ts": `export const y = "not a tool";`,
  };
  deepEqual([...toolsNeeded("tests/a_test.ts", reader(files))].sort(), [
    "gstreamer",
    "sdl2",
    "xvfb",
  ]);
  deepEqual([...toolsNeeded("lib/plain_test.ts", reader(files))], []);
});

Deno.test("toolsNeeded: import cycles and missing modules end the walk", () => {
  const files = {
    "lib/a_test.ts": `import "./b.ts"; import "./gone.ts";`,
    "lib/b.ts": `import "./a_test.ts"; new Deno.Command("ffmpeg")`,
  };
  deepEqual([...toolsNeeded("lib/a_test.ts", reader(files))], ["ffmpeg"]);
  // A chain longer than the bound stops instead of reading forever.
  let reads = 0;
  const endless = (path: string) => {
    reads++;
    const n = Number(/m(\d+)/.exec(path)?.[1] ?? 0);
    return `import "./m${n + 1}.ts";`;
  };
  toolsNeeded("lib/m0.ts", endless);
  ok(reads <= MAX_MODULES_PER_TEST + 1, `${reads} reads`);
});

Deno.test("testFilesFor: a file runs where every tool it needs is installed", () => {
  const files = {
    "lib/pure_test.ts": `export {};`,
    "lib/ff_test.ts": `run("ffmpeg")`,
    "lib/im_test.ts": `run("convert")`,
    "tests/x_test.ts": `run("xdotool")`,
  };
  const all = Object.keys(files);
  deepEqual(testFilesFor("linux", all, reader(files)), all);
  deepEqual(testFilesFor("macos", all, reader(files)), [
    "lib/pure_test.ts",
    "lib/ff_test.ts",
    "lib/im_test.ts",
  ]);
  deepEqual(testFilesFor("windows", all, reader(files)), ["lib/pure_test.ts", "lib/ff_test.ts"]);
});

Deno.test("the repository's tests: Linux runs all, the window test is Linux-only", () => {
  const root = REPO_ROOT;
  const read = sourceReader(root);
  const all = findTestFiles(root);
  ok(
    all.includes("lib/wire/v1/header_test.ts") && all.includes("tests/window_test.ts"),
    all.join(" "),
  );
  ok(all.includes("tools/test_files_test.ts"), all.join(" "));
  deepEqual(testFilesFor("linux", all, read), all);
  for (const os of ["macos", "windows"] as const) {
    const files = testFilesFor(os, all, read);
    ok(files.includes("lib/wire/v1/header_test.ts"), os);
    ok(files.includes("tests/e2e_test.ts"), os);
    ok(!files.includes("tests/window_test.ts"), os);
    ok(!files.includes("tests/rtp_interop_test.ts"), os);
  }
  ok(CI_TOOLS.windows.every((tool) => CI_TOOLS.macos.includes(tool)));
  // The libraries are opened through lib/ffi's loader, whose specs name the symbol tables.
  const cases: [string, Tool[]][] = [
    ["lib/ffi/native_library_test.ts", ["sdl2", "turbojpeg"]],
    ["lib/decode/decoders_test.ts", ["ffmpeg", "turbojpeg"]],
    ["tests/doctor_test.ts", ["ffmpeg", "sdl2", "turbojpeg"]],
  ];
  for (const [file, tools] of cases) {
    const needed = toolsNeeded(file, read);
    for (const tool of tools) ok(needed.has(tool), `${file} needs ${tool}: ${[...needed]}`);
  }
});
