/**
 * `deno task doctor`: checks this machine for both programs (the sender's and the receiver's
 * needs) and exits 1 when something either program needs is missing.
 *
 * Flags: `--send` or `--recv` to check one program only, `--ffmpeg PATH` (default: env
 * UDPCAM_FFMPEG, else ffmpeg), `--port N` (default 12345), `--headless`, `--decoder NAME`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { doctorMain } from "../lib/cli/doctor.ts";
import type { DecoderChoice } from "../lib/decode/select_decoder.ts";

const USAGE = "usage: deno task doctor [--send | --recv] [--ffmpeg PATH] [--port N] " +
  "[--headless] [--decoder auto|turbo|wasm]";

/** Runs the chosen profiles and returns the exit code: 0 ready, 1 something needed fails, 2 usage. */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: args[0] === "--" ? args.slice(1) : args,
      options: {
        send: { type: "boolean" },
        recv: { type: "boolean" },
        ffmpeg: { type: "string" },
        port: { type: "string" },
        headless: { type: "boolean" },
        decoder: { type: "string" },
      },
    }));
  } catch (error) {
    console.error(`doctor: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const port = Number(values.port ?? "12345");
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`doctor: --port must be a whole number from 1 to 65535, not "${values.port}"`);
    return 2;
  }
  const decoder = (values.decoder ?? "auto") as DecoderChoice;
  if (!["auto", "turbo", "wasm"].includes(decoder)) {
    console.error(`doctor: --decoder must be auto, turbo or wasm, not "${values.decoder}"`);
    return 2;
  }
  const both = !values.send && !values.recv;
  let code = 0;
  if (both || values.send) {
    const ffmpegPath = values.ffmpeg ?? Deno.env.get("UDPCAM_FFMPEG") ?? "ffmpeg";
    code = Math.max(code, await doctorMain("send", { ffmpegPath, port }));
  }
  if (both) console.log("");
  if (both || values.recv) {
    code = Math.max(
      code,
      await doctorMain("recv", { port, headless: values.headless ?? false, decoder }),
    );
  }
  return code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
