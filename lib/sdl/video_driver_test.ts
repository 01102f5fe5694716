import { equal } from "node:assert/strict";
import { invisibleDriverWarning, videoDriverRequested } from "./video_driver.ts";

const OFFSCREEN_WARNING = "the window is invisible: SDL found no display and fell back to its " +
  "offscreen video driver (frames are still received and counted); set DISPLAY or " +
  "WAYLAND_DISPLAY to show it, or run with --headless, or with --http to watch in a browser.";

Deno.test("invisibleDriverWarning warns only for a driver that shows nothing, unasked", () => {
  const cases: { name: string; driver: string; requested: string | undefined; want: boolean }[] = [
    { name: "x11 chosen by SDL", driver: "x11", requested: undefined, want: false },
    { name: "wayland chosen by SDL", driver: "wayland", requested: undefined, want: false },
    { name: "x11 asked for", driver: "x11", requested: "x11", want: false },
    { name: "offscreen fallback", driver: "offscreen", requested: undefined, want: true },
    { name: "offscreen, empty variable", driver: "offscreen", requested: "", want: true },
    { name: "offscreen asked for", driver: "offscreen", requested: "offscreen", want: false },
    { name: "dummy asked for", driver: "dummy", requested: "dummy", want: false },
    { name: "dummy, case differs", driver: "dummy", requested: "DUMMY", want: false },
    { name: "dummy last in a list", driver: "dummy", requested: "x11, dummy", want: false },
    { name: "dummy unasked", driver: "dummy", requested: undefined, want: true },
    { name: "dummy, another asked", driver: "dummy", requested: "x11", want: true },
    { name: "no driver name", driver: "", requested: undefined, want: false },
  ];
  for (const c of cases) {
    equal(invisibleDriverWarning(c.driver, c.requested) !== null, c.want, c.name);
  }
});

Deno.test("the warning is one sentence naming the driver and what to do", () => {
  equal(invisibleDriverWarning("offscreen", undefined), OFFSCREEN_WARNING);
  equal(
    invisibleDriverWarning("dummy", "x11"),
    OFFSCREEN_WARNING.replace("its offscreen", "its dummy"),
  );
});

Deno.test("videoDriverRequested reads SDL_VIDEODRIVER's comma-separated list", () => {
  const cases: [string, string | undefined, boolean][] = [
    ["dummy", undefined, false],
    ["dummy", "", false],
    ["dummy", "dummy", true],
    ["dummy", "wayland,x11", false],
    ["x11", "wayland,x11", true],
    ["x11", " X11 ", true],
    ["x11", "x11vnc", false],
  ];
  for (const [driver, requested, want] of cases) {
    equal(videoDriverRequested(driver, requested), want, `${driver} in ${requested}`);
  }
});
