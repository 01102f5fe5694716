/**
 * Link fitting through a bottleneck (issue #17): the ffmpeg test pattern at 720p30 and 1080p30
 * from udpcam-send through tools/relay.ts (a rate cap in front of a 60 ms drop-tail queue, or a
 * rate schedule) to udpcam-recv, with adaptation on and off, one after the other in the same run.
 * Per case: frames per second delivered (mean, and over the last 5 s), frames intact out of
 * those sent, latency read → complete (p50 / p95), what the sender sent per second against the
 * cap, and the picture it ended on; for the step 20 → 4 → 20 Mbit/s, the seconds until the frame
 * rate recovers after each change and until the bitrate is back to 90 % of the unconstrained one.
 * Then the targets, met or not.
 *
 * Run: `deno run -A bench/link_bench.ts [--quick] [--seconds S] [--write docs/benchmarks.md]`
 * (`--quick`: 720p at 4 Mbit/s, on and off, and unconstrained, 8 s each, under a minute;
 * `--write` replaces the section between `<!-- bench:link:start -->` and
 * `<!-- bench:link:end -->`).
 *
 * @module
 */

import { type LinkRunResult, runThroughBottleneck } from "../tests/support/link_run.ts";
import { requireTool } from "../tests/support/programs.ts";
import { runMain } from "../lib/cli/run_main.ts";
import { parseBenchFlags, startReport, writeMarkedSection } from "./support/proc.ts";

type Stats = Record<string, unknown>;

interface Case {
  size: string;
  label: string;
  /** The relay's cap, kbit/s, or null: unconstrained, or the step. */
  capKbps: number | null;
  step: boolean;
  adapt: boolean;
  durationS: number;
}

interface Measured {
  c: Case;
  fpsMean: number;
  fpsLast5: number;
  intactPercent: number;
  corrupted: number;
  latencyP50: number | null;
  latencyP95: number | null;
  sentMbps: number;
  picture: string;
  /** The step: seconds to 15 fps after the step down, to 90 % of the bitrate after the lift. */
  stepDownS?: string;
  liftFpsS?: string;
  liftRateS?: string;
  result: LinkRunResult;
}

/** The step: 20 Mbit/s, 4 from 10 s, 20 again from 20 s (relay clock). */
const STEP_SCHEDULE = "20000@0,4000@10,20000@20";
const STEP_DOWN_S = 10;
const STEP_UP_S = 20;
const STEP_DURATION_S = 34;
const QUEUE_MS = 60;

function relayFlags(c: Case): string[] {
  if (c.step) return ["--rate-schedule", STEP_SCHEDULE, "--queue-ms", String(QUEUE_MS)];
  if (c.capKbps === null) return [];
  return ["--rate-kbps", String(c.capKbps), "--queue-ms", String(QUEUE_MS)];
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Receiver lines with their time on the sender's clock (seconds since it started streaming). */
function receiverSeries(result: LinkRunResult): { t: number; fps: number }[] {
  return result.receiver.map((line) => ({
    t: (line.elapsedS as number) - result.offsetsS.sender,
    fps: line.fps as number,
  }));
}

function measure(c: Case, result: LinkRunResult): Measured {
  const d = c.durationS;
  const rx = receiverSeries(result).filter((p) => p.t > 1 && p.t <= d + 0.5);
  const last = result.receiver.at(-1) ?? {};
  const sender = result.sender.at(-1) ?? {};
  const run = (last.latencyMsRun ?? null) as { p50: number; p95: number } | null;
  const sentLines = result.sender.filter((l) => (l.elapsedS as number) > 1);
  const intact = result.framesIdentical + result.framesDecoded;
  const framesSent = (sender.framesSent as number) || 1;
  const link = (sender.link ?? null) as Stats | null;
  const measured: Measured = {
    c,
    fpsMean: mean(rx.map((p) => p.fps)),
    fpsLast5: mean(rx.filter((p) => p.t > d - 5).map((p) => p.fps)),
    intactPercent: (100 * intact) / framesSent,
    corrupted: result.framesCorrupted,
    latencyP50: run?.p50 ?? null,
    latencyP95: run?.p95 ?? null,
    sentMbps: mean(sentLines.map((l) => l.mbps as number)),
    picture: link === null ? "as captured" : String((link.picture as Stats | null)?.reason ?? ""),
    result,
  };
  return measured;
}

/**
 * The step's recoveries, on the relay's clock: after the step down, the end of the first second
 * back at 15 fps or more, once it fell below (0 when it never did); after the lift, the same for
 * the frame rate, and the first second the sender sent 90 % of `unconstrainedMbps`.
 */
function stepRecoveries(m: Measured, unconstrainedMbps: number | null): void {
  const r = m.result;
  const rx = r.receiver.map((line) => ({
    t: (line.elapsedS as number) - r.offsetsS.relay,
    fps: line.fps as number,
  }));
  const recovery = (from: number, until: number): string => {
    const window = rx.filter((p) => p.t > from && p.t <= until);
    const dip = window.findIndex((p) => p.fps < 15);
    if (dip < 0) return "no dip";
    const back = window.slice(dip).find((p) => p.fps >= 15);
    return back === undefined ? "never" : (back.t - from).toFixed(1);
  };
  m.stepDownS = recovery(STEP_DOWN_S, STEP_UP_S);
  m.liftFpsS = recovery(STEP_UP_S, STEP_DURATION_S);
  if (unconstrainedMbps === null) return;
  const tx = r.sender.map((line) => ({
    t: (line.elapsedS as number) + r.offsetsS.sender - r.offsetsS.relay,
    mbps: line.mbps as number,
  }));
  const back = tx.find((p) => p.t > STEP_UP_S && p.mbps >= 0.9 * unconstrainedMbps);
  m.liftRateS = back === undefined ? "never" : (back.t - STEP_UP_S).toFixed(1);
}

function fixed(value: number | null, digits: number): string {
  return value === null ? "-" : value.toFixed(digits);
}

function caseLabel(c: Case): string {
  if (c.step) return `step ${STEP_SCHEDULE.replaceAll("000@", "@").replaceAll(",", " ")}`;
  return c.capKbps === null ? "unconstrained" : `${c.capKbps / 1000} Mbit/s`;
}

async function main(args: string[]): Promise<number> {
  await requireTool("ffmpeg", "ffmpeg");
  const flags = parseBenchFlags(args, { runs: 1, seconds: 20, quickSeconds: 8 });
  const sizes = flags.quick
    ? [{ size: "1280x720", label: "720p30" }]
    : [{ size: "1280x720", label: "720p30" }, { size: "1920x1080", label: "1080p30" }];
  const cases: Case[] = [];
  for (const { size, label } of sizes) {
    const caps = flags.quick ? [null, 4000] : [null, 2000, 4000, 8000, 16_000];
    for (const capKbps of caps) {
      for (const adapt of [true, false]) {
        if (flags.quick && capKbps === null && !adapt) continue;
        const durationS = capKbps === null ? Math.min(15, flags.seconds) : flags.seconds;
        cases.push({ size, label, capKbps, step: false, adapt, durationS });
      }
    }
    if (!flags.quick) {
      for (const adapt of [true, false]) {
        cases.push({ size, label, capKbps: null, step: true, adapt, durationS: STEP_DURATION_S });
      }
    }
  }
  const started = performance.now();
  const results: Measured[] = [];
  for (const c of cases) {
    const dir = await Deno.makeTempDir({ prefix: "udpcam-link-bench-" });
    try {
      const result = await runThroughBottleneck({
        size: c.size,
        fps: 30,
        durationS: c.durationS,
        relayFlags: relayFlags(c),
        senderFlags: c.adapt ? [] : ["--adapt", "off"],
        dir,
      });
      const m = measure(c, result);
      results.push(m);
      console.error(
        `link_bench: ${c.label} ${caseLabel(c)} adapt ${c.adapt ? "on" : "off"}: ` +
          `${m.fpsMean.toFixed(1)} fps, ${m.sentMbps.toFixed(2)} Mbit/s, ${m.picture}`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  const unconstrained = (label: string) =>
    results.find((m) => m.c.label === label && m.c.capKbps === null && !m.c.step && !m.c.adapt) ??
      results.find((m) => m.c.label === label && m.c.capKbps === null && !m.c.step) ?? null;
  for (const m of results.filter((m) => m.c.step)) {
    stepRecoveries(m, unconstrained(m.c.label)?.sentMbps ?? null);
  }

  const { lines, out } = await startReport();
  out(
    `Test pattern through \`tools/relay.ts\` (its own process on 127.0.0.1; a cap with ` +
      `\`--queue-ms ${QUEUE_MS}\`, a drop-tail router queue), ${flags.seconds} s per capped case, ` +
      "adaptation on (the default) and off (`--adapt off`) one after the other. fps: complete " +
      "frames a second at the receiver, mean after the first second and over the last 5 s; " +
      "intact: recorded frames byte-identical to a frame the sender read (passed through) or " +
      "re-encoded ones that decode cleanly, out of the frames the sender sent; corrupted: " +
      "neither; latency: read from ffmpeg to frame complete, the run's p50 / p95 after the " +
      "warm-up; sent: what the sender put on the wire a second, mean, and its share of the cap.",
  );
  out();
  out(
    "| picture | link | adapt | fps mean | fps last 5 s | intact % | corrupted | latency p50 / p95 ms | sent Mbit/s | vs cap | picture at the end |",
  );
  out(
    "| ------- | ---- | ----- | -------- | ------------ | -------- | --------- | -------------------- | ----------- | ------ | ------------------ |",
  );
  for (const m of results.filter((m) => !m.c.step)) {
    const share = m.c.capKbps === null ? "-" : `${fixed((1000 * m.sentMbps) / m.c.capKbps, 2)}`;
    out(
      `| ${m.c.label} | ${caseLabel(m.c)} | ${m.c.adapt ? "on" : "off"} | ${
        fixed(m.fpsMean, 1)
      } | ` +
        `${fixed(m.fpsLast5, 1)} | ${fixed(m.intactPercent, 1)} | ${m.corrupted} | ` +
        `${fixed(m.latencyP50, 1)} / ${fixed(m.latencyP95, 1)} | ${fixed(m.sentMbps, 2)} | ` +
        `${share} | ${m.picture} |`,
    );
  }
  const steps = results.filter((m) => m.c.step);
  if (steps.length > 0) {
    out();
    out(
      `The step: \`--rate-schedule ${STEP_SCHEDULE} --queue-ms ${QUEUE_MS}\` (20 Mbit/s, 4 from ` +
        `${STEP_DOWN_S} s to ${STEP_UP_S} s, 20 after), ${STEP_DURATION_S} s. Recovery times are ` +
        "on the relay's clock, to the end of the first whole second back at 15 fps or more once " +
        "the rate fell below it (the stats come once a second, so they are upper bounds within " +
        "a second); the bitrate's is the first second the sender sent 90 % of what it sends " +
        "unconstrained (`--adapt off`, row above).",
    );
    out();
    out(
      "| picture | adapt | fps mean | fps last 5 s | intact % | corrupted | latency p50 / p95 ms | s to 15 fps after the step down | s to 15 fps after the lift | s to 90 % of the bitrate after the lift | picture at the end |",
    );
    out(
      "| ------- | ----- | -------- | ------------ | -------- | --------- | -------------------- | ------------------------------- | -------------------------- | -------------------------------------- | ------------------ |",
    );
    for (const m of steps) {
      out(
        `| ${m.c.label} | ${m.c.adapt ? "on" : "off"} | ${fixed(m.fpsMean, 1)} | ` +
          `${fixed(m.fpsLast5, 1)} | ${fixed(m.intactPercent, 1)} | ${m.corrupted} | ` +
          `${fixed(m.latencyP50, 1)} / ${fixed(m.latencyP95, 1)} | ${m.stepDownS} | ` +
          `${m.liftFpsS} | ${m.liftRateS ?? "-"} | ${m.picture} |`,
      );
    }
  }
  out();
  for (const line of targetLines(results)) out(line);
  out();
  out(`Total run: ${((performance.now() - started) / 1000).toFixed(0)} s.`);
  if (flags.write) await writeMarkedSection(flags.write, "link", lines.join("\n"));
  return 0;
}

/** The targets for 720p30, with what this run measured. */
function targetLines(results: Measured[]): string[] {
  const find = (capKbps: number | null, adapt: boolean, step = false) =>
    results.find((m) =>
      m.c.label === "720p30" && m.c.capKbps === capKbps && m.c.adapt === adapt && m.c.step === step
    );
  const rows: [string, string, boolean | null][] = [];
  const at4 = find(4000, true);
  if (at4) {
    rows.push([
      "≥ 20 fps intact at 4 Mbit/s, 60 ms queue",
      `${at4.fpsMean.toFixed(1)} fps (last 5 s ${at4.fpsLast5.toFixed(1)})`,
      at4.fpsMean >= 20,
    ]);
    rows.push([
      "latency p95 ≤ 100 ms there",
      `${fixed(at4.latencyP95, 1)} ms`,
      at4.latencyP95 !== null && at4.latencyP95 <= 100,
    ]);
    rows.push(["0 corrupted frames there", `${at4.corrupted}`, at4.corrupted === 0]);
  }
  const step = find(null, true, true);
  if (step) {
    const down = step.stepDownS ?? "never";
    rows.push([
      "after a step down, ≥ 15 fps again within 2 s",
      down === "no dip" ? "never fell below" : `${down} s`,
      down === "no dip" || (down !== "never" && Number(down) <= 2),
    ]);
    const lift = step.liftRateS ?? "never";
    rows.push([
      "after the cap lifts, ≥ 90 % of the unconstrained bitrate within 10 s",
      lift === "never" ? "never" : `${lift} s`,
      lift !== "never" && Number(lift) <= 10,
    ]);
  }
  const freeOn = find(null, true);
  const freeOff = find(null, false);
  if (freeOn && freeOff) {
    const ratio = freeOn.sentMbps / freeOff.sentMbps;
    rows.push([
      "unconstrained: the same bitrate (± 5 %) as today",
      `${freeOn.sentMbps.toFixed(2)} vs ${freeOff.sentMbps.toFixed(2)} Mbit/s (${
        ((ratio - 1) * 100).toFixed(1)
      } %)`,
      Math.abs(ratio - 1) <= 0.05,
    ]);
    rows.push([
      "unconstrained: the same latency as today",
      `p50 ${fixed(freeOn.latencyP50, 2)} vs ${fixed(freeOff.latencyP50, 2)} ms, p95 ${
        fixed(freeOn.latencyP95, 2)
      } vs ${fixed(freeOff.latencyP95, 2)} ms`,
      null,
    ]);
  }
  return [
    "Targets (720p30):",
    "",
    "| target | measured | |",
    "| ------ | -------- | - |",
    ...rows.map(([target, measured, met]) =>
      `| ${target} | ${measured} | ${met === null ? "see below" : met ? "met" : "missed"} |`
    ),
  ];
}

if (import.meta.main) await runMain("link_bench", main);
