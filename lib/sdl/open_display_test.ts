import { deepStrictEqual, equal } from "node:assert/strict";
import { childEnv, repoPath } from "../../tests/support/programs.ts";

/**
 * Runs openDisplay in a fresh Deno process with `env` (real SDL and decoders) and returns what it
 * printed and opened, or the error it threw. A process of its own because SDL and the environment
 * are process-wide, and other test files open SDL windows at the same time.
 */
async function openDisplayIn(env: Record<string, string>): Promise<Record<string, unknown>> {
  const code = `
    import { openDisplay } from ${JSON.stringify(repoPath("lib/sdl/open_display.ts"))};
    import { describeError } from ${JSON.stringify(repoPath("lib/errors.ts"))};
    const logged = [];
    try {
      const opened = await openDisplay({ decoder: "auto", vsync: false }, (m) => logged.push(m));
      const { videoDriver, driverWarning } = opened;
      opened.window.close();
      opened.decoder.close();
      console.log(JSON.stringify({ logged, videoDriver, driverWarning }));
    } catch (e) {
      console.log(JSON.stringify({
        logged, name: e.name, message: describeError(e), exitCode: e.exitCode,
        cause: e.cause?.name, causeMessage: e.cause?.message,
      }));
    }`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--config", repoPath("deno.json"), code],
    env: childEnv(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const output = await child.output();
  clearTimeout(timer);
  const stdout = new TextDecoder().decode(output.stdout).trim();
  equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(stdout.split("\n").at(-1)!);
}

Deno.test("openDisplay names the decoder and the video driver it opened the window on", async () => {
  deepStrictEqual(await openDisplayIn({ SDL_VIDEODRIVER: "dummy" }), {
    logged: ["udpcam-recv: decoder turbo (libjpeg-turbo)"],
    videoDriver: "dummy",
    driverWarning: null,
  });
});

Deno.test("a window SDL cannot open is a UserError with SDL's error as its cause, printed after it", async () => {
  deepStrictEqual(await openDisplayIn({ SDL_VIDEODRIVER: "nosuchdriver" }), {
    logged: [],
    name: "UserError",
    message: "Cannot open the video window: cannot SDL_InitSubSystem: nosuchdriver not " +
      "available. Run in a desktop session (check DISPLAY or SDL_VIDEODRIVER), or run with " +
      "--headless.",
    exitCode: 1,
    cause: "SdlError",
    causeMessage: "Cannot SDL_InitSubSystem: nosuchdriver not available.",
  });
});
