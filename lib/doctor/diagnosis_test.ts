import { deepEqual, equal, match, ok } from "node:assert/strict";
import {
  addressesCheck,
  camerasCheck,
  displayCheck,
  type DoctorCheck,
  doctorExitCode,
  ffmpegCheck,
  ffmpegVersionLine,
  formatCheck,
  formatDoctorReport,
  type InterfaceAddress,
  libraryMissingReason,
  libraryPathFromMaps,
  macDatagramCheck,
  MAX_DETAIL_CHARS,
  MAX_LISTED_ADDRESSES,
  oneLine,
  parseProcInteger,
  portCheck,
  rankAddresses,
  receiveBufferCheck,
  sdlCheck,
  sdlVersionSupported,
  turboJpegCheck,
} from "./diagnosis.ts";
import { Prng } from "../netsim/mod.ts";

const pass: DoctorCheck = { name: "ffmpeg", ok: true, needed: true, detail: "ffmpeg version 6" };
const failNeeded: DoctorCheck = {
  name: "SDL2",
  ok: false,
  needed: true,
  detail: "not found",
  fix: "sudo apt install libsdl2-2.0-0",
};
const warning: DoctorCheck = {
  name: "cameras",
  ok: false,
  needed: false,
  detail: "none found",
  fix: "use --test-pattern",
};
const info: DoctorCheck = { name: "addresses", ok: true, needed: false, detail: "10.0.0.5" };

Deno.test("formatCheck: one line with the mark, the name, the detail and the fix", () => {
  const table: [DoctorCheck, string][] = [
    [pass, "✓ ffmpeg: ffmpeg version 6"],
    [failNeeded, "✗ SDL2: not found; fix: sudo apt install libsdl2-2.0-0"],
    [warning, "✗ cameras (warning): none found; fix: use --test-pattern"],
    [info, "✓ addresses: 10.0.0.5"],
    // A fix on a passing check is not shown: there is nothing to fix.
    [{ ...pass, fix: "ignored" }, "✓ ffmpeg: ffmpeg version 6"],
    [{ ...failNeeded, fix: undefined }, "✗ SDL2: not found"],
  ];
  for (const [check, line] of table) equal(formatCheck(check), line);
});

Deno.test("formatCheck: multi-line and overlong details become one capped line", () => {
  equal(formatCheck({ ...pass, detail: "a\n  b\r\nc" }), "✓ ffmpeg: a b c");
  const long = formatCheck({ ...pass, detail: "x".repeat(5000) });
  ok(!long.includes("\n"));
  ok(long.length <= "✓ ffmpeg: ".length + MAX_DETAIL_CHARS, `${long.length}`);
  ok(long.endsWith("…"));
});

Deno.test("doctorExitCode: 1 exactly when a needed check fails", () => {
  const table: [DoctorCheck[], number][] = [
    [[], 0],
    [[pass, info], 0],
    [[pass, warning, info], 0],
    [[pass, failNeeded], 1],
    [[warning, failNeeded, warning], 1],
    [[{ ...warning, needed: true }], 1],
  ];
  for (const [checks, code] of table) equal(doctorExitCode(checks), code, JSON.stringify(checks));
});

Deno.test("doctorExitCode: seeded random lists agree with the rule", () => {
  const prng = new Prng(9);
  const random = () => prng.next();
  for (let round = 0; round < 500; round++) {
    const checks: DoctorCheck[] = [];
    const count = Math.floor(random() * 8);
    for (let i = 0; i < count; i++) {
      checks.push({ name: `c${i}`, ok: random() < 0.7, needed: random() < 0.5, detail: "d" });
    }
    const expected = checks.some((c) => c.needed && !c.ok) ? 1 : 0;
    equal(doctorExitCode(checks), expected);
    const report = formatDoctorReport("udpcam-recv", checks);
    equal(report.split("\n").length, checks.length + 2);
    equal(report.includes("cannot run here yet"), expected === 1);
  }
});

Deno.test("formatDoctorReport: title, a line per check, and the verdict", () => {
  equal(
    formatDoctorReport("udpcam-send", [pass, info]),
    "udpcam-send doctor\n✓ ffmpeg: ffmpeg version 6\n✓ addresses: 10.0.0.5\nudpcam-send is ready.",
  );
  match(formatDoctorReport("udpcam-send", [pass, warning]), /ready, with 1 warning\.$/);
  match(
    formatDoctorReport("udpcam-recv", [failNeeded, { ...failNeeded, name: "port" }, warning]),
    /udpcam-recv cannot run here yet: fix SDL2, port \(see ✗ above\)\.$/,
  );
});

Deno.test("ffmpeg: version line, missing and failing ffmpeg with the per-OS install hint", () => {
  const stdout = "ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024 the FFmpeg developers\n" +
    "built with gcc 12\n";
  equal(ffmpegVersionLine(stdout), "ffmpeg version 5.1.6-0+deb12u1");
  equal(ffmpegVersionLine("\n\nffmpeg version n7.0\r\n"), "ffmpeg version n7.0");
  equal(ffmpegVersionLine(""), "(no version printed)");
  deepEqual(ffmpegCheck("ffmpeg", "linux", { kind: "found", stdout }), {
    name: "ffmpeg",
    ok: true,
    needed: true,
    detail: "ffmpeg version 5.1.6-0+deb12u1",
  });
  equal(
    ffmpegCheck("/opt/ff/ffmpeg", "linux", { kind: "found", stdout }).detail,
    "ffmpeg version 5.1.6-0+deb12u1 (/opt/ff/ffmpeg)",
  );
  const missing = ffmpegCheck("/nonexistent/ffmpeg", "darwin", { kind: "missing" });
  equal(missing.ok, false);
  equal(missing.needed, true);
  equal(missing.detail, `"/nonexistent/ffmpeg" was not found`);
  match(missing.fix ?? "", /brew install ffmpeg.*--ffmpeg PATH/);
  match(ffmpegCheck("ffmpeg", "windows", { kind: "missing" }).fix ?? "", /winget install/);
  match(ffmpegCheck("ffmpeg", "linux", { kind: "missing" }).fix ?? "", /apt install ffmpeg/);
  const failed = ffmpegCheck("ffmpeg", "linux", { kind: "failed", reason: "exit code 1" });
  equal(failed.ok, false);
  match(failed.detail, /-version" failed: exit code 1/);
});

Deno.test("cameras: never needed; none is a warning for the sender only", () => {
  const none = { kind: "listed", devices: [] } as const;
  deepEqual(
    [camerasCheck("send", none).ok, camerasCheck("send", none).needed],
    [false, false],
  );
  match(camerasCheck("send", none).fix ?? "", /--test-pattern/);
  deepEqual([camerasCheck("recv", none).ok, camerasCheck("recv", none).needed], [true, false]);
  const two = {
    kind: "listed",
    devices: [{ device: "/dev/video0", name: "Integrated Camera" }, { device: "0", name: "0" }],
  } as const;
  equal(camerasCheck("send", two).detail, "2 found: /dev/video0 (Integrated Camera), 0");
  const many = {
    kind: "listed",
    devices: Array.from({ length: 20 }, (_, i) => ({ device: `/dev/video${i}`, name: "c" })),
  } as const;
  match(camerasCheck("send", many).detail, /, and 12 more$/);
  const failed = camerasCheck("send", { kind: "failed", reason: "ffmpeg is needed" });
  deepEqual([failed.ok, failed.needed], [false, false]);
  match(failed.fix ?? "", /--test-pattern/);
  equal(camerasCheck("recv", { kind: "failed", reason: "r" }).ok, true);
  equal(camerasCheck("recv", { kind: "notChecked", reason: "r" }).ok, true);
});

Deno.test("SDL2: needed unless headless, with its version and path, too old is a failure", () => {
  const loaded = {
    kind: "loaded",
    path: "/usr/lib/libSDL2-2.0.so.0",
    version: [2, 26, 5],
  } as const;
  deepEqual(sdlCheck(loaded, false, "sudo apt install libsdl2-2.0-0"), {
    name: "SDL2",
    ok: true,
    needed: true,
    detail: "SDL 2.26.5 at /usr/lib/libSDL2-2.0.so.0",
  });
  equal(sdlCheck(loaded, true, "x").needed, false);
  const old = sdlCheck({ ...loaded, version: [2, 0, 9] }, false, "brew install sdl2");
  equal(old.ok, false);
  match(old.fix ?? "", /brew install sdl2/);
  const missing = sdlCheck({ kind: "missing", reason: "not found" }, false, "brew install sdl2");
  deepEqual([missing.ok, missing.needed, missing.fix], [
    false,
    true,
    "brew install sdl2, or run with --headless",
  ]);
  const table: [[number, number, number], boolean][] = [
    [[2, 0, 10], true],
    [[2, 0, 9], false],
    [[2, 1, 0], true],
    [[1, 9, 99], false],
    [[3, 0, 0], true],
  ];
  for (const [version, supported] of table) equal(sdlVersionSupported(version), supported);
});

Deno.test("libraryMissingReason: what the loader tried, and the first try's own error", () => {
  const noFile = new Error("Could not open library: a.so: cannot open shared object file");
  const cases: {
    name: string;
    failure: Parameters<typeof libraryMissingReason>[0];
    want: string;
  }[] = [
    {
      name: "the OS's list",
      failure: {
        envVar: null,
        attempts: [{ path: "a.so", error: noFile }, { path: "b.so", error: new Error("no") }],
      },
      want: "not found (tried a.so, b.so): Could not open library: a.so: cannot open shared " +
        "object file",
    },
    {
      name: "the override",
      failure: {
        envVar: "UDPCAM_SDL2_LIB",
        attempts: [{ path: "/x/libSDL2.so", error: new Error("wrong ELF class: ELFCLASS32") }],
      },
      want: "UDPCAM_SDL2_LIB=/x/libSDL2.so cannot be loaded (tried /x/libSDL2.so): wrong ELF " +
        "class: ELFCLASS32",
    },
    {
      name: "an error with a cause reads with it",
      failure: {
        envVar: null,
        attempts: [{
          path: "c.so",
          error: new Error("Cannot bind c.so.", { cause: new Error("symbol f missing") }),
        }],
      },
      want: "not found (tried c.so): Cannot bind c.so: symbol f missing.",
    },
  ];
  for (const { name, failure, want } of cases) equal(libraryMissingReason(failure), want, name);
});

Deno.test("libjpeg-turbo: needed unless --decoder wasm; the fix names the fallback", () => {
  const missing = { kind: "missing", reason: "not found" } as const;
  const auto = turboJpegCheck(missing, "auto", "sudo apt install libturbojpeg0");
  deepEqual([auto.ok, auto.needed], [false, true]);
  equal(auto.fix, "sudo apt install libturbojpeg0, or run with --decoder wasm (slower)");
  equal(turboJpegCheck(missing, "wasm", "x").needed, false);
  equal(turboJpegCheck(missing, "turbo", "x").needed, true);
  equal(turboJpegCheck({ kind: "loaded", path: "/l/libturbojpeg.so.0" }, "auto", "x").ok, true);
});

Deno.test("display: Linux needs X11, Wayland or an SDL driver; macOS and Windows assume one", () => {
  const table: [string, Record<string, string>, boolean, boolean, boolean][] = [
    // os, env, headless → ok, needed
    ["linux", {}, false, false, true],
    ["linux", {}, true, false, false],
    ["linux", { DISPLAY: ":0" }, false, true, true],
    ["linux", { WAYLAND_DISPLAY: "wayland-0" }, false, true, true],
    ["linux", { SDL_VIDEODRIVER: "dummy" }, false, true, true],
    ["freebsd", {}, false, false, true],
    ["darwin", {}, false, true, true],
    ["windows", {}, true, true, false],
  ];
  for (const [os, env, headless, expectOk, expectNeeded] of table) {
    const check = displayCheck(os, env, headless);
    deepEqual([check.ok, check.needed], [expectOk, expectNeeded], `${os} ${JSON.stringify(env)}`);
    if (!check.ok) match(check.fix ?? "", /--headless/);
  }
  equal(displayCheck("linux", { DISPLAY: ":1" }, false).detail, "DISPLAY=:1");
});

Deno.test("port: the receiver needs it free; for the sender it is informational", () => {
  deepEqual(portCheck("recv", "0.0.0.0", 12345, { kind: "free" }), {
    name: "port",
    ok: true,
    needed: true,
    detail: "UDP 0.0.0.0:12345 is free",
  });
  const busy = portCheck("recv", "::", 12345, { kind: "inUse" });
  deepEqual([busy.ok, busy.needed], [false, true]);
  match(busy.detail, /UDP \[::\]:12345 is in use/);
  match(busy.fix ?? "", /--listen 12346/);
  match(portCheck("recv", "0.0.0.0", 65535, { kind: "inUse" }).fix ?? "", /--listen 65534/);
  // Ports below 1024 need privileges; 1024 itself does not (ip_unprivileged_port_start).
  const privileged = portCheck("recv", "0.0.0.0", 80, { kind: "denied" });
  equal(privileged.detail, "UDP 0.0.0.0:80: permission denied (ports below 1024 need privileges)");
  equal(privileged.fix, "use a port of 1024 or above with --listen");
  const policy = portCheck("recv", "0.0.0.0", 1024, { kind: "denied" });
  equal(policy.detail, "UDP 0.0.0.0:1024: permission denied");
  match(policy.fix ?? "", /security policy.*--listen/);
  equal(portCheck("recv", "0.0.0.0", 1, { kind: "failed", reason: "r" }).ok, false);
  for (const kind of ["free", "inUse", "denied"] as const) {
    const check = portCheck("send", "0.0.0.0", 12345, { kind });
    deepEqual([check.ok, check.needed], [true, false], kind);
  }
});

const interfaces: InterfaceAddress[] = [
  { family: "IPv4", name: "lo", address: "127.0.0.1" },
  { family: "IPv6", name: "lo", address: "::1" },
  { family: "IPv6", name: "eth0", address: "fe80::1" },
  { family: "IPv6", name: "eth0", address: "fd00::2" },
  { family: "IPv4", name: "eth0", address: "192.168.1.20" },
  { family: "IPv4", name: "eth0", address: "192.168.1.20" },
];

Deno.test("addresses: routable IPv4 first, then IPv6, link-local, loopback last", () => {
  deepEqual(rankAddresses(interfaces).map((e) => e.address), [
    "192.168.1.20",
    "fd00::2",
    "fe80::1",
    "127.0.0.1",
    "::1",
  ]);
  const recv = addressesCheck("recv", interfaces, 12345);
  deepEqual([recv.ok, recv.needed], [true, false]);
  equal(
    recv.detail,
    "senders use --to: 192.168.1.20:12345 (eth0), [fd00::2]:12345 (eth0), " +
      "[fe80::1%IFACE]:12345 (eth0), 127.0.0.1:12345 (lo), [::1]:12345 (lo) " +
      "(IPv6 needs --listen [::]:12345; IFACE: the sender's interface)",
  );
  equal(
    addressesCheck("send", interfaces, 12345).detail,
    "this machine: 192.168.1.20 (eth0), fd00::2 (eth0), fe80::1 (eth0), 127.0.0.1 (lo), ::1 (lo)",
  );
  const loopbackOnly = addressesCheck("recv", interfaces.slice(0, 2), 9);
  equal(loopbackOnly.ok, false);
  match(loopbackOnly.detail, /loopback only/);
  equal(addressesCheck("recv", [], 9).ok, false);
  const many = Array.from({ length: 30 }, (_, i) => ({
    family: "IPv4" as const,
    name: `eth${i}`,
    address: `10.0.0.${i + 1}`,
  }));
  match(
    addressesCheck("recv", many, 9).detail,
    new RegExp(`, and ${30 - MAX_LISTED_ADDRESSES} more$`),
  );
});

Deno.test("receive buffer: a warning with the sysctl line when rmem_max is below 4 MiB", () => {
  const big = 8 * 1024 * 1024;
  const fine = receiveBufferCheck(big, big);
  deepEqual([fine.ok, fine.needed, fine.fix], [true, false, undefined]);
  // The receiver sets its own buffer size: a small default does not matter, a small cap does.
  const lowDefault = receiveBufferCheck(4194304, 212992);
  deepEqual([lowDefault.ok, lowDefault.fix], [true, undefined]);
  const lowMax = receiveBufferCheck(212992, 212992);
  deepEqual([lowMax.ok, lowMax.needed], [false, false]);
  match(lowMax.fix ?? "", /^sudo sysctl -w net\.core\.rmem_max=4194304 \(/);
  const unreadable = receiveBufferCheck(null, 1);
  deepEqual([unreadable.ok, unreadable.needed], [false, false]);
  match(unreadable.fix ?? "", /^check it with: sysctl net\.core\.rmem_max; .*sudo sysctl -w /);
  deepEqual(
    ["4194304\n", " 212992 ", "", "x", "-1"].map(parseProcInteger),
    [4194304, 212992, null, null, null],
  );
});

Deno.test("macOS datagram limit: informational, a warning only below udpcam's default", () => {
  const normal = macDatagramCheck({ kind: "read", stdout: "9216\n" });
  deepEqual([normal.ok, normal.needed], [true, false]);
  match(normal.detail, /maxdgram = 9216/);
  const tiny = macDatagramCheck({ kind: "read", stdout: "1000\n" });
  equal(tiny.ok, false);
  match(tiny.fix ?? "", /--max-datagram 1000/);
  equal(macDatagramCheck({ kind: "read", stdout: "?" }).ok, true);
  equal(macDatagramCheck({ kind: "failed", reason: "no sysctl" }).ok, true);
});

Deno.test("libraryPathFromMaps: the mapped file of a soname", () => {
  const maps = [
    "55d0c0a00000-55d0c0a01000 r--p 00000000 08:01 1 /usr/bin/deno",
    "7f00-7f01 r--p 00000000 08:01 2 /usr/lib/x86_64-linux-gnu/libSDL2-2.0.so.0.2600.5",
    "7f02-7f03 r-xp 00000000 08:01 2 /usr/lib/x86_64-linux-gnu/libSDL2-2.0.so.0.2600.5",
    "7f04-7f05 rw-p 00000000 00:00 0 [heap]",
    "7f06-7f07 r--p 00000000 08:01 3 /opt/my libs/libturbojpeg.so.0.2.0",
  ].join("\n");
  equal(
    libraryPathFromMaps(maps, /^libSDL2[-.]/),
    "/usr/lib/x86_64-linux-gnu/libSDL2-2.0.so.0.2600.5",
  );
  equal(libraryPathFromMaps(maps, /^libturbojpeg\./), "/opt/my libs/libturbojpeg.so.0.2.0");
  equal(libraryPathFromMaps(maps, /^libSDL3/), null);
  equal(libraryPathFromMaps("", /x/), null);
});

Deno.test("oneLine: flattens and caps", () => {
  equal(oneLine("  a \n b  "), "a b");
  equal(oneLine("y".repeat(MAX_DETAIL_CHARS)).length, MAX_DETAIL_CHARS);
  equal(oneLine("y".repeat(MAX_DETAIL_CHARS + 1)).length, MAX_DETAIL_CHARS);
});
