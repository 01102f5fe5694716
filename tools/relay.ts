/**
 * A fault-injecting UDP relay: put it between udpcam-send and udpcam-recv to test loss, bursts,
 * duplicates, reordering, delay and a bandwidth cap on one machine, reproducibly (seeded). The cap
 * polices (drops the excess at once) or, with `--queue-ms`, queues like a router's buffer, and
 * `--rate-schedule` changes it over time.
 *
 * ```sh
 * deno run -A tools/relay.ts --listen 127.0.0.1:12346 --to 127.0.0.1:12345 \
 *   --loss 2 --burst 3 --seed 1 --duration-s 60
 * # A bottleneck: 20 Mbit/s, 4 Mbit/s from 10 s to 20 s, 60 ms of router queue.
 * deno run -A tools/relay.ts --listen 127.0.0.1:12346 --to 127.0.0.1:12345 \
 *   --rate-schedule 20000@0,4000@10,20000@20 --queue-ms 60
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { formatHostPort, type HostPort, parseHostPort } from "../lib/net/mod.ts";
import { asError, describeError, UserError } from "../lib/errors.ts";
import {
  type FaultSettings,
  faultSettingsProblem,
  formatRateSchedule,
  MAX_RATE_KBPS,
  NO_FAULTS,
  parseRateSchedule,
  type RateStep,
} from "../lib/netsim/mod.ts";
import {
  formatRelayReport,
  type RelayOptions,
  resolveRelayDestination,
  UdpRelay,
} from "../lib/io/udp_relay.ts";

const USAGE = `Usage: deno run -A tools/relay.ts --listen HOST:PORT --to HOST:PORT [faults] [limits]

Forwards UDP datagrams from --listen to --to, applying seeded faults. Replies go back to the
sender (through --reply-loss): the relay takes them only from the --to address and port, and
sends them to the first source it heard from, which keeps the reply path while it sends (another
source takes over after 2 s of its silence, as a restarted sender does). Datagrams from other
sources are forwarded too, and counted.

Faults (all default to 0, a perfect link):
  --loss PCT             datagrams lost, percent
  --burst N              mean loss burst length in datagrams (Gilbert-Elliott); 1 = independent
  --dup PCT              datagrams delivered twice, percent
  --reorder PCT          datagrams held back behind later ones, percent
  --reorder-distance N   how many later datagrams overtake a held one (default 3)
  --delay-ms MS          fixed delay
  --jitter-ms MS         delay varies by up to this much either way
  --rate-kbps KBPS       bandwidth cap in kbit/s; 0 = none. Alone it polices: a token bucket
                         passes bursts up to --bucket-bytes and drops the excess at once
  --rate-schedule SPEC   a cap that changes over time, instead of --rate-kbps: KBPS@SECONDS
                         steps counted from the relay's start, the first at 0, the last rate
                         kept; 20000@0,4000@10,20000@20 is 20 -> 4 -> 20 Mbit/s
  --queue-ms MS          a router's drop-tail queue in front of the cap (like tc tbf latency):
                         datagrams over the rate wait, one after another at the rate, while
                         they would wait at most MS, and are dropped past it (queue drops);
                         so delay grows before loss. 0 = no queue (police); default 0
  --bucket-bytes BYTES   the policer's bucket depth (default 50 ms of rate, at least 3000)
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

function usage(message: string, cause?: unknown): UserError {
  return new UserError(
    `Cannot start relay: ${message}. Run deno run -A tools/relay.ts --help for usage.`,
    2,
    cause === undefined ? undefined : { cause },
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

function rateScheduleOf(text: string | undefined): RateStep[] {
  if (text === undefined) return [];
  const steps = parseRateSchedule(text);
  if (typeof steps === "string") throw usage(`--rate-schedule ${steps}`);
  return steps;
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
        "rate-schedule": text,
        "queue-ms": text,
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
    throw usage(
      asError(error).message.split(/\.\s/)[0].replace(/^Unknown option/, "unknown flag"),
      error,
    );
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
    rateKbps: numberOf("rate-kbps", values["rate-kbps"], 0, MAX_RATE_KBPS),
    rateSchedule: rateScheduleOf(values["rate-schedule"]),
    queueMs: numberOf("queue-ms", values["queue-ms"], 0, 60_000),
    bucketBytes: numberOf("bucket-bytes", values["bucket-bytes"], 0, 1_000_000_000),
    seed: numberOf("seed", values.seed, 1, 0xffff_ffff),
  };
  // The model refuses these too, in its own words; say it in flags.
  const scheduled = faults.rateSchedule.length > 0;
  if (scheduled && values["rate-kbps"] !== undefined) {
    throw usage(`give --rate-kbps or --rate-schedule, not both`);
  }
  if (faults.queueMs > 0 && !scheduled && faults.rateKbps === 0) {
    throw usage(`--queue-ms needs a rate to queue for; add --rate-kbps or --rate-schedule`);
  }
  if (faults.queueMs > 0 && faults.bucketBytes > 0) {
    throw usage(`--bucket-bytes sizes the policer that --queue-ms replaces; give one of them`);
  }
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
  // Replies are accepted from the destination's address alone, so a name is resolved once, here.
  let to: HostPort;
  try {
    to = await resolveRelayDestination(command.options.to);
    relay = UdpRelay.start({ ...command.options, to });
  } catch (error) {
    // The reason is the relay's own error (a socket, the fault model): describeError joins it.
    throw new UserError("Cannot start relay.", 2, { cause: error });
  }
  const { options } = command;
  const named = to.hostname === options.to.hostname ? "" : ` (${options.to.hostname})`;
  const { rateSchedule, ...faults } = options.faults as FaultSettings;
  const schedule = rateSchedule.length > 0
    ? `, rate schedule ${formatRateSchedule(rateSchedule)}`
    : "";
  console.log(
    `relay: ${formatHostPort(relay.listenAddress)} -> ${formatHostPort(to)}${named}, ` +
      `faults ${JSON.stringify(faults)}${schedule}`,
  );
  // Say when the rate changes, so what the receiver shows can be lined up with the schedule.
  // (Only those before the end: setTimeout fires at once past 2^31 ms.)
  const rateSwitches = rateSchedule.slice(1).filter(({ atMs }) => atMs <= (options.durationMs ?? 0))
    .map(({ atMs, rateKbps }) =>
      setTimeout(() => console.log(`relay: ${atMs / 1000} s: rate now ${rateKbps} kbit/s`), atMs)
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
  for (const timer of rateSwitches) clearTimeout(timer);
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
      console.error(describeError(error));
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
