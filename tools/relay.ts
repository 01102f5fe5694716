/**
 * A fault-injecting UDP relay: put it between udpcam-send and udpcam-recv to test loss, bursts,
 * duplicates, reordering, delay and a bandwidth cap on one machine, reproducibly (seeded).
 *
 * ```sh
 * deno run -A tools/relay.ts --listen 127.0.0.1:12346 --to 127.0.0.1:12345 \
 *   --loss 2 --burst 3 --seed 1 --duration-s 60
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { formatHostPort, type HostPort, parseHostPort } from "../lib/net/mod.ts";
import { asError, UserError } from "../lib/errors.ts";
import { type FaultSettings, faultSettingsProblem, NO_FAULTS } from "../lib/netsim/mod.ts";
import { formatRelayReport, type RelayOptions, UdpRelay } from "../lib/io/udp_relay.ts";

const USAGE = `Usage: deno run -A tools/relay.ts --listen HOST:PORT --to HOST:PORT [faults] [limits]

Forwards UDP datagrams from --listen to --to, applying seeded faults. Replies from --to go back
to the last sender (through --reply-loss).

Faults (all default to 0, a perfect link):
  --loss PCT             datagrams lost, percent
  --burst N              mean loss burst length in datagrams (Gilbert-Elliott); 1 = independent
  --dup PCT              datagrams delivered twice, percent
  --reorder PCT          datagrams held back behind later ones, percent
  --reorder-distance N   how many later datagrams overtake a held one (default 3)
  --delay-ms MS          fixed delay
  --jitter-ms MS         delay varies by up to this much either way
  --rate-kbps KBPS       bandwidth cap (token bucket), excess dropped; 0 = none
  --bucket-bytes BYTES   token bucket depth (default 50 ms of rate, at least 3000)
  --reply-loss PCT       loss on the reply path
  --seed N               random seed (default 1)

Limits (the relay always stops on Ctrl-C or SIGTERM):
  --duration-s S         stop after S seconds (default 600)
  --max-datagrams N      stop after N datagrams arrived on --listen
  --report-s S           print counts every S seconds (default 5; 0 = only at exit)
`;

/** Parsed command line of the relay. */
interface RelayCommand {
  options: RelayOptions;
  reportMs: number;
}

function usage(message: string): UserError {
  return new UserError(
    `Cannot start relay: ${message}. Run deno run -A tools/relay.ts --help for usage.`,
    2,
  );
}

function numberOf(flag: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0 || value > max) {
    throw usage(`--${flag} must be a number from 0 to ${max}, got "${text}"`);
  }
  return value;
}

function endpoint(flag: string, text: string | undefined, allowPortZero: boolean): HostPort {
  if (text === undefined) throw usage(`--${flag} HOST:PORT is required`);
  const parsed = parseHostPort(text);
  if (typeof parsed === "string") throw usage(`--${flag} ${parsed}`);
  if (!allowPortZero && parsed.port === 0) throw usage(`--${flag} needs a port from 1 to 65535`);
  return parsed;
}

/** Parses the relay's flags. @throws {UserError} with exit code 2 on any bad flag. */
function parseCommand(args: string[]): RelayCommand | null {
  const text = { type: "string" } as const;
  let values;
  try {
    values = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        listen: text,
        to: text,
        loss: text,
        burst: text,
        dup: text,
        reorder: text,
        "reorder-distance": text,
        "delay-ms": text,
        "jitter-ms": text,
        "rate-kbps": text,
        "bucket-bytes": text,
        "reply-loss": text,
        seed: text,
        "duration-s": text,
        "max-datagrams": text,
        "report-s": text,
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    throw usage(asError(error).message.split(/\.\s/)[0].replace(/^Unknown option/, "unknown flag"));
  }
  if (values.help) return null;
  const faults: FaultSettings = {
    ...NO_FAULTS,
    lossPercent: numberOf("loss", values.loss, 0, 100),
    burstLength: numberOf("burst", values.burst, 1, 10_000),
    duplicatePercent: numberOf("dup", values.dup, 0, 100),
    reorderPercent: numberOf("reorder", values.reorder, 0, 100),
    reorderDistance: numberOf("reorder-distance", values["reorder-distance"], 3, 10_000),
    delayMs: numberOf("delay-ms", values["delay-ms"], 0, 60_000),
    jitterMs: numberOf("jitter-ms", values["jitter-ms"], 0, 60_000),
    rateKbps: numberOf("rate-kbps", values["rate-kbps"], 0, 100_000_000),
    bucketBytes: numberOf("bucket-bytes", values["bucket-bytes"], 0, 1_000_000_000),
    seed: numberOf("seed", values.seed, 1, 0xffff_ffff),
  };
  const problem = faultSettingsProblem(faults);
  if (problem !== null) throw usage(problem);
  if (!Number.isInteger(faults.seed)) throw usage(`--seed must be a whole number`);
  const maxDatagrams = values["max-datagrams"] === undefined
    ? null
    : numberOf("max-datagrams", values["max-datagrams"], 0, 1e12);
  if (maxDatagrams !== null && (!Number.isInteger(maxDatagrams) || maxDatagrams < 1)) {
    throw usage(`--max-datagrams must be a whole number ≥ 1, got "${values["max-datagrams"]}"`);
  }
  const durationS = numberOf("duration-s", values["duration-s"], 600, 7 * 24 * 3600);
  if (durationS <= 0) throw usage(`--duration-s must be more than 0`);
  return {
    options: {
      listen: endpoint("listen", values.listen, true),
      to: endpoint("to", values.to, false),
      faults,
      replyFaults: {
        ...NO_FAULTS,
        lossPercent: numberOf("reply-loss", values["reply-loss"], 0, 100),
        seed: faults.seed + 1,
      },
      maxDatagrams,
      durationMs: durationS * 1000,
    },
    reportMs: numberOf("report-s", values["report-s"], 5, 3600) * 1000,
  };
}

async function main(args: string[]): Promise<number> {
  const command = parseCommand(args);
  if (command === null) {
    console.log(USAGE);
    return 0;
  }
  let relay: UdpRelay;
  try {
    relay = UdpRelay.start(command.options);
  } catch (error) {
    const reason = asError(error).message;
    throw new UserError(`Cannot start relay: ${reason[0].toLowerCase()}${reason.slice(1)}`, 2);
  }
  const { options } = command;
  console.log(
    `relay: ${formatHostPort(relay.listenAddress)} -> ${formatHostPort(options.to)}, ` +
      `faults ${JSON.stringify(options.faults)}`,
  );
  const stop = () => relay.stop();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  const reporter = command.reportMs > 0
    ? setInterval(
      () => console.log(`relay: ${formatRelayReport(relay.report())}`),
      command.reportMs,
    )
    : null;
  await relay.done;
  if (reporter !== null) clearInterval(reporter);
  for (const signal of signals) Deno.removeSignalListener(signal, stop);
  console.log(`relay: stopped after ${formatRelayReport(relay.report())}`);
  return 0;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    if (error instanceof UserError) {
      console.error(error.message);
      code = error.exitCode;
    } else {
      console.error(
        `Cannot run relay: unexpected error, please report it: ${asError(error).stack}`,
      );
      code = 1;
    }
  }
  Deno.exit(code);
}
