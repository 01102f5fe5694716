/**
 * The doctor's probes: runs ffmpeg, opens the libraries, binds the port, reads the system limits,
 * and hands what it found to lib/doctor/diagnosis.ts for the verdicts. Nothing is opened at import time.
 *
 * Each probe is bounded in time (child processes get a timeout) and never throws: a probe the
 * program lacks the permission for becomes a warning line saying so.
 *
 * @module
 */

import {
  addressesCheck,
  camerasCheck,
  type CamerasProbe,
  displayCheck,
  type DoctorCheck,
  doctorExitCode,
  type DoctorProfile,
  ffmpegCheck,
  type FfmpegProbe,
  formatDoctorReport,
  libraryMissingReason,
  libraryPathFromMaps,
  type LibraryProbe,
  macDatagramCheck,
  type MaxDatagramProbe,
  parseProcInteger,
  portCheck,
  type PortProbe,
  reasonOf,
  receiveBufferCheck,
  sdlCheck,
  turboJpegCheck,
} from "../doctor/mod.ts";
import type { CaptureOs } from "../capture/mod.ts";
import { bindFailureOf } from "../net/mod.ts";
import type { DecoderChoice } from "../decode/select_decoder.ts";
import { TURBOJPEG_LIBRARY, turboJpegInstallHint } from "../decode/turbo_decoder.ts";
import { loadAttemptsOf } from "../ffi/native_library.ts";
import { SDL_LIBRARY, sdlInstallHint } from "../sdl/library.ts";
import { listCameras } from "../io/devices.ts";

/** Longest a child process (ffmpeg, sysctl) may run before the probe gives up on it. */
const PROBE_TIMEOUT_MS = 15_000;

/** What the sender's doctor checks. */
export interface SendDoctorOptions {
  /** The ffmpeg the sender would run (after --ffmpeg and UDPCAM_FFMPEG). */
  ffmpegPath: string;
  /** The destination port; tried locally to tell whether a receiver here could listen on it. */
  port: number;
}

/** What the receiver's doctor checks. */
export interface RecvDoctorOptions {
  /** The port the receiver would listen on. */
  port: number;
  /** The host it would listen on (default "0.0.0.0", as the receiver's default). */
  hostname?: string;
  /** --headless: SDL2 and a display are then not needed. */
  headless: boolean;
  /** --decoder; with "wasm" libjpeg-turbo is not needed (default "auto"). */
  decoder?: DecoderChoice;
}

/** The program each profile checks, as named in the report. */
const DOCTOR_PROGRAMS: Record<DoctorProfile, string> = {
  send: "udpcam-send",
  recv: "udpcam-recv",
};

/** Runs every probe of the sender's profile, in report order. */
export function runDoctor(profile: "send", options: SendDoctorOptions): Promise<DoctorCheck[]>;
/** Runs every probe of the receiver's profile, in report order. */
export function runDoctor(profile: "recv", options: RecvDoctorOptions): Promise<DoctorCheck[]>;
export async function runDoctor(
  profile: DoctorProfile,
  options: SendDoctorOptions | RecvDoctorOptions,
): Promise<DoctorCheck[]> {
  const os = Deno.build.os;
  const checks: DoctorCheck[] = [];
  if (profile === "send") {
    const { ffmpegPath, port } = options as SendDoctorOptions;
    const ffmpeg = await probeFfmpeg(ffmpegPath);
    checks.push(ffmpegCheck(ffmpegPath, captureOs(os), ffmpeg));
    checks.push(camerasCheck("send", await probeCameras("send", ffmpegPath, ffmpeg)));
    checks.push(guard("addresses", () => addressesCheck("send", Deno.networkInterfaces(), port)));
    checks.push(portCheck("send", "0.0.0.0", port, probePort("0.0.0.0", port)));
    if (os === "darwin") checks.push(macDatagramCheck(await probeMaxDatagram()));
    return checks;
  }
  const { port, headless, hostname = "0.0.0.0", decoder = "auto" } = options as RecvDoctorOptions;
  checks.push(sdlCheck(probeSdl(), headless, sdlInstallHint(os)));
  checks.push(turboJpegCheck(probeTurboJpeg(), decoder, turboJpegInstallHint(os)));
  checks.push(guard("display", () =>
    displayCheck(os, {
      DISPLAY: Deno.env.get("DISPLAY"),
      WAYLAND_DISPLAY: Deno.env.get("WAYLAND_DISPLAY"),
      SDL_VIDEODRIVER: Deno.env.get("SDL_VIDEODRIVER"),
    }, headless)));
  checks.push(portCheck("recv", hostname, port, probePort(hostname, port)));
  checks.push(guard("addresses", () => addressesCheck("recv", Deno.networkInterfaces(), port)));
  if (os === "linux") checks.push(await probeReceiveBuffer());
  checks.push(camerasCheck("recv", await probeCameras("recv", "ffmpeg", null)));
  return checks;
}

/**
 * Runs the profile's doctor, prints the report on stdout and returns the exit code (1 when a
 * needed check failed): what `--doctor` does in each program.
 */
export async function doctorMain(
  profile: "send",
  options: SendDoctorOptions,
): Promise<number>;
/** The receiver's `--doctor`. */
export async function doctorMain(
  profile: "recv",
  options: RecvDoctorOptions,
): Promise<number>;
export async function doctorMain(
  profile: DoctorProfile,
  options: SendDoctorOptions | RecvDoctorOptions,
): Promise<number> {
  const checks = profile === "send"
    ? await runDoctor("send", options as SendDoctorOptions)
    : await runDoctor("recv", options as RecvDoctorOptions);
  console.log(formatDoctorReport(DOCTOR_PROGRAMS[profile], checks));
  return doctorExitCode(checks);
}

function captureOs(os: typeof Deno.build.os): CaptureOs {
  return os === "darwin" || os === "windows" ? os : "linux";
}

function isPermissionError(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable;
}

/** Runs a synchronous check; a missing permission or surprise becomes a warning line. */
function guard(name: string, run: () => DoctorCheck): DoctorCheck {
  try {
    return run();
  } catch (error) {
    return notChecked(name, error);
  }
}

function notChecked(name: string, error: unknown): DoctorCheck {
  return {
    name,
    ok: false,
    needed: false,
    detail: `not checked: ${reasonOf(error)}`,
    fix: isPermissionError(error)
      ? "this build lacks that permission; run the doctor from source (deno task doctor)"
      : "report this with the doctor's output",
  };
}

/** Runs a program with a time limit; resolves with its output, rejects as Deno.Command does. */
async function runBounded(program: string, args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
  }).output();
}

async function probeFfmpeg(ffmpegPath: string): Promise<FfmpegProbe> {
  try {
    const output = await runBounded(ffmpegPath, ["-version"]);
    if (!output.success) {
      const stderr = new TextDecoder().decode(output.stderr).trim().split(/\r?\n/).at(-1) ?? "";
      return {
        kind: "failed",
        reason: output.signal
          ? `stopped by ${output.signal} (no answer within ${PROBE_TIMEOUT_MS / 1000} s?)`
          : `exit code ${output.code}${stderr ? `: ${stderr}` : ""}`,
      };
    }
    return { kind: "found", stdout: new TextDecoder().decode(output.stdout) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { kind: "missing" };
    return { kind: "failed", reason: reasonOf(error) };
  }
}

async function probeCameras(
  profile: DoctorProfile,
  ffmpegPath: string,
  ffmpeg: FfmpegProbe | null,
): Promise<CamerasProbe> {
  const os = captureOs(Deno.build.os);
  // Listing runs ffmpeg (on Linux too: Deno reads /sys only with --allow-all), which the receiver
  // neither needs nor may run.
  if (profile === "recv") return { kind: "notChecked", reason: "receiving needs no camera" };
  if (ffmpeg?.kind !== "found") return { kind: "failed", reason: "ffmpeg is needed to list them" };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`)),
        PROBE_TIMEOUT_MS,
      );
    });
    const devices = await Promise.race([listCameras(ffmpegPath, os), timeout]);
    return { kind: "listed", devices };
  } catch (error) {
    return { kind: "failed", reason: reasonOf(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The file a library loaded from: the path the loader opened when it is one, else (on Linux) the
 * full path the dynamic linker mapped for that bare name, else the name.
 */
function loadedLibraryPath(opened: string, mappedName: RegExp): string {
  if (opened.includes("/") || opened.includes("\\")) return opened;
  if (Deno.build.os === "linux") {
    try {
      const mapped = libraryPathFromMaps(Deno.readTextFileSync("/proc/self/maps"), mappedName);
      if (mapped !== null) return mapped;
    } catch { /* no /proc: the name it is */ }
  }
  return opened;
}

/** A load failure as the doctor words it, from the error the loader kept (no second dlopen). */
function missingLibrary(error: unknown): LibraryProbe {
  const failure = loadAttemptsOf(error);
  return {
    kind: "missing",
    reason: failure === null ? `not checked: ${reasonOf(error)}` : libraryMissingReason(failure),
  };
}

function probeSdl(): LibraryProbe {
  try {
    const { path, library } = SDL_LIBRARY.open();
    const version = new Uint8Array(3);
    library.symbols.SDL_GetVersion(version);
    return {
      kind: "loaded",
      path: loadedLibraryPath(path, /^libSDL2[-.]/),
      version: [version[0], version[1], version[2]],
    };
  } catch (error) {
    return missingLibrary(error);
  }
}

function probeTurboJpeg(): LibraryProbe {
  try {
    const { path } = TURBOJPEG_LIBRARY.open();
    return { kind: "loaded", path: loadedLibraryPath(path, /^libturbojpeg\./) };
  } catch (error) {
    return missingLibrary(error);
  }
}

function probePort(hostname: string, port: number): PortProbe {
  let socket: Deno.DatagramConn;
  try {
    socket = Deno.listenDatagram({ transport: "udp", hostname, port });
  } catch (error) {
    const failure = bindFailureOf(error);
    if (failure === "inUse" || failure === "denied") return { kind: failure };
    return { kind: "failed", reason: reasonOf(error) };
  }
  socket.close();
  return { kind: "free" };
}

async function readProcInteger(path: string): Promise<number | null> {
  try {
    return parseProcInteger(await Deno.readTextFile(path));
  } catch {
    return null;
  }
}

async function probeReceiveBuffer(): Promise<DoctorCheck> {
  let max = await readProcInteger("/proc/sys/net/core/rmem_max");
  let fallback = await readProcInteger("/proc/sys/net/core/rmem_default");
  if (max === null || fallback === null) {
    // Deno reads /proc only with --allow-all; sysctl prints the same two files when it may run.
    try {
      const output = await runBounded("sysctl", [
        "-n",
        "net.core.rmem_max",
        "net.core.rmem_default",
      ]);
      const [maxText = "", defaultText = ""] = new TextDecoder().decode(output.stdout).split("\n");
      max = parseProcInteger(maxText);
      fallback = parseProcInteger(defaultText);
    } catch { /* not allowed to run it either: the check says how to look by hand */ }
  }
  return receiveBufferCheck(max, fallback);
}

async function probeMaxDatagram(): Promise<MaxDatagramProbe> {
  try {
    // /usr/sbin is not on every PATH (e.g. launchd jobs), and sysctl always lives there on macOS.
    const output = await runBounded("/usr/sbin/sysctl", ["-n", "net.inet.udp.maxdgram"]);
    if (!output.success) return { kind: "failed", reason: `sysctl exited with ${output.code}` };
    return { kind: "read", stdout: new TextDecoder().decode(output.stdout) };
  } catch (error) {
    return { kind: "failed", reason: reasonOf(error) };
  }
}
