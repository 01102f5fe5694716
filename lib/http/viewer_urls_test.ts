import { deepStrictEqual } from "node:assert/strict";
import { viewerUrls } from "./viewer_urls.ts";

const INTERFACES = [
  { address: "127.0.0.1", family: "IPv4" },
  { address: "192.168.1.20", family: "IPv4" },
  { address: "::1", family: "IPv6" },
  { address: "fe80::1", family: "IPv6" },
  { address: "2001:db8::20", family: "IPv6" },
];

Deno.test("viewerUrls expands wildcard binds into this machine's addresses", () => {
  const table: [string, string | undefined, string[]][] = [
    ["127.0.0.1", undefined, ["http://127.0.0.1:8080/"]],
    ["192.168.1.20", "t&k", ["http://192.168.1.20:8080/?token=t%26k"]],
    ["0.0.0.0", "s", ["http://127.0.0.1:8080/?token=s", "http://192.168.1.20:8080/?token=s"]],
    ["::", undefined, ["http://[::1]:8080/", "http://[2001:db8::20]:8080/"]],
    ["::1", undefined, ["http://[::1]:8080/"]],
  ];
  for (const [hostname, token, urls] of table) {
    deepStrictEqual(viewerUrls({ hostname, port: 8080 }, token, INTERFACES), urls, hostname);
  }
});
