import { ok } from "node:assert/strict";
import { localInterfaces } from "./local_interfaces.ts";

Deno.test("localInterfaces lists this machine's loopback address", () => {
  const addresses = localInterfaces().map((i) => i.address);
  ok(addresses.includes("127.0.0.1"), `no 127.0.0.1 in ${addresses.join(", ")}`);
});

Deno.test({
  name: "localInterfaces is empty, not an error, without permission to ask the OS",
  permissions: { sys: false },
  fn() {
    ok(localInterfaces().length === 0);
  },
});
