/**
 * Turns ffmpeg's failures into one sentence on what happened and what to do. Pure, so every case
 * is tested without a camera.
 *
 * @module
 */

import type { CaptureOs, Source } from "./ffmpeg_args.ts";

/** The one-line install hint for ffmpeg on `os`. */
export function ffmpegInstallHint(os: CaptureOs): string {
  switch (os) {
    case "linux":
      return "install it (Debian/Ubuntu: sudo apt install ffmpeg; Fedora: sudo dnf install ffmpeg)";
    case "darwin":
      return "install it (brew install ffmpeg)";
    case "windows":
      return "install it (winget install Gyan.FFmpeg) and open a new terminal";
  }
}

/** The message for ffmpeg not found at `ffmpegPath`. */
export function ffmpegMissingMessage(ffmpegPath: string, os: CaptureOs): string {
  return `Cannot start ffmpeg: "${ffmpegPath}" was not found. To fix it, ${
    ffmpegInstallHint(os)
  }, or pass its location with --ffmpeg PATH.`;
}

function describeSource(source: Source, device: string | null): string {
  switch (source.kind) {
    case "camera":
      return `camera ${device ?? "(default)"}`;
    case "testPattern":
      return "the test pattern";
    case "file":
      return `file ${source.path}`;
  }
}

/**
 * Explains why ffmpeg stopped, from its exit code and the last lines of its stderr.
 * `framesRead` tells a failure to start from a failure mid-stream (a camera unplugged).
 */
export function explainFfmpegExit(
  stderrTail: string[],
  exitCode: number,
  source: Source,
  device: string | null,
  framesRead: number,
): string {
  const text = stderrTail.join("\n");
  const what = describeSource(source, device);
  const tail = stderrTail.length ? ` ffmpeg said: ${stderrTail.slice(-3).join(" | ")}` : "";
  if (source.kind === "camera") {
    if (/Device or resource busy|Could not lock|in use/i.test(text)) {
      return `Cannot open ${what}: it is busy, another program is using it. Close that program, or ` +
        `pick another camera with --device (see --list-devices).`;
    }
    if (
      /No such file or directory|No such device|Could not find video device|not found/i.test(text)
    ) {
      return `Cannot open ${what}: no such camera. See the cameras with --list-devices, pick one ` +
        `with --device, or stream without a camera with --test-pattern.`;
    }
    if (/Permission denied|not authorized|Operation not permitted/i.test(text)) {
      return `Cannot open ${what}: permission denied. On Linux add yourself to the video group ` +
        `(sudo usermod -aG video $USER, then log in again); on macOS allow camera access for your ` +
        `terminal in System Settings > Privacy & Security > Camera.`;
    }
    if (/Invalid argument|size|framerate|Could not set video options/i.test(text)) {
      return `Cannot capture from ${what}: it does not support the size or frame rate asked for. ` +
        `Try another --size or --fps.${tail}`;
    }
  }
  if (source.kind === "file" && /No such file or directory/i.test(text)) {
    return `Cannot open ${what}: no such file. Check the path given to --file.`;
  }
  if (source.kind === "file" && /Invalid data found/i.test(text)) {
    return `Cannot read ${what}: ffmpeg does not recognise it as video. Check the file.`;
  }
  if (framesRead > 0) {
    return `Capture stopped: ffmpeg exited with code ${exitCode} after ${framesRead} frames ` +
      `(camera unplugged?).${tail}`;
  }
  return `Cannot capture from ${what}: ffmpeg exited with code ${exitCode}.${tail} ` +
    `Check the source flags, or try --test-pattern.`;
}
