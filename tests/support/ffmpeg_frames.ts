/**
 * Real JPEG frames from ffmpeg and pixel comparisons, for the wire-mode tests.
 *
 * @module
 */

import { JpegSplitter } from "../../lib/jpeg/mod.ts";

/** Fails with a message naming `tool` when it cannot be started. */
export async function requireCommand(tool: string, args: string[], aptPackage: string) {
  try {
    await new Deno.Command(tool, { args, stdout: "null", stderr: "null" }).output();
  } catch {
    throw new Error(`${tool} is required for this test: install it (apt install ${aptPackage})`);
  }
}

/** Runs ffmpeg with `args`, feeding `input`; returns stdout or throws with ffmpeg's stderr. */
export async function runFfmpeg(args: string[], input?: Uint8Array): Promise<Uint8Array> {
  await requireCommand("ffmpeg", ["-version"], "ffmpeg");
  const child = new Deno.Command("ffmpeg", {
    args: ["-v", "error", "-nostdin", ...args],
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    // Write and close while stdout is drained below, so neither pipe fills up.
    writer.write(input).then(() => writer.close()).catch(() => {});
  }
  const output = await child.output();
  if (!output.success) {
    throw new Error(`ffmpeg ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return output.stdout;
}

/**
 * `count` frames of ffmpeg's testsrc2 at `size`, encoded to MJPEG with `encoderArgs`
 * (by default the ones the sender uses in rtp mode).
 */
export async function testsrcJpegs(
  count: number,
  size = "320x240",
  encoderArgs = ["-huffman", "default", "-pix_fmt", "yuvj420p"],
): Promise<Uint8Array[]> {
  const stream = await runFfmpeg([
    ...["-f", "lavfi", "-i", `testsrc2=size=${size}:rate=30`],
    ...["-frames:v", String(count), ...encoderArgs, "-f", "mjpeg", "pipe:1"],
  ]);
  return new JpegSplitter().push(stream);
}

/** Decodes concatenated JPEGs with ffmpeg into packed RGB frames of `width` x `height`. */
export async function decodeJpegsToRgb(
  jpegs: Uint8Array[],
  width: number,
  height: number,
): Promise<Uint8Array[]> {
  const total = jpegs.reduce((sum, jpeg) => sum + jpeg.length, 0);
  const input = new Uint8Array(total);
  let at = 0;
  for (const jpeg of jpegs) {
    input.set(jpeg, at);
    at += jpeg.length;
  }
  const raw = await runFfmpeg([
    ...["-f", "mjpeg", "-i", "pipe:0"],
    ...["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${width}x${height}`, "pipe:1"],
  ], input);
  return splitRaw(raw, width * height * 3);
}

/** Cuts a raw video buffer into frames of `frameBytes`, ignoring a trailing partial one. */
export function splitRaw(raw: Uint8Array, frameBytes: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let at = 0; at + frameBytes <= raw.length; at += frameBytes) {
    frames.push(raw.subarray(at, at + frameBytes));
  }
  return frames;
}

/** Mean absolute difference per byte between two equally long buffers. */
export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Infinity;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

/** The smallest {@linkcode meanAbsDiff} between `frame` and any of `candidates`. */
export function closestDiff(frame: Uint8Array, candidates: Uint8Array[]): number {
  let best = Infinity;
  for (const candidate of candidates) best = Math.min(best, meanAbsDiff(frame, candidate));
  return best;
}
