import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { describeError, UserError } from "../errors.ts";
import {
  describeDestination,
  preferredAddress,
  resolveDestinations,
} from "./resolve_destinations.ts";

Deno.test("preferredAddress: the first IPv4 address, else the first IPv6 one", () => {
  const table: [{ address: string; family: number }[], string | null][] = [
    [[{ address: "::1", family: 6 }, { address: "127.0.0.1", family: 4 }], "127.0.0.1"],
    [[{ address: "10.0.0.2", family: 4 }, { address: "10.0.0.3", family: 4 }], "10.0.0.2"],
    [[{ address: "2001:db8::1", family: 6 }, { address: "::1", family: 6 }], "2001:db8::1"],
    [[], null],
  ];
  for (const [addresses, want] of table) equal(preferredAddress(addresses), want);
});

Deno.test("resolveDestinations: addresses unchanged, names once through the system resolver", async () => {
  const resolved = await resolveDestinations([
    { hostname: "10.0.0.2", port: 9000 },
    { hostname: "fe80::2%eth0", port: 9001 },
    // /etc/hosts names localhost on every machine these tests run on.
    { hostname: "localhost", port: 9002 },
  ]);
  deepStrictEqual(resolved.map((r) => r.address), [
    { hostname: "10.0.0.2", port: 9000 },
    { hostname: "fe80::2%eth0", port: 9001 },
    { hostname: "127.0.0.1", port: 9002 },
  ]);
  deepStrictEqual(resolved.map(describeDestination), [
    "10.0.0.2:9000",
    "[fe80::2%eth0]:9001",
    "localhost:9002 (127.0.0.1)",
  ]);
});

Deno.test("resolveDestinations: a name that does not resolve is a UserError naming --to", async () => {
  // RFC 6761: .invalid never resolves.
  await rejects(resolveDestinations([{ hostname: "example.invalid", port: 5000 }]), (error) => {
    ok(error instanceof UserError);
    equal(error.exitCode, 1);
    ok(error.cause instanceof Error);
    equal(
      describeError(error),
      `Cannot resolve --to example.invalid:5000: ${error.cause.message}. Check the name (or ` +
        "give the receiver's IP address, e.g. --to 192.168.1.20:12345).",
    );
    return true;
  });
});
