/**
 * Which test files can run on a CI machine: every `*_test.ts` under lib/, tests/ and tools/
 * whose tools are installed there. A test's tools are found in its source and the local modules it
 * imports (a quoted "ffmpeg", "Xvfb", gst-launch-1.0, an FFI symbol table…), so a new test is
 * classified without editing a list. Tests never skip themselves: this picks the files instead.
 *
 * `deno run --allow-read tools/test_files.ts --os macos` prints the files, one per line.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** Programs and libraries a test may need. */
export type Tool =
  | "ffmpeg"
  | "sdl2"
  | "turbojpeg"
  | "imagemagick"
  | "gstreamer"
  | "xvfb"
  | "xdotool"
  | "nftables"
  | "chromium";

/** The CI machines: Linux has everything .ci/run installs. */
export type CiOs = "linux" | "macos" | "windows";

/** What the workflow installs on each CI machine (.github/workflows/ci.yml). */
export const CI_TOOLS: Record<CiOs, readonly Tool[]> = {
  linux: [
    "ffmpeg",
    "sdl2",
    "turbojpeg",
    "imagemagick",
    "gstreamer",
    "xvfb",
    "xdotool",
    "nftables",
    "chromium",
  ],
  // Homebrew: ffmpeg sdl2 jpeg-turbo imagemagick.
  macos: ["ffmpeg", "sdl2", "turbojpeg", "imagemagick"],
  // choco ffmpeg, SDL2.dll and turbojpeg.dll from their release pages. No ImageMagick: Windows
  // has its own convert.exe (a disk tool) first on PATH.
  windows: ["ffmpeg", "sdl2", "turbojpeg"],
};

/**
 * How each tool shows in source: a quoted program name, or the FFI symbol table it opens (given
 * to `Deno.dlopen` or, as lib/ffi's loader takes it, as a spec's `symbols:`).
 */
export const TOOL_PATTERNS: Record<Tool, RegExp> = {
  ffmpeg: /["'`]ffmpeg["'`]/,
  sdl2: /(?:Deno\.dlopen\([^)]*|\bsymbols:\s*)SDL_\w*SYMBOLS\b/,
  turbojpeg: /(?:Deno\.dlopen\([^)]*|\bsymbols:\s*)TURBOJPEG_\w*SYMBOLS\b/,
  imagemagick: /["'`](convert|magick|import)["'`]/,
  gstreamer: /gst-launch-1\.0/,
  xvfb: /["'`]Xvfb["'`]/,
  xdotool: /["'`]xdotool["'`]/,
  nftables: /["'`]nft["'`]/,
  chromium: /["'`]chromium["'`]/,
};

/** The repository's folder as a file-system path ("C:/…" on Windows, not "/C:/…"). */
export const REPO_ROOT = new URL("../", import.meta.url).pathname.replace(/^\/([A-Za-z]:)/, "$1");

/** Most local modules read while following one test's imports. */
export const MAX_MODULES_PER_TEST = 400;

const IMPORT = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+\.ts)["']/g;

/**
 * The tools `testFile` needs: those named in it or in any local module it imports, directly or
 * not. `read` returns a module's source (null when it cannot be read).
 */
export function toolsNeeded(testFile: string, read: (path: string) => string | null): Set<Tool> {
  const needed = new Set<Tool>();
  const seen = new Set<string>([testFile]);
  const queue = [testFile];
  while (queue.length > 0 && seen.size <= MAX_MODULES_PER_TEST) {
    const file = queue.shift()!;
    const source = read(file);
    if (source === null) continue;
    for (const [tool, pattern] of Object.entries(TOOL_PATTERNS) as [Tool, RegExp][]) {
      if (pattern.test(source)) needed.add(tool);
    }
    for (const match of source.matchAll(IMPORT)) {
      const resolved = new URL(match[1], `file:///${file}`).pathname.slice(1);
      if (!seen.has(resolved)) {
        seen.add(resolved);
        queue.push(resolved);
      }
    }
  }
  return needed;
}

/** The test files among `files` whose every tool is installed on `os`. */
export function testFilesFor(
  os: CiOs,
  files: readonly string[],
  read: (path: string) => string | null,
): string[] {
  const installed = new Set(CI_TOOLS[os]);
  return files.filter((file) => [...toolsNeeded(file, read)].every((tool) => installed.has(tool)));
}

/** Every `*_test.ts` under `dirs` (relative to `root`), sorted, with forward slashes. */
export function findTestFiles(
  root: string,
  dirs: readonly string[] = ["lib", "tests", "tools"],
): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 8) return;
    for (const entry of Deno.readDirSync(`${root}/${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) walk(path, depth + 1);
      else if (entry.isFile && entry.name.endsWith("_test.ts")) found.push(path);
    }
  };
  for (const dir of dirs) walk(dir, 0);
  return found.sort();
}

/** Reads `path` relative to `root`; null when it is missing. */
export function sourceReader(root: string): (path: string) => string | null {
  return (path) => {
    try {
      return Deno.readTextFileSync(`${root}/${path}`);
    } catch {
      return null;
    }
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { os: { type: "string" } } });
  const os = values.os as CiOs;
  if (!(os in CI_TOOLS)) {
    console.error(`test_files: --os must be one of ${Object.keys(CI_TOOLS).join(", ")}`);
    Deno.exit(2);
  }
  const files = testFilesFor(os, findTestFiles(REPO_ROOT), sourceReader(REPO_ROOT));
  console.log(files.join("\n"));
}
