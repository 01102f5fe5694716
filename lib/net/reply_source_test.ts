import { deepStrictEqual } from "node:assert/strict";
import type { HostPort } from "./address.ts";
import { replySourceOf } from "./reply_source.ts";

const hp = (text: string): HostPort => {
  const at = text.lastIndexOf(":");
  return { hostname: text.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(text.slice(at + 1)) };
};

Deno.test("a reply belongs to a destination only from its exact address and port (table)", () => {
  const table: [destinations: string[], from: string, destination: number, group: boolean][] = [
    [["127.0.0.1:5000"], "127.0.0.1:5000", 0, false],
    // Issue #19 finding 5: another address on the destination's port used to pass.
    [["127.0.0.1:5000"], "127.0.0.2:5000", -1, false],
    [["127.0.0.1:5000"], "127.0.0.1:5001", -1, false],
    [["127.0.0.1:5000", "127.0.0.2:5000"], "127.0.0.2:5000", 1, false],
    [["10.0.0.5:5000"], "::ffff:10.0.0.5:5000", 0, false],
    [["[::1]:5000"], "[0:0:0:0:0:0:0:1]:5000", 0, false],
    [["[fe80::2%eth0]:5000"], "[fe80::2]:5000", 0, false],
    [["[::1]:5000"], "127.0.0.1:5000", -1, false],
    // A group's members answer from their own addresses on the group's port.
    [["239.1.2.3:6000"], "10.0.0.7:6000", 0, true],
    [["239.1.2.3:6000"], "10.0.0.7:6001", -1, false],
    [["[ff02::1234]:6000"], "[fe80::9]:6000", 0, true],
    [["239.1.2.3:6000", "239.1.2.4:6000"], "10.0.0.7:6000", -1, false],
    // An exact unicast match wins over a group on the same port.
    [["239.1.2.3:6000", "10.0.0.7:6000"], "10.0.0.7:6000", 1, false],
    [["239.1.2.3:6000", "10.0.0.7:6000"], "10.0.0.8:6000", 0, true],
    [[], "127.0.0.1:5000", -1, false],
  ];
  for (const [destinations, from, destination, group] of table) {
    deepStrictEqual(
      replySourceOf(destinations.map(hp), hp(from)),
      { destination, group },
      `${destinations.join(",")} <- ${from}`,
    );
  }
});
