/**
 * What the benchmarks share: CPU time and memory of processes read from /proc (Linux), stopping a
 * process with everything it started, medians, the machine line, and writing a results section
 * between markers in a markdown file.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { percentile } from "../../lib/stats/mod.ts";

/** Linux's USER_HZ: /proc/PID/stat counts CPU time in these ticks on every common platform. */
export const CLOCK_TICKS_PER_SECOND = 100;

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** The fields of /proc/PID/stat after the command name (which may hold spaces), or null. */
function statFields(pid: number): string[] | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** utime + stime of a process (all its threads), in seconds; null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  const fields = statFields(pid);
  if (fields === null) return null;
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** The pids whose parent is `parent` right now. */
export function childPids(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const fields = statFields(Number(entry.name));
    if (fields !== null && Number(fields[1]) === parent) pids.push(Number(entry.name));
  }
  return pids;
}

/** A process as /proc knows it: pid and start time, so a reused pid is never mistaken for it. */
interface ProcessIdentity {
  pid: number;
  startTicks: string;
}

function identity(pid: number): ProcessIdentity | null {
  const fields = statFields(pid);
  return fields === null ? null : { pid, startTicks: fields[19] };
}

/** `pid` and every process below it right now, parents first. */
function processTree(pid: number): ProcessIdentity[] {
  const root = identity(pid);
  const tree = root === null ? [] : [root];
  // Bounded: a process tree larger than this is not one a benchmark started.
  for (let i = 0; i < tree.length && i < 64; i++) {
    for (const child of childPids(tree[i].pid)) {
      const member = identity(child);
      if (member !== null) tree.push(member);
    }
  }
  return tree;
}

/** Resident memory of a process (VmRSS) in MB (2^20 bytes); null when it is gone. */
export function rssMb(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** SIGKILL to `member` if that very process still runs. */
function killIfSame(member: ProcessIdentity): void {
  if (identity(member.pid)?.startTicks !== member.startTicks) return;
  try {
    Deno.kill(member.pid, "SIGKILL");
  } catch { /* gone meanwhile */ }
}

/**
 * Stops a process and whatever it started: SIGTERM to `pid`; if `exited` has not resolved after
 * `graceMs`, SIGKILL to it. Children it leaves behind either way (an ffmpeg the sender did not
 * reap) get SIGKILL too. Resolves once it exited; rejects when even SIGKILL did not end it within
 * `graceMs` more.
 */
export async function stopProcess(
  pid: number,
  exited: Promise<unknown>,
  graceMs = 2000,
): Promise<void> {
  // Listed before the signal: once the parent is gone its children are re-parented and lost.
  const tree = processTree(pid);
  let done = false;
  const finished = exited.then(() => done = true, () => done = true);
  try {
    Deno.kill(pid, "SIGTERM");
  } catch { /* already gone */ }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = () => new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs));
  await Promise.race([finished, grace()]);
  clearTimeout(timer);
  for (const member of done ? tree.slice(1) : tree) killIfSame(member);
  await Promise.race([finished, grace()]);
  clearTimeout(timer);
  if (!done) throw new Error(`Cannot stop process ${pid}: it survived SIGKILL. Kill it by hand.`);
}

/** The median of `values` (0 for none). */
export function median(values: number[]): number {
  return percentile(values, 50) ?? 0;
}

/** The median of the values that are not null, or null when none is. */
export function medianOrNull(values: (number | null | undefined)[]): number | null {
  const present = values.filter((v): v is number => typeof v === "number");
  return present.length ? median(present) : null;
}

/** One line naming this machine: CPU model, cores, memory, Deno version, OS. */
export async function machine(): Promise<string> {
  const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.+)/)?.[1];
  return `${cpu ?? "unknown CPU"}, ${navigator.hardwareConcurrency} cores, ` +
    `${(Deno.systemMemoryInfo().total / 2 ** 30).toFixed(0)} GiB, Deno ${Deno.version.deno}, ` +
    `${Deno.build.os}`;
}

/** A benchmark's report: lines printed as they come and kept for {@linkcode writeMarkedSection}. */
export interface ReportLines {
  /** Every line so far. */
  lines: string[];
  /** Prints `line` (default: an empty one) and keeps it. */
  out(line?: string): void;
}

/** Starts a report whose first line says when and on what machine it was run. */
export async function startReport(): Promise<ReportLines> {
  const lines: string[] = [];
  const out = (line = "") => {
    lines.push(line);
    console.log(line);
  };
  out(`Run of ${new Date().toISOString().slice(0, 10)} on ${await machine()}.`);
  out();
  return { lines, out };
}

/**
 * Replaces what lies between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` in the
 * markdown file `path` with `content`, then runs `deno fmt` on the file so `deno task check` stays
 * clean after a benchmark run.
 */
export async function writeMarkedSection(
  path: string,
  name: string,
  content: string,
): Promise<void> {
  const doc = await Deno.readTextFile(path);
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const startAt = doc.indexOf(start);
  const endAt = doc.indexOf(end);
  if (startAt < 0 || endAt < startAt) {
    throw new Error(
      `Cannot write results to ${path}: it lacks the markers ${start} ... ${end}. Add them where ` +
        "the results belong.",
    );
  }
  const before = doc.slice(0, startAt + start.length);
  const after = doc.slice(endAt);
  await Deno.writeTextFile(path, `${before}\n\n${content}\n\n${after}`);
  await new Deno.Command(Deno.execPath(), { args: ["fmt", path], stdout: "null", stderr: "null" })
    .output();
}

/** The flags every table-generating benchmark takes. */
export interface BenchFlags {
  /** `--quick`: one short case, only to check the benchmark runs. */
  quick: boolean;
  /** `--runs N` (1..50): runs per case; medians are reported. */
  runs: number;
  /** `--seconds S` (1..600): measured seconds per run. */
  seconds: number;
  /** `--write FILE`: the document whose marked section gets the tables, or null. */
  write: string | null;
}

/**
 * Parses `--quick`, `--runs`, `--seconds` and `--write`, with the defaults given for full and quick
 * runs. Throws on a value out of range, so a typo never writes zeros into the docs.
 */
export function parseBenchFlags(
  args: string[],
  defaults: { runs: number; seconds: number; quickSeconds: number },
): BenchFlags {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean" },
      runs: { type: "string" },
      seconds: { type: "string" },
      write: { type: "string" },
    },
  });
  const quick = values.quick ?? false;
  const runs = Number(values.runs ?? (quick ? 1 : defaults.runs));
  const seconds = Number(values.seconds ?? (quick ? defaults.quickSeconds : defaults.seconds));
  if (!(Number.isInteger(runs) && runs >= 1 && runs <= 50)) {
    throw new Error(`Cannot run ${values.runs} times: give --runs a whole number 1..50.`);
  }
  if (!(seconds >= 1 && seconds <= 600)) {
    throw new Error(`Cannot measure for ${values.seconds} s: give --seconds 1..600.`);
  }
  return { quick, runs, seconds, write: values.write ?? null };
}
