import { deepStrictEqual, equal } from "node:assert/strict";
import { canonicalHost, HostAllowList, hostOfHeader, isLoopbackHost } from "./host_check.ts";

Deno.test("hostOfHeader: canonical host of a Host value, null for what is not one", () => {
  const table: [string, string | null][] = [
    ["localhost:8080", "localhost"],
    ["LocalHost", "localhost"],
    ["localhost.:8080", "localhost"],
    ["Camera-PC.lan:80", "camera-pc.lan"],
    ["127.0.0.1:8080", "127.0.0.1"],
    ["[::1]:8080", "::1"],
    ["[0:0:0:0:0:0:0:1]", "::1"],
    ["[FD00::2]:1", "fd00::2"],
    ["[::ffff:127.0.0.1]:8080", "::ffff:7f00:1"],
    // What browsers never send, and what would make a URL parser see another host.
    ["attacker@127.0.0.1:8080", null],
    ["127.0.0.1:8080/x", null],
    ["127.0.0.1 :8080", null],
    ["[::1", null],
    ["::1", null],
    ["[fe80::1%25eth0]:8080", null],
    ["", null],
    ["a:b", null],
    ["host:123456", null],
  ];
  for (const [value, want] of table) equal(hostOfHeader(value), want, value);
});

Deno.test("canonicalHost and isLoopbackHost", () => {
  equal(canonicalHost("::1"), "::1");
  equal(canonicalHost("[::1]"), "::1");
  equal(canonicalHost("0x7f.1"), "127.0.0.1");
  equal(canonicalHost("a b"), null);
  const table: [string, boolean][] = [
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.168.1.20", false],
    ["localhost.example", false],
    ["camera-pc", false],
  ];
  for (const [name, want] of table) equal(isLoopbackHost(name), want, name);
});

Deno.test("HostAllowList: loopback names always, then the receiver's own", () => {
  const hosts = new HostAllowList(["Camera-PC", "192.168.1.20", "fd00::2", "not a host"]);
  deepStrictEqual(hosts.hosts, [
    "localhost",
    "127.0.0.1",
    "::1",
    "camera-pc",
    "192.168.1.20",
    "fd00::2",
  ]);
  const table: [string, boolean][] = [
    ["localhost:8080", true],
    ["127.0.0.1", true],
    ["[::1]:8080", true],
    ["camera-pc:8080", true],
    ["CAMERA-PC.:8080", true],
    ["192.168.1.20:8080", true],
    ["[fd00:0::2]:8080", true],
    ["attacker.example:8080", false],
    ["camera-pc.attacker.example:8080", false],
    ["127.0.0.2:8080", false],
    ["192.168.1.21:8080", false],
    ["attacker@camera-pc:8080", false],
  ];
  for (const [host, want] of table) equal(hosts.allows(host), want, host);
  hosts.add(["192.168.1.21"]);
  equal(hosts.allows("192.168.1.21:8080"), true);
});
