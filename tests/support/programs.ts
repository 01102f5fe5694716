/**
 * Runs udpcam's entry points as real child processes for end-to-end tests.
 *
 * @module
 */

import { V8_FLAGS } from "../../tools/permissions.ts";

const ROOT = new URL("../../", import.meta.url);

/**
 * The environment for a program a test starts: this process's, minus every `UDPCAM_*` variable,
 * plus `extra`. Tests run in parallel in one process, so a variable one test sets for a moment
 * (a library override, a key) must never reach programs other tests start meanwhile: those pass
 * what they need explicitly.
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of Object.keys(env)) if (name.startsWith("UDPCAM_")) delete env[name];
  return { ...env, NO_COLOR: "1", ...extra };
}

/** Absolute path of a file in the repository. */
export function repoPath(relative: string): string {
  return new URL(relative, ROOT).pathname;
}

/** A running program with its output collected. */
export interface RunningProgram {
  /** The child process. */
  child: Deno.ChildProcess;
  /** Resolves with exit code, stdout and stderr once it exits. */
  done: Promise<{ code: number; stdout: string; stderr: string }>;
  /** Resolves when stderr has shown a line matching `pattern`; rejects after `timeoutMs`. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when stdout has shown text matching `pattern`; rejects after `timeoutMs`. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** What the program printed on stdout so far. */
  stdoutSoFar(): string;
}

/**
 * Starts `deno run` on one of our entry points with the project's config and `permissions`
 * (all by default).
 */
export function startProgram(
  entry: "sender.ts" | "receiver.ts" | string,
  args: string[],
  options: { permissions?: string[]; env?: Record<string, string>; v8Flags?: readonly string[] } =
    {},
): RunningProgram {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--config",
      repoPath("deno.json"),
      // What the binaries and `deno task send|recv` run with, unless a benchmark compares.
      ...(options.v8Flags ?? V8_FLAGS),
      ...(options.permissions ?? ["-A"]),
      repoPath(entry),
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: childEnv(options.env),
    clearEnv: true,
  }).spawn();
  let stderr = "";
  let stdout = "";
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const outWaiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const decoder = new TextDecoder();
  const readErr = (async () => {
    for await (const chunk of child.stderr) {
      stderr += decoder.decode(chunk, { stream: true });
      for (const waiter of [...waiters]) {
        const match = stderr.match(waiter.pattern);
        if (match) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(match[0]);
        }
      }
    }
  })();
  const readOut = (async () => {
    const outDecoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      stdout += outDecoder.decode(chunk, { stream: true });
      for (const waiter of [...outWaiters]) {
        const match = stdout.match(waiter.pattern);
        if (match) {
          outWaiters.splice(outWaiters.indexOf(waiter), 1);
          waiter.resolve(match[0]);
        }
      }
    }
  })();
  const done = (async () => {
    const status = await child.status;
    await Promise.all([readErr, readOut]);
    return { code: status.code, stdout, stderr };
  })();
  const waitFor = (
    name: "stdout" | "stderr",
    list: typeof waiters,
    pattern: RegExp,
    timeoutMs: number,
  ): Promise<string> => {
    const text = () => name === "stdout" ? stdout : stderr;
    const match = text().match(pattern);
    if (match) return Promise.resolve(match[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${pattern} on ${name}; got:\n${text()}`));
      }, timeoutMs);
      list.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      done.then(() => {
        clearTimeout(timer);
        reject(new Error(`exited before ${pattern} appeared on ${name}:\n${text()}`));
      });
    });
  };
  return {
    child,
    done,
    stdoutSoFar: () => stdout,
    waitForStdout: (pattern, timeoutMs = 20_000) =>
      waitFor("stdout", outWaiters, pattern, timeoutMs),
    waitForStderr: (pattern, timeoutMs = 20_000) => waitFor("stderr", waiters, pattern, timeoutMs),
  };
}

/** How long {@linkcode stopProgram} waits after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 10_000;

/**
 * Stops a program with SIGTERM if it still runs, and waits for it; SIGKILL after 10 s, so a test
 * never waits forever (its exit code then says 137 and the test's assertions report it).
 */
export async function stopProgram(program: RunningProgram) {
  try {
    program.child.kill("SIGTERM");
  } catch { /* already exited */ }
  const killer = setTimeout(() => {
    try {
      program.child.kill("SIGKILL");
    } catch { /* exited meanwhile */ }
  }, STOP_GRACE_MS);
  try {
    return await program.done;
  } finally {
    clearTimeout(killer);
  }
}

/** A UDP port that was free a moment ago on 127.0.0.1. */
export function freeUdpPort(): number {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (socket.addr as Deno.NetAddr).port;
  socket.close();
  return port;
}

/** Fails with a message naming the apt package when `tool` is not installed. */
export async function requireTool(tool: string, aptPackage: string): Promise<void> {
  try {
    await new Deno.Command(tool, { args: ["-version"], stdout: "null", stderr: "null" }).output();
  } catch {
    throw new Error(`${tool} is required for this test: install it (apt install ${aptPackage})`);
  }
}

/** Lines of stdout parsed as JSON, ignoring anything else. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
}

/**
 * Starts udpcam-recv on a free 127.0.0.1 port with `args` and waits until it listens. The
 * receiver's flags other than `--listen` are the caller's (`--headless`, `--stats-json`, ...).
 */
export async function startLoopbackReceiver(
  args: string[],
  options: { permissions?: string[]; env?: Record<string, string> } = {},
): Promise<{ receiver: RunningProgram; port: number }> {
  const port = freeUdpPort();
  const receiver = startProgram("receiver.ts", ["--listen", `127.0.0.1:${port}`, ...args], options);
  await receiver.waitForStderr(/listening on 127\.0\.0\.1:\d+/);
  return { receiver, port };
}

/** Starts udpcam-send on ffmpeg's test pattern towards 127.0.0.1:`port`, with `args` added. */
export function startTestPatternSender(
  port: number,
  args: string[],
  options: { permissions?: string[]; env?: Record<string, string> } = {},
): RunningProgram {
  return startProgram(
    "sender.ts",
    ["--test-pattern", "--to", `127.0.0.1:${port}`, ...args],
    options,
  );
}
