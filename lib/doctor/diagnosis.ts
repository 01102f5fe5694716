/**
 * The doctor's verdicts: turns what the probes found (lib/cli/doctor.ts) into one check per
 * concern, formats them one line each, and decides the exit code. Pure, so every message and rule
 * is tested without the tools installed or missing.
 *
 * @module
 */

import {
  DEFAULT_DATAGRAM_BYTES,
  formatHostPort,
  UNPRIVILEGED_PORT_START,
  unprivilegedPortAdvice,
  WANTED_RECEIVE_BUFFER_BYTES,
} from "../net/mod.ts";
import { type CaptureOs, ffmpegInstallHint } from "../capture/mod.ts";
import { describeError } from "../errors.ts";

/** Which program's needs are checked: the sender's or the receiver's. */
export type DoctorProfile = "send" | "recv";

/** One thing the doctor looked at. */
export interface DoctorCheck {
  /** Short name shown first on the line, e.g. "ffmpeg". */
  name: string;
  /** True when the thing is there and usable (or the line is only informational). */
  ok: boolean;
  /** True when the program cannot do its job without it: a failure makes the exit code 1. */
  needed: boolean;
  /** What was found, on one line. */
  detail: string;
  /** What to do when `ok` is false: a command or a flag. */
  fix?: string;
}

/** Longest detail or fix printed, in characters; longer text is cut with "…". */
export const MAX_DETAIL_CHARS = 400;

/** Oldest SDL2 whose functions lib/sdl/ffi.ts calls. */
export const MIN_SDL_VERSION: readonly [number, number, number] = [2, 0, 10];

/** Most addresses listed on the addresses line; the rest are counted. */
export const MAX_LISTED_ADDRESSES = 8;

/** Turns `text` into one line of at most {@linkcode MAX_DETAIL_CHARS} characters. */
export function oneLine(text: string): string {
  const flat = text.replace(/\s*[\r\n]+\s*/g, " ").trim();
  return flat.length > MAX_DETAIL_CHARS ? `${flat.slice(0, MAX_DETAIL_CHARS - 1)}…` : flat;
}

/**
 * One line per check: a mark (✓ or ✗), the name, "(warning)" when a check that is not needed
 * failed, the detail, and the fix after "fix:".
 */
export function formatCheck(check: DoctorCheck): string {
  const mark = check.ok ? "✓" : "✗";
  const tag = !check.ok && !check.needed ? " (warning)" : "";
  const fix = !check.ok && check.fix ? `; fix: ${oneLine(check.fix)}` : "";
  return `${mark} ${check.name}${tag}: ${oneLine(check.detail)}${fix}`;
}

/** The whole report: a title, one line per check, and a closing verdict. *
 * @example One line per check, a fix under each failure
 * ```ts
 * import { formatDoctorReport } from "./diagnosis.ts";
 *
 * const report = formatDoctorReport("udpcam-send", [
 *   { name: "ffmpeg", ok: true, needed: true, detail: "ffmpeg version 5.1" },
 *   { name: "cameras", ok: false, needed: false, detail: "none found", fix: "--test-pattern" },
 * ]);
 * if (!report.includes("ffmpeg") || !report.includes("--test-pattern")) throw new Error(report);
 * ```
 */
export function formatDoctorReport(program: string, checks: readonly DoctorCheck[]): string {
  const failedNeeded = checks.filter((check) => check.needed && !check.ok);
  const warnings = checks.filter((check) => !check.needed && !check.ok);
  const verdict = failedNeeded.length > 0
    ? `${program} cannot run here yet: fix ${
      failedNeeded.map((c) => c.name).join(", ")
    } (see ✗ above).`
    : warnings.length > 0
    ? `${program} is ready, with ${warnings.length} warning${warnings.length === 1 ? "" : "s"}.`
    : `${program} is ready.`;
  return [`${program} doctor`, ...checks.map(formatCheck), verdict].join("\n");
}

/** 1 when a needed check failed, 0 otherwise (warnings do not change the exit code). */
export function doctorExitCode(checks: readonly DoctorCheck[]): 0 | 1 {
  return checks.some((check) => check.needed && !check.ok) ? 1 : 0;
}

/** What running `ffmpeg -version` gave. */
export type FfmpegProbe =
  | { kind: "found"; stdout: string }
  | { kind: "missing" }
  | { kind: "failed"; reason: string };

/**
 * The first non-empty line of `ffmpeg -version` without its copyright notice, e.g.
 * "ffmpeg version 5.1.6-0+deb12u1".
 */
export function ffmpegVersionLine(stdout: string): string {
  const line = stdout.split(/\r?\n/).find((l) => l.trim() !== "");
  return oneLine((line ?? "(no version printed)").replace(/\s+Copyright.*$/, ""));
}

/** The ffmpeg line: needed by the sender, with its version or the install command. */
export function ffmpegCheck(ffmpegPath: string, os: CaptureOs, probe: FfmpegProbe): DoctorCheck {
  const fix = `${ffmpegInstallHint(os)}, or pass its location with --ffmpeg PATH`;
  switch (probe.kind) {
    case "found":
      return {
        name: "ffmpeg",
        ok: true,
        needed: true,
        detail: ffmpegVersionLine(probe.stdout) +
          (ffmpegPath === "ffmpeg" ? "" : ` (${ffmpegPath})`),
      };
    case "missing":
      return {
        name: "ffmpeg",
        ok: false,
        needed: true,
        detail: `"${ffmpegPath}" was not found`,
        fix,
      };
    case "failed":
      return {
        name: "ffmpeg",
        ok: false,
        needed: true,
        detail: `"${ffmpegPath} -version" failed: ${probe.reason}`,
        fix,
      };
  }
}

/** What listing the cameras gave. */
export type CamerasProbe =
  | { kind: "listed"; devices: readonly { device: string; name: string }[] }
  | { kind: "failed"; reason: string }
  | { kind: "notChecked"; reason: string };

/**
 * The cameras line. Never needed: the receiver has no use for one, and the sender can stream
 * `--test-pattern` or `--file`; for the sender, no camera is a warning.
 */
export function camerasCheck(profile: DoctorProfile, probe: CamerasProbe): DoctorCheck {
  const name = "cameras";
  const fix = "connect a camera, or stream without one with --test-pattern (or --file PATH)";
  if (probe.kind === "notChecked") {
    return { name, ok: true, needed: false, detail: `not checked: ${probe.reason}` };
  }
  if (probe.kind === "failed") {
    return profile === "recv"
      ? { name, ok: true, needed: false, detail: `not checked (receiving needs no camera)` }
      : {
        name,
        ok: false,
        needed: false,
        detail: `cannot list them: ${probe.reason}`,
        fix: "see them with --list-devices and pick one with --device, or stream without a " +
          "camera with --test-pattern",
      };
  }
  const shown = probe.devices.slice(0, MAX_LISTED_ADDRESSES).map((d) =>
    d.name === d.device ? d.device : `${d.device} (${d.name})`
  );
  const more = probe.devices.length > shown.length
    ? `, and ${probe.devices.length - shown.length} more`
    : "";
  if (probe.devices.length === 0) {
    return profile === "send"
      ? { name, ok: false, needed: false, detail: "none found", fix }
      : { name, ok: true, needed: false, detail: "none found (receiving needs no camera)" };
  }
  return {
    name,
    ok: true,
    needed: false,
    detail: `${probe.devices.length} found: ${shown.join(", ")}${more}`,
  };
}

/** What opening a shared library gave. */
export type LibraryProbe =
  | { kind: "loaded"; path: string; version?: readonly [number, number, number] }
  | { kind: "missing"; reason: string };

/**
 * What the library loader tried and how each try failed, in order (lib/ffi's LibraryLoadError has
 * this shape).
 */
export interface LibraryLoadFailure {
  /** The override variable when its value was the one file tried; null: the OS's list. */
  readonly envVar: string | null;
  /** Each name or path tried, with what opening it threw. */
  readonly attempts: readonly { readonly path: string; readonly error: unknown }[];
}

/**
 * The detail of a library that did not load: "not found (tried a, b): <first error>", or with
 * the override "VAR=path cannot be loaded (tried path): <error>". The first error is the one a
 * wrong architecture or a missing symbol shows in.
 */
export function libraryMissingReason(failure: LibraryLoadFailure): string {
  const tried = failure.attempts.map((attempt) => attempt.path);
  const first = failure.attempts.length > 0 ? reasonOf(failure.attempts[0].error) : "";
  const what = failure.envVar === null
    ? "not found"
    : `${failure.envVar}=${tried[0]} cannot be loaded`;
  return `${what} (tried ${tried.join(", ")})${first ? `: ${first}` : ""}`;
}

/** True when SDL `version` is at least {@linkcode MIN_SDL_VERSION}. */
export function sdlVersionSupported(version: readonly [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) {
    if (version[i] !== MIN_SDL_VERSION[i]) return version[i] > MIN_SDL_VERSION[i];
  }
  return true;
}

/**
 * The SDL2 line: needed for the window (not with --headless). `installHint` is
 * lib/sdl/library.ts's command for this OS.
 */
export function sdlCheck(probe: LibraryProbe, headless: boolean, installHint: string): DoctorCheck {
  const name = "SDL2";
  const needed = !headless;
  const fix = `${installHint}, or run with --headless`;
  if (probe.kind === "missing") return { name, ok: false, needed, detail: probe.reason, fix };
  if (probe.version === undefined) return { name, ok: true, needed, detail: probe.path };
  const text = probe.version.join(".");
  if (!sdlVersionSupported(probe.version)) {
    return {
      name,
      ok: false,
      needed,
      detail: `SDL ${text} at ${probe.path} is older than ${MIN_SDL_VERSION.join(".")}`,
      fix: `upgrade SDL2 (${installHint}), or run with --headless`,
    };
  }
  return { name, ok: true, needed, detail: `SDL ${text} at ${probe.path}` };
}

/**
 * The libjpeg-turbo line. Needed unless the receiver is told `--decoder wasm`: with "auto" the
 * receiver still runs on the WebAssembly decoder, but at a fraction of the speed, so the doctor
 * treats the fast path as required and names the fallback in the fix.
 */
export function turboJpegCheck(
  probe: LibraryProbe,
  decoder: "auto" | "turbo" | "wasm",
  installHint: string,
): DoctorCheck {
  const name = "libjpeg-turbo";
  const needed = decoder !== "wasm";
  if (probe.kind === "missing") {
    return {
      name,
      ok: false,
      needed,
      detail: probe.reason,
      fix: `${installHint}, or run with --decoder wasm (slower)`,
    };
  }
  return { name, ok: true, needed, detail: probe.path };
}

/** The environment variables that decide whether a window can open. */
export interface DisplayEnv {
  /** X11 display, e.g. ":0". */
  DISPLAY?: string;
  /** Wayland socket name, e.g. "wayland-0". */
  WAYLAND_DISPLAY?: string;
  /** SDL's own driver choice; "dummy" or "offscreen" render without any display. */
  SDL_VIDEODRIVER?: string;
}

/**
 * The display line. On Linux and other Unix desktops a window needs X11 or Wayland (or an SDL
 * driver that needs neither); macOS and Windows always have a desktop when someone is logged in.
 */
export function displayCheck(os: string, env: DisplayEnv, headless: boolean): DoctorCheck {
  const name = "display";
  const needed = !headless;
  if (os === "darwin" || os === "windows") {
    return {
      name,
      ok: true,
      needed,
      detail: `assumed on ${os === "darwin" ? "macOS" : "Windows"}`,
    };
  }
  const found = [
    env.WAYLAND_DISPLAY ? `WAYLAND_DISPLAY=${env.WAYLAND_DISPLAY}` : "",
    env.DISPLAY ? `DISPLAY=${env.DISPLAY}` : "",
    env.SDL_VIDEODRIVER ? `SDL_VIDEODRIVER=${env.SDL_VIDEODRIVER}` : "",
  ].filter((s) => s !== "");
  if (found.length > 0) return { name, ok: true, needed, detail: found.join(", ") };
  return {
    name,
    ok: false,
    needed,
    detail: headless
      ? "none (DISPLAY and WAYLAND_DISPLAY are unset), not needed with --headless"
      : "none: DISPLAY and WAYLAND_DISPLAY are unset",
    fix: "run from a desktop session (or over ssh -X), or run with --headless",
  };
}

/** What binding the UDP port briefly gave. */
export type PortProbe =
  | { kind: "free" }
  | { kind: "inUse" }
  | { kind: "denied" }
  | { kind: "failed"; reason: string };

/**
 * The port line. For the receiver the port must be free. For the sender it only tells whether a
 * receiver on this same machine could listen there (in use usually means one already does).
 */
export function portCheck(
  profile: DoctorProfile,
  hostname: string,
  port: number,
  probe: PortProbe,
): DoctorCheck {
  const where = `UDP ${formatHostPort({ hostname, port })}`;
  if (profile === "send") {
    const detail = probe.kind === "free"
      ? `${where} is free here: to try on this machine, run udpcam-recv --listen ${port}`
      : probe.kind === "inUse"
      ? `${where} is in use here (a local udpcam-recv listening is fine)`
      : probe.kind === "denied"
      ? `${where} needs privileges to listen on here (receivers elsewhere are unaffected)`
      : `${where} could not be tried: ${probe.reason}`;
    return { name: "port", ok: true, needed: false, detail };
  }
  switch (probe.kind) {
    case "free":
      return { name: "port", ok: true, needed: true, detail: `${where} is free` };
    case "inUse":
      return {
        name: "port",
        ok: false,
        needed: true,
        detail: `${where} is in use by another program (another udpcam-recv?)`,
        fix: `stop that program, or pick another port with --listen (e.g. --listen ${
          port === 65535 ? port - 1 : port + 1
        })`,
      };
    case "denied":
      return port < UNPRIVILEGED_PORT_START
        ? {
          name: "port",
          ok: false,
          needed: true,
          detail: `${where}: permission denied (ports below ${UNPRIVILEGED_PORT_START} need ` +
            "privileges)",
          fix: unprivilegedPortAdvice("--listen"),
        }
        : {
          name: "port",
          ok: false,
          needed: true,
          detail: `${where}: permission denied`,
          fix: "check what this machine's security policy allows, or pick another port with " +
            "--listen",
        };
    case "failed":
      return {
        name: "port",
        ok: false,
        needed: true,
        detail: `${where} cannot be bound: ${probe.reason}`,
        fix: "pick another address or port with --listen",
      };
  }
}

/** The fields of `Deno.NetworkInterfaceInfo` the addresses line uses. */
export interface InterfaceAddress {
  /** "IPv4" or "IPv6". */
  family: "IPv4" | "IPv6";
  /** Interface name, e.g. "eth0". */
  name: string;
  /** The address without prefix length. */
  address: string;
}

function isLoopback(entry: InterfaceAddress): boolean {
  return entry.family === "IPv4" ? entry.address.startsWith("127.") : entry.address === "::1";
}

function isLinkLocal(entry: InterfaceAddress): boolean {
  return entry.family === "IPv4"
    ? entry.address.startsWith("169.254.")
    : /^fe[89ab][0-9a-f]:/i.test(entry.address);
}

/**
 * Orders addresses the way a person should try them: routable IPv4, routable IPv6, link-local,
 * loopback last; duplicates removed.
 */
export function rankAddresses(entries: readonly InterfaceAddress[]): InterfaceAddress[] {
  const rank = (e: InterfaceAddress) =>
    isLoopback(e) ? 3 : isLinkLocal(e) ? 2 : e.family === "IPv4" ? 0 : 1;
  const seen = new Set<string>();
  const unique = entries.filter((e) => {
    const key = `${e.name}/${e.address}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  // Array.prototype.sort is stable, so the OS's order survives within a rank.
  return unique.sort((a, b) => rank(a) - rank(b));
}

/**
 * The addresses line. For the receiver: the `--to` values a sender should use. For the sender:
 * this machine's own addresses, to compare with the receiver's network.
 */
export function addressesCheck(
  profile: DoctorProfile,
  entries: readonly InterfaceAddress[],
  port: number,
): DoctorCheck {
  const ranked = rankAddresses(entries);
  if (ranked.length === 0) {
    return {
      name: "addresses",
      ok: false,
      needed: false,
      detail: "no network interface has an address",
      fix: "connect to a network",
    };
  }
  const shown = ranked.slice(0, MAX_LISTED_ADDRESSES).map((e) => {
    if (profile === "send") return `${e.address} (${e.name})`;
    // A link-local IPv6 address needs the zone of the *sender's* interface, unknown here.
    const host = e.family === "IPv6" && isLinkLocal(e) ? `${e.address}%IFACE` : e.address;
    const text = formatHostPort({ hostname: host, port });
    return `${text} (${e.name})`;
  });
  const more = ranked.length > shown.length ? `, and ${ranked.length - shown.length} more` : "";
  const onlyLoopback = ranked.every(isLoopback);
  const notes: string[] = [];
  if (profile === "recv" && ranked.some((e) => e.family === "IPv6" && !isLoopback(e))) {
    notes.push(`IPv6 needs --listen [::]:${port}`);
  }
  if (profile === "recv" && shown.some((s) => s.includes("%IFACE"))) {
    notes.push("IFACE: the sender's interface");
  }
  if (onlyLoopback) notes.push("loopback only: other machines cannot reach this one");
  const noteText = notes.length > 0 ? ` (${notes.join("; ")})` : "";
  const lead = profile === "recv" ? "senders use --to" : "this machine";
  return {
    name: "addresses",
    ok: !onlyLoopback,
    needed: false,
    detail: `${lead}: ${shown.join(", ")}${more}${noteText}`,
    ...(onlyLoopback ? { fix: "connect to a network to stream between machines" } : {}),
  };
}

/** Parses a /proc/sys integer file; null when it holds no number. */
export function parseProcInteger(text: string): number | null {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}

/**
 * The Linux receive-buffer line (a warning, never needed). The receiver asks for a 4 MiB buffer
 * (lib/io/socket_buffer.ts) and the kernel caps that at `rmem_max`, so only `rmem_max` matters;
 * `rmem_default` is shown for reference. A burst of a few large frames beyond the buffer is dropped
 * by the kernel before udpcam sees it.
 */
export function receiveBufferCheck(
  rmemMaxBytes: number | null,
  rmemDefaultBytes: number | null,
): DoctorCheck {
  const name = "receive buffer";
  if (rmemMaxBytes === null || rmemDefaultBytes === null) {
    // Deno lets only --allow-all read /proc, so a compiled receiver cannot look itself.
    return {
      name,
      ok: false,
      needed: false,
      detail: "not checked: net.core.rmem_max cannot be read by this program",
      fix: `check it with: sysctl net.core.rmem_max; if below ${WANTED_RECEIVE_BUFFER_BYTES}: ` +
        `sudo sysctl -w net.core.rmem_max=${WANTED_RECEIVE_BUFFER_BYTES}`,
    };
  }
  const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
  const detail = `net.core.rmem_default = ${rmemDefaultBytes} (${mib(rmemDefaultBytes)}), ` +
    `net.core.rmem_max = ${rmemMaxBytes} (${mib(rmemMaxBytes)})`;
  if (rmemMaxBytes >= WANTED_RECEIVE_BUFFER_BYTES) return { name, ok: true, needed: false, detail };
  return {
    name,
    ok: false,
    needed: false,
    detail: `${detail}: the receiver asks for 4 MiB but gets at most rmem_max; bursts of large ` +
      "frames may be dropped by the kernel",
    fix: `sudo sysctl -w net.core.rmem_max=${WANTED_RECEIVE_BUFFER_BYTES} (to keep it after a ` +
      "reboot, put that setting in /etc/sysctl.d/90-udpcam.conf)",
  };
}

/** What `sysctl -n net.inet.udp.maxdgram` gave on macOS. */
export type MaxDatagramProbe =
  | { kind: "read"; stdout: string }
  | { kind: "failed"; reason: string };

/**
 * The macOS datagram-size line (informational): macOS refuses to send UDP datagrams larger than
 * `net.inet.udp.maxdgram` (9216 by default), which bounds `--max-datagram`.
 */
export function macDatagramCheck(probe: MaxDatagramProbe): DoctorCheck {
  const name = "datagram limit";
  if (probe.kind === "failed") {
    return { name, ok: true, needed: false, detail: `not checked: ${oneLine(probe.reason)}` };
  }
  const limit = parseProcInteger(probe.stdout);
  if (limit === null) {
    return {
      name,
      ok: true,
      needed: false,
      detail: `not checked: sysctl printed "${oneLine(probe.stdout)}"`,
    };
  }
  if (limit < DEFAULT_DATAGRAM_BYTES) {
    return {
      name,
      ok: false,
      needed: false,
      detail: `net.inet.udp.maxdgram = ${limit}: smaller than udpcam's default ` +
        `${DEFAULT_DATAGRAM_BYTES}-byte datagrams`,
      fix: `sudo sysctl -w net.inet.udp.maxdgram=9216, or pass --max-datagram ${limit}`,
    };
  }
  return {
    name,
    ok: true,
    needed: false,
    detail: `net.inet.udp.maxdgram = ${limit}: keep --max-datagram at or below it ` +
      `(default ${DEFAULT_DATAGRAM_BYTES} fits)`,
  };
}

/**
 * The full path of the first mapped file whose name matches `pattern` in a Linux
 * `/proc/self/maps` text, or null. Used to say which file a bare soname resolved to.
 */
export function libraryPathFromMaps(maps: string, pattern: RegExp): string | null {
  for (const line of maps.split("\n")) {
    // address perms offset dev inode pathname; the path is everything from the first "/".
    const slash = line.indexOf("/");
    if (slash < 0) continue;
    const path = line.slice(slash).trim();
    const base = path.slice(path.lastIndexOf("/") + 1);
    if (pattern.test(base)) return path;
  }
  return null;
}

/** Text of a thrown value (with its causes, as lib/errors.ts words them) for a detail line. */
export function reasonOf(error: unknown): string {
  return oneLine(describeError(error));
}
