/**
 * Runs ffmpeg as a capture process and hands out whole JPEG frames as they are read.
 *
 * @module
 */

import { UserError } from "../errors.ts";
import { type CaptureOs, ffmpegMissingMessage } from "../capture/mod.ts";
import { JpegSplitter } from "../jpeg/mod.ts";

/** Lines of ffmpeg's stderr kept for error messages. */
const STDERR_TAIL_LINES = 20;

/** A running ffmpeg whose stdout is cut into JPEG frames. */
export interface FfmpegCapture {
  /** Resolves when ffmpeg has exited and its output is drained, with its exit code. */
  readonly exited: Promise<number>;
  /** The last lines ffmpeg wrote on stderr. */
  readonly stderrTail: string[];
  /** The splitter's counters (garbage, oversized frames). */
  readonly splitter: JpegSplitter;
  /** Stops ffmpeg: SIGTERM, then SIGKILL if it lingers. Safe to call twice. */
  stop(): Promise<void>;
}

/** Returns the OS as ffmpeg's capture formats see it. */
export function captureOs(): CaptureOs {
  return Deno.build.os === "darwin" ? "darwin" : Deno.build.os === "windows" ? "windows" : "linux";
}

/**
 * Starts `ffmpegPath` with `args` (which must write MJPEG to stdout) and calls `onFrame` for every
 * complete JPEG, synchronously, as soon as its last byte is read. When `onFrame` returns a promise,
 * reading waits for it: the pipe then holds ffmpeg back (`--fps max`).
 *
 * @throws {UserError} when ffmpeg cannot be started at all.
 */
export function startFfmpegCapture(
  ffmpegPath: string,
  args: string[],
  onFrame: (frame: Uint8Array) => void | Promise<void>,
  maxFrameBytes?: number,
): FfmpegCapture {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(ffmpegPath, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UserError(ffmpegMissingMessage(ffmpegPath, captureOs()), 1, { cause: error });
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new UserError(
        `Cannot start ffmpeg "${ffmpegPath}": permission denied. Check that it is executable, or ` +
          `run udpcam with --allow-run for it.`,
        1,
        { cause: error },
      );
    }
    throw error;
  }
  const splitter = new JpegSplitter(maxFrameBytes ? { maxFrameBytes } : {});
  const stderrTail: string[] = [];

  const readStdout = (async () => {
    for await (const chunk of child.stdout) {
      for (const frame of splitter.push(chunk)) {
        const sent = onFrame(frame);
        if (sent) await sent;
      }
    }
  })();
  const readStderr = (async () => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of child.stderr) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() === "") continue;
        stderrTail.push(line.trim());
        if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
      }
      // A line without newline that keeps growing is still bounded.
      if (pending.length > 4096) pending = pending.slice(-4096);
    }
    if (pending.trim()) stderrTail.push(pending.trim());
  })();

  const exited = (async () => {
    const status = await child.status;
    await Promise.allSettled([readStdout, readStderr]);
    return status.code;
  })();

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        return; // Already exited.
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* exited meanwhile */ }
          resolve();
        }, 2000);
      });
      await Promise.race([exited, killed]);
      clearTimeout(timer);
      await exited;
    })();
    return stopping;
  };

  return { exited, stderrTail, splitter, stop };
}
