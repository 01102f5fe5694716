/**
 * The system Chromium, headless, through playwright-core: for tests that need a real browser.
 *
 * @module
 */

import { type Browser, chromium } from "playwright-core";

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium";

/** Headless, no sandbox (tests run as root), nothing that talks to the network on its own. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Launches the system Chromium with `extraArgs` added; fails naming the package when it is
 * missing.
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(`chromium is required for this test: install it (apt install chromium)`);
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}
