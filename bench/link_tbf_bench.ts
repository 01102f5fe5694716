/**
 * Link fitting through a real kernel bottleneck (issue #17's first measurement): two network
 * namespaces of our own joined by a veth pair, `tc qdisc add dev vA root tbf rate 4mbit burst 16kb
 * latency 60ms` on the sender's side, udpcam-send `--test-pattern` in one and udpcam-recv in the
 * other; 720p30 and 1080p30, adaptation on (the default) and `--adapt off`, one after the other.
 * Per case: frames per second complete at the receiver after the first 3.5 s, frames complete of
 * those sent, latency read → complete (p50 / p95), what the sender sent a second, what tbf
 * dropped (`tc -s qdisc`), and the picture the sender ended on.
 *
 * Needs util-linux (`unshare`, `nsenter`) and iproute2 (`ip`, `tc`), and user namespaces or root;
 * nothing leaves the namespaces.
 *
 * Run: `deno run -A bench/link_tbf_bench.ts [--quick] [--seconds S] [--write FILE]` (default 20 s
 * per case; `--quick`: 720p only, 6 s; `--write` replaces the section between
 * `<!-- bench:link-tbf:start -->` and `<!-- bench:link-tbf:end -->`).
 *
 * @module
 */

import { requireTool } from "../tests/support/programs.ts";
import { type NetnsProgram, startInNetnsOf } from "../tests/support/netns.ts";
import { runMain } from "../lib/cli/run_main.ts";
import { parseBenchFlags, sleep, startReport, writeMarkedSection } from "./support/proc.ts";

type Stats = Record<string, unknown>;

const SHAPER = "tbf rate 4mbit burst 16kb latency 60ms";
const SENDER_ADDRESS = "10.77.0.1";
const RECEIVER_ADDRESS = "10.77.0.2";
const PORT = 24000;
/** The frame rate is read after this: the first frames and the first decrease settle. */
const WARM_UP_S = 3.5;

/** A process holding a network namespace open, killed by `close`. */
interface Holder {
  pid: number;
  close(): Promise<void>;
}

/** Runs `script` (sh) with `args`, in the namespaces of `pid` when given; throws on failure. */
async function sh(script: string, pid: number | null = null): Promise<string> {
  const args = pid === null
    ? ["-c", script]
    : ["--user", "--net", "--preserve-credentials", "-t", String(pid), "sh", "-c", script];
  const output = await new Deno.Command(pid === null ? "sh" : "nsenter", { args, stdin: "null" })
    .output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(
      `Cannot set up the bottleneck (${script}): ${new TextDecoder().decode(output.stderr).trim()}`,
    );
  }
  return text;
}

/** A sleeping process in a new network namespace (and in `userOf`'s user namespace, if given). */
async function holdNamespace(userOf: number | null): Promise<Holder> {
  const command = userOf === null
    ? new Deno.Command("unshare", {
      args: ["--user", "--map-root-user", "--net", "sleep", "600"],
      stdin: "null",
    })
    : new Deno.Command("nsenter", {
      args: [
        ...["--user", "--preserve-credentials", "-t", String(userOf)],
        ...["unshare", "--net", "sleep", "600"],
      ],
      stdin: "null",
    });
  const child = command.spawn();
  // unshare runs sleep itself (no fork): its pid is the namespace's; wait until it is in a new one.
  const ownNet = await Deno.readLink("/proc/self/ns/net");
  for (let i = 0; i < 100; i++) {
    const net = await Deno.readLink(`/proc/${child.pid}/ns/net`).catch(() => ownNet);
    if (net !== ownNet && (await Deno.readTextFile(`/proc/${child.pid}/comm`)).trim() === "sleep") {
      break;
    }
    await sleep(20);
  }
  return {
    pid: child.pid,
    async close() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

interface Measured {
  label: string;
  adapt: boolean;
  fps: number;
  complete: number;
  sent: number;
  p50: number | null;
  p95: number | null;
  mbps: number;
  tbfDropped: number;
  picture: string;
}

function jsonLines(text: string): Stats[] {
  return text.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

async function runCase(
  size: string,
  label: string,
  adapt: boolean,
  durationS: number,
): Promise<Measured> {
  const a = await holdNamespace(null);
  let b: Holder | null = null;
  const programs: NetnsProgram[] = [];
  try {
    b = await holdNamespace(a.pid);
    await sh(
      `ip link set lo up; ip link add vA type veth peer name vB; ip link set vB netns ${b.pid}; ` +
        `ip addr add ${SENDER_ADDRESS}/24 dev vA; ip link set vA up; ` +
        `tc qdisc add dev vA root ${SHAPER}`,
      a.pid,
    );
    await sh(
      `ip link set lo up; ip addr add ${RECEIVER_ADDRESS}/24 dev vB; ip link set vB up`,
      b.pid,
    );
    const receiver = startInNetnsOf(b.pid, "receiver.ts", [
      ...["--listen", `${RECEIVER_ADDRESS}:${PORT}`, "--headless", "--stats-json"],
      ...["--duration", String(durationS + 3)],
    ]);
    programs.push(receiver);
    for (let i = 0; i < 200 && !/listening on/.test(receiver.stderrSoFar()); i++) await sleep(25);
    const sender = startInNetnsOf(a.pid, "sender.ts", [
      ...["--test-pattern", "--size", size, "--fps", "30", "--duration", String(durationS)],
      ...["--to", `${RECEIVER_ADDRESS}:${PORT}`, "--stats-json"],
      ...(adapt ? [] : ["--adapt", "off"]),
    ]);
    programs.push(sender);
    const sent = await sender.done;
    if (sent.code !== 0) throw new Error(`udpcam-send failed (${sent.code}):\n${sent.stderr}`);
    const qdisc = await sh("tc -s qdisc show dev vA", a.pid);
    const received = await receiver.done;
    if (received.code !== 0) {
      throw new Error(`udpcam-recv failed (${received.code}):\n${received.stderr}`);
    }
    const rx = jsonLines(received.stdout);
    const tx = jsonLines(sent.stdout);
    const last = rx.at(-1) ?? {};
    const run = (last.latencyMsRun ?? null) as { p50: number; p95: number } | null;
    const link = (tx.at(-1)?.link ?? null) as Stats | null;
    return {
      label,
      adapt,
      // The receiver's seconds count from its start, before the sender's: skip its wait too.
      fps: mean(
        rx.filter((l) => (l.elapsedS as number) > WARM_UP_S + 1).slice(0, -1)
          .map((l) => l.fps as number),
      ),
      complete: ((last.frames as Stats | undefined)?.complete as number) ?? 0,
      sent: (tx.at(-1)?.framesSent as number) ?? 0,
      p50: run?.p50 ?? null,
      p95: run?.p95 ?? null,
      mbps: mean(tx.slice(1).map((l) => l.mbps as number)),
      tbfDropped: Number(/dropped (\d+)/.exec(qdisc)?.[1] ?? NaN),
      picture: link === null ? "as captured" : String((link.picture as Stats | null)?.reason ?? ""),
    };
  } finally {
    for (const program of programs) {
      try {
        program.child.kill("SIGKILL");
      } catch { /* exited */ }
      await program.done;
    }
    await b?.close();
    await a.close();
  }
}

async function main(args: string[]): Promise<number> {
  await requireTool("ffmpeg", "ffmpeg");
  for (
    const [tool, probe, pkg] of [["unshare", "--version", "util-linux"], ["tc", "-V", "iproute2"]]
  ) {
    const ok = await new Deno.Command(tool, { args: [probe], stdout: "null", stderr: "null" })
      .output().then((o) => o.success, () => false);
    if (!ok) throw new Error(`Cannot run link_tbf_bench: ${tool} is missing. Install ${pkg}.`);
  }
  const flags = parseBenchFlags(args, { runs: 1, seconds: 20, quickSeconds: 6 });
  const sizes = flags.quick
    ? [{ size: "1280x720", label: "720p30" }]
    : [{ size: "1280x720", label: "720p30" }, { size: "1920x1080", label: "1080p30" }];
  const started = performance.now();
  const results: Measured[] = [];
  for (const { size, label } of sizes) {
    for (const adapt of [true, false]) {
      const m = await runCase(size, label, adapt, flags.seconds);
      results.push(m);
      console.error(
        `link_tbf_bench: ${label} adapt ${adapt ? "on" : "off"}: ${m.fps.toFixed(1)} fps, ` +
          `${m.complete} of ${m.sent}, tbf dropped ${m.tbfDropped}`,
      );
    }
  }
  const { lines, out } = await startReport();
  out(
    `Two network namespaces joined by a veth pair, \`tc qdisc add dev vA root ${SHAPER}\` on the ` +
      `sender's side; the test pattern for ${flags.seconds} s per case, adaptation on and off one ` +
      `after the other. fps: complete frames a second at the receiver after the first ` +
      `${WARM_UP_S} s; latency: read from ffmpeg to frame complete, p50 / p95 over the run; tbf ` +
      "dropped: the shaper's own count (`tc -s qdisc`).",
  );
  out();
  out(
    "| picture | adapt | fps mean | frames complete of sent | latency p50 / p95 ms | sent Mbit/s | tbf dropped | picture at the end |",
  );
  out("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const m of results) {
    const latency = m.p50 === null ? "-" : `${m.p50.toFixed(1)} / ${m.p95!.toFixed(1)}`;
    out(
      `| ${m.label} | ${m.adapt ? "on" : "off"} | ${m.fps.toFixed(1)} | ${m.complete} of ` +
        `${m.sent} | ${latency} | ${m.mbps.toFixed(2)} | ${m.tbfDropped} | ${m.picture} |`,
    );
  }
  out();
  out(`Total run: ${((performance.now() - started) / 1000).toFixed(0)} s.`);
  if (flags.write) await writeMarkedSection(flags.write, "link-tbf", lines.join("\n"));
  return 0;
}

if (import.meta.main) await runMain("link_tbf_bench", main);
