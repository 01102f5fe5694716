/**
 * The doctor's probes against this machine: with ffmpeg, SDL2 and libjpeg-turbo installed every
 * needed line passes; each one made missing through its override turns its line into ✗ with the
 * fix and the exit code into 1; a taken port fails the receiver's check.
 */

import { equal, match, ok } from "node:assert/strict";
import {
  type DoctorCheck,
  doctorExitCode,
  formatCheck,
  formatDoctorReport,
} from "../lib/doctor/mod.ts";
import { runDoctor } from "../lib/cli/doctor.ts";
import { freeUdpPort, requireTool, startProgram } from "./support/programs.ts";

const DISPLAY_VARS = ["DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"];
const LIBRARY_VARS = ["UDPCAM_SDL2_LIB", "UDPCAM_TURBOJPEG_LIB"];

/** Runs `body` with environment variables set (undefined: removed), then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, body: () => Promise<T>) {
  const saved = Object.keys(vars).map((name) => [name, Deno.env.get(name)] as const);
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) Deno.env.delete(name);
    else Deno.env.set(name, value);
  }
  try {
    return await body();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  }
}

/** The real libraries, a dummy SDL video driver, and no overrides. */
const READY_ENV = {
  UDPCAM_SDL2_LIB: undefined,
  UDPCAM_TURBOJPEG_LIB: undefined,
  SDL_VIDEODRIVER: "dummy",
};

function line(checks: DoctorCheck[], name: string): DoctorCheck {
  const check = checks.find((c) => c.name === name);
  ok(check, `no "${name}" line in:\n${formatDoctorReport("doctor", checks)}`);
  return check;
}

function assertAllNeededPass(checks: DoctorCheck[]) {
  const report = formatDoctorReport("doctor", checks);
  for (const check of checks.filter((c) => c.needed)) ok(check.ok, report);
  equal(doctorExitCode(checks), 0, report);
}

function assertFailsWithFix(checks: DoctorCheck[], name: string, fix: RegExp) {
  const check = line(checks, name);
  const text = formatCheck(check);
  ok(text.startsWith(`✗ ${name}:`), text);
  match(text, fix);
  equal(doctorExitCode(checks), 1, formatDoctorReport("doctor", checks));
}

Deno.test("doctor send: with ffmpeg installed every needed check passes", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const checks = await runDoctor("send", { ffmpegPath: "ffmpeg", port: freeUdpPort() });
  assertAllNeededPass(checks);
  match(line(checks, "ffmpeg").detail, /^ffmpeg version \S+/);
  line(checks, "cameras");
  line(checks, "addresses");
  equal(line(checks, "port").ok, true);
});

Deno.test("doctor send: a missing ffmpeg is ✗ with the install line and exit code 1", async () => {
  const checks = await runDoctor("send", { ffmpegPath: "/nonexistent/ffmpeg", port: 12345 });
  assertFailsWithFix(checks, "ffmpeg", /fix: .*install.*--ffmpeg PATH/);
  match(line(checks, "ffmpeg").detail, /"\/nonexistent\/ffmpeg" was not found/);
});

Deno.test("doctor recv: with SDL2 and libjpeg-turbo installed every needed check passes", async () => {
  const checks = await withEnv(
    READY_ENV,
    () => runDoctor("recv", { port: freeUdpPort(), headless: false }),
  );
  assertAllNeededPass(checks);
  // The version comes from SDL_GetVersion of the library that was really opened.
  match(line(checks, "SDL2").detail, /^SDL 2\.\d+\.\d+ at \S/);
  match(line(checks, "libjpeg-turbo").detail, /turbojpeg/i);
  match(line(checks, "addresses").detail, /^senders use --to: /);
});

Deno.test("doctor recv: SDL2 missing via UDPCAM_SDL2_LIB is ✗ unless --headless", async () => {
  const env = { ...READY_ENV, UDPCAM_SDL2_LIB: "/nonexistent/libSDL2.so" };
  const port = freeUdpPort();
  const windowed = await withEnv(env, () => runDoctor("recv", { port, headless: false }));
  assertFailsWithFix(windowed, "SDL2", /fix: .*(apt|brew|SDL2\.dll).*--headless/);
  match(line(windowed, "SDL2").detail, /UDPCAM_SDL2_LIB=\/nonexistent\/libSDL2\.so/);
  const headless = await withEnv(env, () => runDoctor("recv", { port, headless: true }));
  equal(line(headless, "SDL2").ok, false);
  equal(doctorExitCode(headless), 0, formatDoctorReport("doctor", headless));
});

Deno.test("doctor recv: libjpeg-turbo missing via UDPCAM_TURBOJPEG_LIB is ✗", async () => {
  const env = { ...READY_ENV, UDPCAM_TURBOJPEG_LIB: "/nonexistent/libturbojpeg.so" };
  const checks = await withEnv(
    env,
    () => runDoctor("recv", { port: freeUdpPort(), headless: true }),
  );
  assertFailsWithFix(checks, "libjpeg-turbo", /fix: .*--decoder wasm/);
  const wasm = await withEnv(
    env,
    () => runDoctor("recv", { port: freeUdpPort(), headless: true, decoder: "wasm" }),
  );
  equal(doctorExitCode(wasm), 0, formatDoctorReport("doctor", wasm));
});

Deno.test("doctor recv: a port another socket holds is ✗", async () => {
  const holder = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  try {
    const port = (holder.addr as Deno.NetAddr).port;
    const checks = await withEnv(READY_ENV, () => runDoctor("recv", { port, headless: true }));
    assertFailsWithFix(checks, "port", /in use.*fix: .*--listen/);
  } finally {
    holder.close();
  }
});

Deno.test("doctor recv: no display is ✗ on Linux without --headless", async () => {
  const none = Object.fromEntries(DISPLAY_VARS.map((name) => [name, undefined]));
  const env = { ...none, ...Object.fromEntries(LIBRARY_VARS.map((name) => [name, undefined])) };
  const checks = await withEnv(
    env,
    () => runDoctor("recv", { port: freeUdpPort(), headless: false }),
  );
  if (Deno.build.os === "linux") {
    assertFailsWithFix(checks, "display", /fix: .*--headless/);
  } else {
    // macOS and Windows always have a desktop for a logged-in user: the check passes there.
    equal(line(checks, "display").ok, true);
  }
  const headless = await withEnv(
    env,
    () => runDoctor("recv", { port: freeUdpPort(), headless: true }),
  );
  equal(doctorExitCode(headless), 0, formatDoctorReport("doctor", headless));
});

Deno.test("deno task doctor: both profiles, exit 0 when ready and 1 when a library is missing", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const port = String(freeUdpPort());
  const ready = await startProgram("tools/doctor.ts", ["--port", port], {
    env: { SDL_VIDEODRIVER: "dummy" },
  }).done;
  equal(ready.code, 0, ready.stdout + ready.stderr);
  match(ready.stdout, /^udpcam-send doctor$/m);
  match(ready.stdout, /^udpcam-recv doctor$/m);
  match(ready.stdout, /^udpcam-recv is ready/m);
  const broken = await startProgram("tools/doctor.ts", ["--recv", "--port", port], {
    env: { SDL_VIDEODRIVER: "dummy", UDPCAM_TURBOJPEG_LIB: "/nonexistent/libturbojpeg.so" },
  }).done;
  equal(broken.code, 1, broken.stdout + broken.stderr);
  match(broken.stdout, /^✗ libjpeg-turbo: .*fix: /m);
  ok(!broken.stdout.includes("udpcam-send doctor"), broken.stdout);
  const usage = await startProgram("tools/doctor.ts", ["--port", "0"]).done;
  equal(usage.code, 2, usage.stderr);
});

Deno.test("udpcam-recv --doctor: exit 0 when ready, 1 naming the fix when SDL2 is missing", async () => {
  const ready = await startProgram("receiver.ts", ["--doctor", "--headless", "--listen", "0"]).done;
  equal(ready.code, 0, ready.stdout + ready.stderr);
  match(ready.stdout, /✓ libjpeg-turbo/);
  const missing = await startProgram("receiver.ts", ["--doctor", "--listen", "0"], {
    env: { UDPCAM_SDL2_LIB: "/nonexistent/libSDL2.so", DISPLAY: ":0" },
  }).done;
  equal(missing.code, 1);
  match(missing.stdout, /✗ SDL2.*fix: .*apt install libsdl2-2\.0-0/);
});

Deno.test("udpcam-send --doctor: exit 0 with ffmpeg, 1 with the install line without it", async () => {
  const ready = await startProgram("sender.ts", ["--doctor"]).done;
  equal(ready.code, 0, ready.stdout + ready.stderr);
  match(ready.stdout, /✓ ffmpeg: ffmpeg version/);
  const missing = await startProgram("sender.ts", ["--doctor", "--ffmpeg", "/nonexistent/ffmpeg"])
    .done;
  equal(missing.code, 1);
  match(missing.stdout, /✗ ffmpeg.*fix: .*apt install ffmpeg/);
});
