/**
 * SDL video drivers that show nothing, and what the receiver says when SDL chose one on its own.
 *
 * Why: SDL falls back to its `offscreen` driver when it finds no display (no `DISPLAY`, no
 * `WAYLAND_DISPLAY`), and a window there opens fine, so without a word the receiver would count
 * frames as shown that nobody can see. Asked for by name (`SDL_VIDEODRIVER=dummy` in tests and
 * benchmarks), such a driver is what the user wants and needs no warning.
 *
 * @module
 */

/** SDL's environment variable (SDL_HINT_VIDEODRIVER) naming the video driver to use. */
export const SDL_VIDEODRIVER_ENV = "SDL_VIDEODRIVER";

/** SDL video drivers that draw into memory only: a window on them is never on any screen. */
export const INVISIBLE_VIDEO_DRIVERS: readonly string[] = ["offscreen", "dummy"];

/**
 * Whether `requested`, the value of {@linkcode SDL_VIDEODRIVER_ENV} (undefined when unset), names
 * `driver`. SDL takes a comma-separated list there and compares names without regard to case.
 */
export function videoDriverRequested(driver: string, requested: string | undefined): boolean {
  if (requested === undefined) return false;
  const wanted = driver.toLowerCase();
  return requested.split(",").some((name) => name.trim().toLowerCase() === wanted);
}

/**
 * The sentence to print when the window's video driver shows nothing and the user did not ask
 * for it, or null: the driver shows windows, or {@linkcode SDL_VIDEODRIVER_ENV} names it.
 *
 * @param driver The driver SDL chose (`VideoWindow.videoDriver`).
 * @param requested The value of {@linkcode SDL_VIDEODRIVER_ENV}, or undefined when unset.
 *
 * @example SDL fell back to offscreen on a machine without a display
 * ```ts
 * import { invisibleDriverWarning } from "./video_driver.ts";
 *
 * const warning = invisibleDriverWarning("offscreen", undefined);
 * if (warning === null || !warning.includes("--headless")) throw new Error("no advice given");
 * if (invisibleDriverWarning("dummy", "dummy") !== null) throw new Error("asked for, yet warned");
 * if (invisibleDriverWarning("x11", undefined) !== null) throw new Error("x11 shows windows");
 * ```
 */
export function invisibleDriverWarning(
  driver: string,
  requested: string | undefined,
): string | null {
  if (!INVISIBLE_VIDEO_DRIVERS.includes(driver.toLowerCase())) return null;
  if (videoDriverRequested(driver, requested)) return null;
  return `the window is invisible: SDL found no display and fell back to its ${driver} video ` +
    "driver (frames are still received and counted); set DISPLAY or WAYLAND_DISPLAY to show " +
    "it, or run with --headless, or with --http to watch in a browser.";
}
