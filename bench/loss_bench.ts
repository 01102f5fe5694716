/**
 * `deno run -A bench/loss_bench.ts`: loss recovery end to end. ffmpeg's test pattern at 1280x720
 * and 1920x1080 @30 goes udpcam-send → fault-injecting relay (127.0.0.1) → udpcam-recv, at 0, 1, 2
 * and 5 % random loss and 2 % bursty loss (mean burst 3), with no recovery, FEC (rs:20/3), NACK,
 * and both. Prints markdown tables: frames intact (byte-identical to what the sender read), extra
 * latency at 0 % loss vs. no recovery, and bandwidth overhead.
 *
 * Flags: `--seconds S` per cell (default 6; 40 cells), `--quick` (720p, 0 and 2 % only, 3 s),
 * `--write FILE` (replace the section between `<!-- bench:loss:start -->` and
 * `<!-- bench:loss:end -->` in FILE, e.g. docs/benchmarks.md, with the tables).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type LossRunResult, runThroughLossyRelay } from "../tests/support/loss_run.ts";
import type { FaultSettings } from "../lib/netsim/mod.ts";
import { machine, writeMarkedSection } from "./support/proc.ts";

interface Condition {
  name: string;
  faults: Partial<FaultSettings>;
}

const MODES: { name: string; flags: string[] }[] = [
  { name: "none", flags: ["--no-nack"] },
  { name: "FEC", flags: ["--fec", "--no-nack"] },
  { name: "NACK", flags: [] },
  { name: "both", flags: ["--fec"] },
];

const CONDITIONS: Condition[] = [
  { name: "0 %", faults: { lossPercent: 0 } },
  { name: "1 % random", faults: { lossPercent: 1, seed: 101 } },
  { name: "2 % random", faults: { lossPercent: 2, seed: 102 } },
  { name: "5 % random", faults: { lossPercent: 5, seed: 105 } },
  { name: "2 % bursty (3)", faults: { lossPercent: 2, burstLength: 3, seed: 203 } },
];

interface Cell {
  size: string;
  condition: string;
  mode: string;
  result: LossRunResult;
}

function num(value: unknown): number {
  return typeof value === "number" ? value : 0;
}

/** Bytes on the wire per frame read: paced datagrams plus retransmissions. */
function bytesPerFrame(result: LossRunResult): number {
  const retransmit = result.sender.retransmit as { bytesRetransmitted?: number } | null;
  const bytes = num(result.sender.bytesSent) + num(retransmit?.bytesRetransmitted);
  return bytes / Math.max(1, num(result.sender.framesRead));
}

function latency(result: LossRunResult): { p50: number; p95: number } | null {
  const run = result.receiver.latencyMsRun as { p50: number; p95: number } | null | undefined;
  return run ?? null;
}

function pct(part: number, whole: number): string {
  return whole === 0 ? "–" : `${(100 * part / whole).toFixed(1)} %`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string" },
      quick: { type: "boolean" },
      // One long cell, e.g. --size 1280x720 --condition "1 % random" --mode both --seconds 60,
      // to show rates like 99.9 % that 180 frames cannot.
      size: { type: "string" },
      condition: { type: "string" },
      mode: { type: "string" },
      write: { type: "string" },
    },
  });
  const quick = values.quick ?? false;
  const seconds = Number(values.seconds ?? (quick ? 3 : 6));
  const sizes = values.size ? [values.size] : quick ? ["1280x720"] : ["1280x720", "1920x1080"];
  const conditions = CONDITIONS.filter((c) =>
    values.condition === undefined || c.name === values.condition
  )
    .filter((_, i) => !quick || values.condition !== undefined || i === 0 || i === 2);
  const cells: Cell[] = [];
  const startMs = performance.now();
  for (const size of sizes) {
    for (const condition of conditions) {
      for (const mode of MODES.filter((m) => values.mode === undefined || m.name === values.mode)) {
        const dir = await Deno.makeTempDir({ prefix: "udpcam-lossbench-" });
        try {
          const result = await runThroughLossyRelay({
            size,
            fps: 30,
            frames: Math.round(seconds * 30),
            senderFlags: mode.flags,
            faults: condition.faults,
            dir,
          });
          cells.push({ size, condition: condition.name, mode: mode.name, result });
          console.error(
            `${size} ${condition.name} ${mode.name}: ${result.framesIntact}/${result.framesSent}` +
              ` intact, ${result.framesCorrupted} corrupted, relay lost ${result.relay.forward.lost}`,
          );
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      }
    }
  }
  const find = (size: string, condition: string, mode: string) =>
    cells.find((c) => c.size === size && c.condition === condition && c.mode === mode)?.result;

  const lines: string[] = [];
  lines.push(
    `Run of ${new Date().toISOString().slice(0, 10)} on ${await machine()}.\n`,
  );
  lines.push(`Frames intact (byte-identical), ${seconds} s per cell at 30 fps:\n`);
  lines.push(`| size | loss | ${MODES.map((m) => m.name).join(" | ")} |`);
  lines.push(`| --- | --- |${MODES.map(() => " --- |").join("")}`);
  for (const size of sizes) {
    for (const condition of conditions) {
      const row = MODES.map((mode) => {
        const r = find(size, condition.name, mode.name);
        return r ? pct(r.framesIntact, r.framesSent) : "–";
      });
      lines.push(`| ${size} | ${condition.name} | ${row.join(" | ")} |`);
    }
  }
  lines.push("");
  lines.push(
    "Latency (read from ffmpeg → frame complete) at 0 % loss, and bandwidth vs. no recovery:\n",
  );
  lines.push(
    "| size | mode | p50 ms | p95 ms | extra p50 | extra p95 | overhead 0 % | overhead 2 % |",
  );
  lines.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const size of sizes) {
    const base = find(size, "0 %", "none");
    const baseLatency = base ? latency(base) : null;
    const baseBytes = base ? bytesPerFrame(base) : 0;
    for (const mode of MODES) {
      const clean = find(size, "0 %", mode.name);
      const lossy = find(size, "2 % random", mode.name);
      const l = clean ? latency(clean) : null;
      const extra = (key: "p50" | "p95") =>
        l && baseLatency ? (l[key] - baseLatency[key]).toFixed(1) : "–";
      const overhead = (r: LossRunResult | undefined) =>
        r && baseBytes > 0 ? `${(100 * (bytesPerFrame(r) / baseBytes - 1)).toFixed(1)} %` : "–";
      lines.push(
        `| ${size} | ${mode.name} | ${l?.p50.toFixed(1) ?? "–"} | ${l?.p95.toFixed(1) ?? "–"} | ` +
          `${extra("p50")} | ${extra("p95")} | ${overhead(clean)} | ${overhead(lossy)} |`,
      );
    }
  }
  lines.push("");
  const corrupted = cells.reduce((sum, cell) => sum + cell.result.framesCorrupted, 0);
  const relayLost = cells.reduce((sum, cell) => sum + cell.result.relay.forward.lost, 0);
  lines.push(
    `Corrupted frames (recorded but not byte-identical to a frame the sender read): ` +
      `${corrupted} in all ${cells.length} cells; the relay dropped ${relayLost} datagrams in all.`,
  );
  lines.push("");
  lines.push(`Total run: ${((performance.now() - startMs) / 1000).toFixed(0)} s.`);
  const output = lines.join("\n");
  console.log(output);
  if (values.write) await writeMarkedSection(values.write, "loss", output);
}

if (import.meta.main) await main();
