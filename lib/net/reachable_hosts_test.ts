import { deepStrictEqual, equal } from "node:assert/strict";
import { isLoopbackHost, reachableHosts } from "./reachable_hosts.ts";

const INTERFACES = [
  { address: "127.0.0.1", family: "IPv4" },
  { address: "127.0.1.1", family: "IPv4" },
  { address: "192.168.1.20", family: "IPv4" },
  { address: "10.0.0.5", family: "IPv4" },
  { address: "::1", family: "IPv6" },
  { address: "fe80::1", family: "IPv6" },
  { address: "2001:db8::20", family: "IPv6" },
];

Deno.test("reachableHosts: a host as bound, or a wildcard expanded into this machine's addresses", () => {
  const table: [string, string[]][] = [
    ["127.0.0.1", ["127.0.0.1"]],
    ["192.168.1.20", ["192.168.1.20"]],
    ["cam.local", ["cam.local"]],
    // Loopback first, other loopbacks (127.0.1.1) left out, in the interfaces' order.
    ["0.0.0.0", ["127.0.0.1", "192.168.1.20", "10.0.0.5"]],
    // Link-local addresses need a zone a URL cannot carry for every client: left out.
    ["::", ["::1", "2001:db8::20"]],
  ];
  for (const [hostname, hosts] of table) {
    deepStrictEqual(reachableHosts({ hostname, port: 8554 }, INTERFACES), hosts, hostname);
  }
  deepStrictEqual(reachableHosts({ hostname: "0.0.0.0", port: 1 }, []), ["127.0.0.1"]);
});

Deno.test("isLoopbackHost: only this machine's own addresses", () => {
  const table: [string, boolean][] = [
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["localhost", true],
    ["LOCALHOST", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.168.1.20", false],
    ["127.0.0.1.example", false],
    ["cam.local", false],
  ];
  for (const [host, loopback] of table) equal(isLoopbackHost(host), loopback, host);
});
