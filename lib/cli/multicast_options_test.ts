import { deepStrictEqual, match, throws } from "node:assert/strict";
import { receiverMulticastOptions, senderMulticastOptions } from "./multicast_options.ts";

const GROUP4 = { hostname: "239.1.2.3", port: 12345 };
const GROUP6 = { hostname: "ff15::1", port: 12345 };
const UNICAST = { hostname: "127.0.0.1", port: 12345 };

type HostPortList = { hostname: string; port: number }[];

Deno.test("sender: --ttl 0..255 defaults to 1, only with a multicast --to", () => {
  deepStrictEqual(senderMulticastOptions("p", [GROUP4], undefined, undefined), {
    multicastTtl: 1,
    multicastInterface: null,
  });
  deepStrictEqual(senderMulticastOptions("p", [UNICAST, GROUP4], "0", " eth0 "), {
    multicastTtl: 0,
    multicastInterface: "eth0",
  });
  deepStrictEqual(senderMulticastOptions("p", [GROUP4], "255", undefined).multicastTtl, 255);
  const problems: [HostPortList, string | undefined, string | undefined, RegExp][] = [
    [[UNICAST], "2", undefined, /--ttl only applies to a multicast --to/],
    [[UNICAST], undefined, "eth0", /--multicast-if only applies/],
    [[GROUP4], "256", undefined, /--ttl must be a whole number from 0 to 255/],
    [[GROUP4], "-1", undefined, /--ttl must be/],
    [[GROUP6], "4", undefined, /IPv6 hop limit/],
    [[GROUP4], undefined, " ", /--multicast-if needs/],
  ];
  for (const [destinations, ttl, iface, pattern] of problems) {
    throws(() => senderMulticastOptions("p", destinations, ttl, iface), pattern);
  }
  // The IPv6 default hop limit is 1, so --ttl 1 is accepted for it.
  deepStrictEqual(senderMulticastOptions("p", [GROUP6], "1", undefined).multicastTtl, 1);
});

Deno.test("receiver: --multicast-if only with a multicast --listen", () => {
  deepStrictEqual(receiverMulticastOptions("p", GROUP4, undefined), { multicastInterface: null });
  deepStrictEqual(receiverMulticastOptions("p", GROUP6, "2"), { multicastInterface: "2" });
  throws(() => receiverMulticastOptions("p", UNICAST, "eth0"), (error: Error) => {
    match(error.message, /only applies to a multicast --listen/);
    return true;
  });
});
