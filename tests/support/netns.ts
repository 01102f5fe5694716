/**
 * Runs programs in a private network namespace (`unshare -rn`, no root needed where user
 * namespaces are allowed), so kernel UDP counters such as RcvbufErrors count only their traffic.
 *
 * @module
 */

import { V8_FLAGS } from "../../tools/permissions.ts";
import { childEnv, repoPath } from "./programs.ts";

/** A program running in a network namespace, its output collected. */
export interface NetnsProgram {
  /** The child (its pid is the program's pid inside the namespace). */
  child: Deno.ChildProcess;
  /** Resolves with the exit code and output once it exits. */
  done: Promise<{ code: number; stdout: string; stderr: string }>;
  /** The output so far. */
  stderrSoFar(): string;
}

function collect(child: Deno.ChildProcess): NetnsProgram {
  let stderr = "";
  let stdout = "";
  const readErr = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) stderr += decoder.decode(chunk, { stream: true });
  })();
  const readOut = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) stdout += decoder.decode(chunk, { stream: true });
  })();
  const done = (async () => {
    const status = await child.status;
    await Promise.all([readErr, readOut]);
    return { code: status.code, stdout, stderr };
  })();
  return { child, done, stderrSoFar: () => stderr };
}

function denoArgs(entry: string, args: string[]): string[] {
  return [
    "run",
    "--quiet",
    "--config",
    repoPath("deno.json"),
    ...V8_FLAGS,
    "-A",
    repoPath(entry),
    ...args,
  ];
}

/** Starts `entry` in a new user+network namespace whose loopback is up. */
export function startInNewNetns(
  entry: string,
  args: string[],
  env: Record<string, string>,
): NetnsProgram {
  return collect(
    new Deno.Command("unshare", {
      args: [
        "--user",
        "--map-root-user",
        "--net",
        "sh",
        "-c",
        'ip link set lo up && exec "$@"',
        "sh",
        Deno.execPath(),
        ...denoArgs(entry, args),
      ],
      env: childEnv(env),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
}

/** Starts `entry` inside the namespaces of process `pid` (started by startInNewNetns). */
export function startInNetnsOf(
  pid: number,
  entry: string,
  args: string[],
  env: Record<string, string> = {},
): NetnsProgram {
  return collect(
    new Deno.Command("nsenter", {
      args: [
        "--user",
        "--net",
        "--preserve-credentials",
        "-t",
        String(pid),
        Deno.execPath(),
        ...denoArgs(entry, args),
      ],
      env: childEnv(env),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
}

/** The Udp row of /proc/<pid>/net/snmp as named counters (that process's namespace). */
export function udpCounters(pid: number): Record<string, number> {
  const lines = Deno.readTextFileSync(`/proc/${pid}/net/snmp`).split("\n")
    .filter((line) => line.startsWith("Udp:"));
  const names = lines[0].split(/\s+/).slice(1);
  const values = lines[1].split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(names.map((name, i) => [name, values[i]]));
}

/** The `drops` column of /proc/<pid>/net/udp for the socket bound to `port`, or null. */
export function socketDrops(pid: number, port: number): number | null {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const line of Deno.readTextFileSync(`/proc/${pid}/net/udp`).split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length > 12 && fields[1].endsWith(`:${hexPort}`)) return Number(fields.at(-1));
  }
  return null;
}
