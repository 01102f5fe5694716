/**
 * Reads MJPEG files into frames and fingerprints frames, for end-to-end checks.
 *
 * @module
 */

import { JpegSplitter } from "../../lib/jpeg/mod.ts";

/** Frames of an MJPEG file, split by our splitter. */
export function readMjpegFrames(path: string): Uint8Array[] {
  return new JpegSplitter().push(Deno.readFileSync(path));
}

/** SHA-256 of `bytes` as hex. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Decodes a whole MJPEG file with ffmpeg; returns what ffmpeg printed as errors. */
export async function ffmpegDecodeErrors(path: string): Promise<string> {
  const output = await new Deno.Command("ffmpeg", {
    args: ["-v", "error", "-i", path, "-f", "null", "-"],
    stdout: "null",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(output.stderr).trim();
}
