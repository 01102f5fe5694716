import { deepStrictEqual, equal, match } from "node:assert/strict";
import {
  type InterfaceAddress,
  isMulticast,
  isMulticastV4,
  isMulticastV6,
  resolveMulticastV4Interface,
  resolveMulticastV6Interface,
} from "./multicast.ts";

Deno.test("multicast addresses: 224.0.0.0/4 and ff00::/8 only", () => {
  const table: [string, boolean, boolean][] = [
    ["239.1.2.3", true, false],
    ["224.0.0.1", true, false],
    ["223.255.255.255", false, false],
    ["240.0.0.1", false, false],
    ["239.1.2.300", false, false],
    ["127.0.0.1", false, false],
    ["ff15::1", false, true],
    ["FF02::1%eth0", false, true],
    ["fe80::1", false, false],
    ["::1", false, false],
    ["ffff.local", false, false],
  ];
  for (const [host, v4, v6] of table) {
    equal(isMulticastV4(host), v4, host);
    equal(isMulticastV6(host), v6, host);
    equal(isMulticast(host), v4 || v6, host);
  }
});

const INTERFACES: InterfaceAddress[] = [
  { name: "lo", family: "IPv4", address: "127.0.0.1", scopeid: null },
  { name: "lo", family: "IPv6", address: "::1", scopeid: 0 },
  { name: "eth0", family: "IPv4", address: "192.168.1.20", scopeid: null },
  { name: "eth0", family: "IPv6", address: "2001:db8::20", scopeid: 0 },
  { name: "eth0", family: "IPv6", address: "fe80::20", scopeid: 2 },
];

Deno.test("--multicast-if for IPv4: an address as is, a name through its address", () => {
  deepStrictEqual(resolveMulticastV4Interface("10.0.0.5", []), { address: "10.0.0.5" });
  deepStrictEqual(resolveMulticastV4Interface("eth0", INTERFACES), { address: "192.168.1.20" });
  match(resolveMulticastV4Interface("wlan0", INTERFACES) as string, /this machine has: lo, eth0/);
});

Deno.test("--multicast-if for IPv6: index, name, zoned or plain address", () => {
  const table: [string, unknown][] = [
    ["eth0", { index: 2, bindAddress: "fe80::20%2" }],
    ["2", { index: 2, bindAddress: "fe80::20%2" }],
    ["7", { index: 7, bindAddress: null }],
    ["fe80::20%eth0", { index: 2, bindAddress: "fe80::20%eth0" }],
    ["fe80::20%2", { index: 2, bindAddress: "fe80::20%2" }],
    ["2001:db8::20", { index: 2, bindAddress: "2001:db8::20" }],
  ];
  for (const [text, expected] of table) {
    deepStrictEqual(resolveMulticastV6Interface(text, INTERFACES), expected, text);
  }
  match(resolveMulticastV6Interface("lo", INTERFACES) as string, /no.*link-local|not an interface/);
  match(resolveMulticastV6Interface("2001:db8::99", INTERFACES) as string, /not an IPv6 address/);
  match(resolveMulticastV6Interface("fe80::1%wlan0", INTERFACES) as string, /no interface/);
});
