import { deepEqual } from "node:assert/strict";
import { documentedModules } from "./doc_test.ts";

Deno.test("documentedModules: modules of lib/ and tools/, not tests, not the receive worker", () => {
  deepEqual(
    documentedModules([
      "lib/wire/v1/reassembler.ts",
      "lib/wire/v1/reassembler_test.ts",
      "lib/io/receive_worker.ts",
      "tools/check_layout.ts",
      "tests/e2e_test.ts",
      "bench/run_all.ts",
      "lib/rtsp/README.md",
      "sender.ts",
    ]),
    ["lib/wire/v1/reassembler.ts", "tools/check_layout.ts"],
  );
});
