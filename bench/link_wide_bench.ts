/**
 * Link fitting's cost on a link wider than the stream (issue #17: "on an unconstrained link, the
 * same bitrate and latency as today"): the 720p30 test pattern from udpcam-send through
 * tools/relay.ts, uncapped, to udpcam-recv, with adaptation on (the default) and off
 * (`--adapt off`) alternated, so both see the same machine over the same minutes. Per run the
 * receiver's latency read → complete over the run (p50 / p95) and the receive rate; medians over
 * the runs. bench/link_bench.ts has one run of each beside the capped cases; this repeats just
 * that comparison, as one run's tenths of a millisecond are the machine's mood.
 *
 * Run: `deno run -A bench/link_wide_bench.ts [--quick] [--runs N] [--seconds S] [--write FILE]`
 * (default 5 runs of each, 12 s; `--quick`: one of each, 6 s; `--write` replaces the section
 * between `<!-- bench:link-wide:start -->` and `<!-- bench:link-wide:end -->`).
 *
 * @module
 */

import { runThroughBottleneck } from "../tests/support/link_run.ts";
import { requireTool } from "../tests/support/programs.ts";
import { runMain } from "../lib/cli/run_main.ts";
import { median, parseBenchFlags, startReport, writeMarkedSection } from "./support/proc.ts";

interface Run {
  p50: number;
  p95: number;
  mbps: number;
}

async function once(adapt: boolean, durationS: number): Promise<Run> {
  const dir = await Deno.makeTempDir({ prefix: "udpcam-link-wide-" });
  try {
    const result = await runThroughBottleneck({
      size: "1280x720",
      fps: 30,
      durationS,
      relayFlags: [],
      senderFlags: adapt ? [] : ["--adapt", "off"],
      dir,
      checkFrames: false,
    });
    const last = result.receiver.at(-1) ?? {};
    const run = last.latencyMsRun as { p50: number; p95: number } | null | undefined;
    if (!run) throw new Error("Cannot measure: the receiver reported no latency (no frames?)");
    // After the first second: the rate the stream settled at.
    const rates = result.receiver.slice(1, -1).map((line) => line.mbps as number);
    return { p50: run.p50, p95: run.p95, mbps: median(rates.length > 0 ? rates : [0]) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function main(args: string[]): Promise<number> {
  await requireTool("ffmpeg", "ffmpeg");
  const flags = parseBenchFlags(args, { runs: 5, seconds: 12, quickSeconds: 6 });
  const started = performance.now();
  const runs: Record<"on" | "off", Run[]> = { on: [], off: [] };
  for (let i = 0; i < flags.runs; i++) {
    // Alternate which goes first, so neither always meets the machine warmer.
    for (const adapt of i % 2 === 0 ? [true, false] : [false, true]) {
      const run = await once(adapt, flags.seconds);
      runs[adapt ? "on" : "off"].push(run);
      console.error(
        `link_wide_bench: run ${i + 1} adapt ${adapt ? "on" : "off"}: ` +
          `p50 ${run.p50} ms, p95 ${run.p95} ms, ${run.mbps} Mbit/s`,
      );
    }
  }
  const { lines, out } = await startReport();
  const mid = (key: keyof Run, adapt: "on" | "off") => median(runs[adapt].map((r) => r[key]));
  out(
    `720p30 test pattern through \`tools/relay.ts\` uncapped, ${flags.runs} runs of ${flags.seconds} s ` +
      "each way, on and off alternated; medians over the runs of each run's latency (read from " +
      "ffmpeg to frame complete) and of its receive rate after the first second.",
  );
  out();
  out("| adapt | runs | latency p50 ms | latency p95 ms | received Mbit/s | p50 of each run |");
  out("| ----- | ---- | -------------- | -------------- | --------------- | --------------- |");
  for (const adapt of ["on", "off"] as const) {
    out(
      `| ${adapt} | ${runs[adapt].length} | ${mid("p50", adapt).toFixed(2)} | ` +
        `${mid("p95", adapt).toFixed(2)} | ${mid("mbps", adapt).toFixed(2)} | ` +
        `${runs[adapt].map((r) => r.p50.toFixed(2)).join(", ")} |`,
    );
  }
  out();
  const ratio = mid("p50", "on") / mid("p50", "off");
  out(
    `On ÷ off: p50 ${ratio.toFixed(2)}, p95 ${
      (mid("p95", "on") / mid("p95", "off")).toFixed(2)
    }, ` +
      `rate ${(mid("mbps", "on") / mid("mbps", "off")).toFixed(3)}. ` +
      `Total run: ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  );
  if (flags.write) await writeMarkedSection(flags.write, "link-wide", lines.join("\n"));
  return 0;
}

if (import.meta.main) await runMain("link_wide_bench", main);
