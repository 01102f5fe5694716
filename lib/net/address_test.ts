import { deepStrictEqual, equal, match } from "node:assert/strict";
import { formatHostPort, parseHostPort } from "./address.ts";

Deno.test("parseHostPort accepts what users type", () => {
  const table: [string, string | undefined, string, number][] = [
    ["127.0.0.1:12345", undefined, "127.0.0.1", 12345],
    ["[::1]:9000", undefined, "::1", 9000],
    ["[fe80::1%eth0]:9000", undefined, "fe80::1%eth0", 9000],
    ["cam.local:1", undefined, "cam.local", 1],
    ["12345", "0.0.0.0", "0.0.0.0", 12345],
    [" 0.0.0.0:0 ", undefined, "0.0.0.0", 0],
  ];
  for (const [text, defaultHost, hostname, port] of table) {
    deepStrictEqual(parseHostPort(text, defaultHost), { hostname, port }, text);
  }
});

Deno.test("parseHostPort explains what is wrong", () => {
  const table: [string, RegExp][] = [
    ["12345", /not HOST:PORT/],
    ["::1:9000", /\[::1\]:12345/],
    ["host:", /no valid port/],
    ["host:70000", /no valid port/],
    ["host:12a", /no valid port/],
    [":80", /not HOST:PORT/],
    ["a b:80", /invalid host/],
  ];
  for (const [text, expected] of table) {
    const result = parseHostPort(text);
    equal(typeof result, "string", text);
    match(result as string, expected);
  }
});

Deno.test("formatHostPort brackets IPv6", () => {
  equal(formatHostPort({ hostname: "::1", port: 5 }), "[::1]:5");
  equal(formatHostPort({ hostname: "10.0.0.1", port: 5 }), "10.0.0.1:5");
});
