import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { AddressFilter, parseAddressBytes, parseAddressRule } from "./address_filter.ts";

function rule(text: string) {
  const parsed = parseAddressRule(text);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

Deno.test("addresses parse into 16 bytes, IPv4 as IPv4-mapped", () => {
  deepStrictEqual(
    parseAddressBytes("10.1.2.3"),
    new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 1, 2, 3]),
  );
  deepStrictEqual(parseAddressBytes("::ffff:10.1.2.3"), parseAddressBytes("10.1.2.3"));
  deepStrictEqual(parseAddressBytes("[::1]"), new Uint8Array([...new Array(15).fill(0), 1]));
  deepStrictEqual(parseAddressBytes("fe80::1%eth0"), parseAddressBytes("fe80:0:0:0:0:0:0:1"));
  for (const bad of ["", "1.2.3", "1.2.3.256", "host.example", "1::2::3", "1:2:3:4:5:6:7:8:9"]) {
    equal(parseAddressBytes(bad), null, bad);
  }
});

Deno.test("allow-from rules match by prefix (table)", () => {
  const table: [string, string, boolean][] = [
    ["127.0.0.1", "127.0.0.1", true],
    ["127.0.0.1", "127.0.0.2", false],
    ["10.0.0.0/8", "10.200.3.4", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["192.168.1.0/25", "192.168.1.127", true],
    ["192.168.1.0/25", "192.168.1.128", false],
    ["0.0.0.0/0", "8.8.8.8", true],
    ["0.0.0.0/0", "::1", false],
    ["10.0.0.0/8", "::ffff:10.9.9.9", true],
    ["fd00::/8", "fd12:3456::1", true],
    ["fd00::/8", "fe80::1", false],
    ["::1", "::1", true],
    ["::/0", "10.0.0.1", true],
  ];
  for (const [allowed, source, expected] of table) {
    equal(new AddressFilter([rule(allowed)]).allows(source), expected, `${allowed} ${source}`);
  }
});

Deno.test("bad rules say why", () => {
  for (const bad of ["10.0.0.0/33", "fd00::/129", "10.0.0.0/x", "nonsense"]) {
    ok(typeof parseAddressRule(bad) === "string", bad);
  }
});

Deno.test("the verdict cache stays bounded under a flood of sources", () => {
  const filter = new AddressFilter([rule("10.0.0.0/8")], 8);
  for (let i = 0; i < 1000; i++) equal(filter.allows(`192.0.${i >> 8}.${i & 255}`), false);
  equal(filter.allows("10.0.0.1"), true);
});
