/**
 * The soak run's side process (see bench/soak.ts): a fault-injecting relay in front of the
 * receiver, and a flood of junk datagrams straight at it, both for a bounded time. On exit
 * (SIGTERM or `--duration-s`) prints one JSON line: the relay's report and the junk sent.
 *
 * ```sh
 * deno run -A bench/soak_side.ts --relay 127.0.0.1:12346 --receiver 127.0.0.1:12345 \
 *   --junk-per-s 2000 --duration-s 600
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseHostPort } from "../lib/net/mod.ts";
import { UdpRelay } from "../lib/io/udp_relay.ts";
import { junkDatagram } from "../tests/support/junk_datagrams.ts";
import { Prng } from "../lib/netsim/mod.ts";

const flags = parseArgs({
  args: Deno.args,
  options: {
    relay: { type: "string" },
    receiver: { type: "string" },
    "junk-per-s": { type: "string" },
    "duration-s": { type: "string" },
    seed: { type: "string" },
  },
}).values;
const relayAt = parseHostPort(flags.relay ?? "");
const receiverAt = parseHostPort(flags.receiver ?? "");
if (typeof relayAt === "string" || typeof receiverAt === "string") {
  throw new Error("Cannot start the soak side: give --relay HOST:PORT and --receiver HOST:PORT");
}
const junkPerS = Number(flags["junk-per-s"] ?? 2000);
const durationMs = Number(flags["duration-s"] ?? 600) * 1000;
const prng = new Prng(Number(flags.seed ?? 1));

const relay = UdpRelay.start({
  listen: relayAt,
  to: receiverAt,
  faults: {
    lossPercent: 1,
    burstLength: 2,
    duplicatePercent: 1,
    reorderPercent: 2,
    jitterMs: 2,
    seed: 1,
  },
  durationMs: durationMs + 5000,
});

const junkSocket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
const target: Deno.NetAddr = { transport: "udp", ...receiverAt };
let junkSent = 0;
let junkSendErrors = 0;
let stopping = false;
const startMs = performance.now();
// Sends what is due every 10 ms: an even rate without a timer per datagram.
const flooding = (async () => {
  while (!stopping) {
    const due = Math.floor(((performance.now() - startMs) / 1000) * junkPerS) - junkSent;
    for (let i = 0; i < Math.min(due, junkPerS) && !stopping; i++) {
      try {
        await junkSocket.send(junkDatagram(prng), target);
      } catch {
        junkSendErrors++;
      }
      junkSent++; // Counted as due either way, so a failing send cannot spin.
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
})();

let finish = () => {};
const finished = new Promise<void>((resolve) => finish = resolve);
Deno.addSignalListener("SIGTERM", () => finish());
const deadline = setTimeout(() => finish(), durationMs + 10_000);
await finished;
stopping = true;
await flooding;
clearTimeout(deadline);
junkSocket.close();
relay.stop();
await relay.done;
console.log(JSON.stringify({ relay: relay.report(), junkSent: junkSent - junkSendErrors }));
Deno.exit(0);
