import { deepEqual, equal, match } from "node:assert/strict";
import { importsOf, layoutProblems } from "./check_layout.ts";

const FACED = new Set(["lib/net", "lib/wire", "lib/wire/v1"]);

Deno.test("layoutProblems: each rule fires on the import that breaks it, and only there", () => {
  const cases: { name: string; graph: [string, string[]][]; problem: RegExp | null }[] = [
    {
      name: "clean",
      graph: [
        ["lib/io/udp.ts", ["lib/net/mod.ts", "lib/errors.ts"]],
        ["lib/net/mod.ts", ["lib/net/address.ts"]],
        ["lib/net/address.ts", []],
        ["lib/wire/modes.ts", ["lib/wire/v1/mod.ts"]],
        ["lib/net/address_test.ts", ["lib/net/address.ts", "tests/support/udp.ts"]],
      ],
      problem: null,
    },
    {
      name: "past a face",
      graph: [["lib/io/udp.ts", ["lib/net/address.ts"]]],
      problem: /lib\/io\/udp.ts: imports lib\/net\/address.ts; import lib\/net\/mod.ts instead/,
    },
    {
      name: "a parent folder is outside its subfolder's face",
      graph: [["lib/wire/modes.ts", ["lib/wire/v1/header.ts"]]],
      problem: /import lib\/wire\/v1\/mod.ts instead/,
    },
    {
      name: "sans-IO imports an adapter",
      graph: [["lib/net/address.ts", ["lib/io/udp.ts"]]],
      problem: /a sans-IO folder imports the adapter lib\/io\/udp.ts/,
    },
    {
      name: "an adapter edge that is not allowed",
      graph: [["lib/io/doctor.ts", ["lib/sdl/library.ts"]]],
      problem: /lib\/io may not import lib\/sdl/,
    },
    {
      name: "lib imports what does not ship",
      graph: [["lib/net/address.ts", ["tests/support/udp.ts"]]],
      problem: /lib\/ imports tests\/support\/udp.ts, which does not ship/,
    },
    {
      name: "a test-only helper in lib",
      graph: [["lib/io/_test_udp.ts", []]],
      problem: /test-only helpers live in tests\/support/,
    },
    {
      name: "a cycle between folders",
      graph: [
        ["lib/stats/report.ts", ["lib/send/mod.ts"]],
        ["lib/send/pacing.ts", ["lib/stats/counters.ts"]],
      ],
      problem: /import cycle between folders: lib\/send -> lib\/stats -> lib\/send/,
    },
  ];
  for (const { name, graph, problem } of cases) {
    const problems = layoutProblems(new Map(graph), FACED);
    if (problem === null) deepEqual(problems, [], name);
    else {
      equal(problems.length, 1, `${name}: ${problems.join(" | ")}`);
      match(problems[0], problem, name);
    }
  }
});

Deno.test("importsOf: single and multi-line imports and re-exports, resolved; packages ignored", () => {
  const text = [
    'import { a } from "../net/mod.ts";',
    "import {",
    "  b,",
    "  type C,",
    '} from "./header.ts";',
    'export { d } from "./nack.ts";',
    'import { parseArgs } from "node:util";',
    'const worker = new URL("./receive_worker.ts", import.meta.url);',
  ].join("\n");
  deepEqual(importsOf("lib/wire/v1/mod.ts", text), [
    "lib/wire/net/mod.ts",
    "lib/wire/v1/header.ts",
    "lib/wire/v1/nack.ts",
  ]);
});
