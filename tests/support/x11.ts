/**
 * A real X server for window tests: Xvfb on a free display, a window manager, xdotool and
 * screenshots. Every helper is bounded in time; callers kill what they start in `finally`.
 *
 * @module
 */

/** Fails with a message naming the apt package when `command` is not installed. */
export async function requireCommand(
  command: string,
  args: string[],
  aptPackage: string,
): Promise<void> {
  try {
    await new Deno.Command(command, { args, stdin: "null", stdout: "null", stderr: "null" })
      .output();
  } catch {
    throw new Error(`${command} is required for this test: install it (apt install ${aptPackage})`);
  }
}

/** Runs `command` to completion (killed after `timeoutMs`) and returns its stdout as bytes. */
export async function runBytes(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const child = new Deno.Command(command, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }, timeoutMs);
  const output = await child.output();
  clearTimeout(timer);
  return {
    code: output.code,
    stdout: output.stdout,
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** Runs `command` and returns its stdout as trimmed text. */
export async function runText(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await runBytes(command, args, env, timeoutMs);
  return { ...result, stdout: new TextDecoder().decode(result.stdout).trim() };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retries `probe` every `everyMs` until it returns a value (not null) or `timeoutMs` passes. */
export async function poll<T>(
  probe: () => Promise<T | null>,
  what: string,
  timeoutMs = 15_000,
  everyMs = 200,
): Promise<T> {
  const attempts = Math.ceil(timeoutMs / everyMs);
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value !== null) return value;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A running Xvfb. */
export interface XServer {
  /** ":N", for DISPLAY. */
  display: string;
  /** Screen size. */
  width: number;
  /** Screen size. */
  height: number;
  /** Stops the server and anything started with {@linkcode XServer.spawn}. */
  close(): Promise<void>;
  /** Starts a helper (window manager) on this display; it is killed by close(). */
  spawn(command: string, args: string[]): void;
}

/** Starts `Xvfb :N -screen 0 WxHx24` on the first free display number from 90. */
export async function startXvfb(width = 1280, height = 800): Promise<XServer> {
  await requireCommand("Xvfb", ["-help"], "xvfb");
  for (let n = 90; n < 190; n++) {
    if (exists(`/tmp/.X${n}-lock`) || exists(`/tmp/.X11-unix/X${n}`)) continue;
    const server = new Deno.Command("Xvfb", {
      args: [`:${n}`, "-screen", "0", `${width}x${height}x24`, "-nolisten", "tcp"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let ready = false;
    for (let i = 0; i < 50 && !ready; i++) {
      await sleep(100);
      ready = exists(`/tmp/.X11-unix/X${n}`);
    }
    if (!ready) {
      kill(server);
      await server.status;
      continue; // another process won the race for this number
    }
    const helpers: Deno.ChildProcess[] = [];
    const display = `:${n}`;
    return {
      display,
      width,
      height,
      spawn(command, args) {
        helpers.push(
          new Deno.Command(command, {
            args,
            env: { DISPLAY: display },
            stdin: "null",
            stdout: "null",
            stderr: "null",
          }).spawn(),
        );
      },
      async close() {
        for (const child of [...helpers, server]) {
          kill(child);
          await child.status;
        }
      },
    };
  }
  throw new Error("Cannot start Xvfb: no free display number from :90 to :189");
}

/** The first window whose title matches `name` (xdotool search --name), or null. */
export async function findWindow(display: string, name: string): Promise<string | null> {
  const result = await runText("xdotool", ["search", "--name", name], { DISPLAY: display });
  return result.code === 0 && result.stdout ? result.stdout.split("\n")[0] : null;
}

/** A window's title. */
export async function windowName(display: string, window: string): Promise<string> {
  return (await runText("xdotool", ["getwindowname", window], { DISPLAY: display })).stdout;
}

/** A window's size in pixels, from xdotool getwindowgeometry. */
export async function windowSize(
  display: string,
  window: string,
): Promise<{ width: number; height: number }> {
  const text = (await runText("xdotool", ["getwindowgeometry", window], { DISPLAY: display }))
    .stdout;
  const match = /Geometry: (\d+)x(\d+)/.exec(text);
  if (!match) throw new Error(`xdotool getwindowgeometry gave no size: ${text}`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

/** Runs xdotool with `args` on `display`; throws on failure. */
export async function xdotool(display: string, ...args: string[]): Promise<void> {
  const result = await runText("xdotool", args, { DISPLAY: display });
  if (result.code !== 0) throw new Error(`xdotool ${args.join(" ")} failed: ${result.stderr}`);
}

/** The whole screen as `format` ("rgb" raw bytes, or "png"), via xwd and ImageMagick. */
export async function screenshot(display: string, format: "rgb" | "png"): Promise<Uint8Array> {
  const result = await runBytes("sh", [
    "-c",
    `xwd -root -silent -display ${display} | convert xwd:- -depth 8 ${format}:-`,
  ]);
  if (result.code !== 0 || result.stdout.length === 0) {
    throw new Error(`Cannot take a screenshot with xwd and convert: ${result.stderr}`);
  }
  return result.stdout;
}

/** Saturated colours by hue sector, with the share of sampled pixels that have each. */
export function saturatedColours(rgb: Uint8Array): Record<string, number> {
  const names = ["red", "yellow", "green", "cyan", "blue", "magenta"];
  const counts = new Array(6).fill(0);
  let sampled = 0;
  for (let i = 0; i + 2 < rgb.length; i += 3 * 7) {
    sampled++;
    const r = rgb[i], g = rgb[i + 1], b = rgb[i + 2];
    const max = Math.max(r, g, b), min = Math.min(r, g, b);
    if (max < 160 || max - min < 120) continue;
    let hue: number;
    if (max === r) hue = ((g - b) / (max - min) + 6) % 6;
    else if (max === g) hue = (b - r) / (max - min) + 2;
    else hue = (r - g) / (max - min) + 4;
    counts[Math.round(hue) % 6]++;
  }
  const shares: Record<string, number> = {};
  names.forEach((name, i) => shares[name] = counts[i] / Math.max(1, sampled));
  return shares;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function kill(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGTERM");
  } catch { /* exited */ }
}
