/**
 * Test helper: makes JPEG frames with the real ffmpeg (and ImageMagick for greyscale JPEGs, which
 * ffmpeg's MJPEG encoder cannot write). Missing tools make the calling test fail, naming the apt
 * package.
 *
 * @module
 */

/** What to encode. */
export interface JpegSpec {
  /** lavfi source, e.g. "color=c=red" or "testsrc2". */
  source: string;
  /** Frame width in pixels. */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** Chroma layout of the JPEG; default "420". */
  subsampling?: "420" | "422" | "444" | "gray";
  /** Quality scale 2 (best) … 31; default 2. */
  qscale?: number;
  /** Frames to encode (each a separate JPEG); default 1. */
  frames?: number;
}

async function run(cmd: string, args: string[], stdin?: Uint8Array): Promise<Uint8Array> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args,
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      const pkg = cmd === "ffmpeg" ? "ffmpeg" : "imagemagick";
      throw new Error(`Cannot run ${cmd}: not installed. Install it with: apt install ${pkg}`);
    }
    throw error;
  }
  if (stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const out = await child.output();
  if (!out.success) {
    throw new Error(`Cannot run ${cmd}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return out.stdout;
}

/** Splits a concatenation of JPEGs (as `ffmpeg -f mjpeg` writes) at each SOI after an EOI. */
export function splitJpegs(stream: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let start = 0;
  for (let i = 2; i + 3 < stream.length; i++) {
    if (
      stream[i] === 0xff && stream[i + 1] === 0xd9 && stream[i + 2] === 0xff &&
      stream[i + 3] === 0xd8
    ) {
      frames.push(stream.subarray(start, i + 2));
      start = i + 2;
    }
  }
  frames.push(stream.subarray(start));
  return frames;
}

/**
 * Encodes `spec` with ffmpeg's MJPEG encoder using the standard (Annex K.3) Huffman tables, like a
 * webcam. Greyscale frames are rendered by ffmpeg and encoded by ImageMagick.
 */
export async function makeJpegs(spec: JpegSpec): Promise<Uint8Array[]> {
  const frames = spec.frames ?? 1;
  const input = [
    "-hide_banner",
    "-loglevel",
    "error",
    "-f",
    "lavfi",
    "-i",
    `${spec.source}${
      spec.source.includes("=") ? ":" : "="
    }size=${spec.width}x${spec.height}:rate=25`,
    "-frames:v",
    String(frames),
  ];
  if (spec.subsampling === "gray") {
    const pgm = await run("ffmpeg", [
      ...input,
      "-pix_fmt",
      "gray",
      "-c:v",
      "pgm",
      "-f",
      "image2pipe",
      "-",
    ]);
    // ImageMagick reads one PGM per call; tests use one greyscale frame.
    const jpeg = await run(
      "convert",
      ["pgm:-", "-quality", "95", "-type", "grayscale", "jpg:-"],
      pgm,
    );
    return [jpeg];
  }
  const pixFmt = `yuvj${spec.subsampling ?? "420"}p`;
  const stream = await run("ffmpeg", [
    ...input,
    "-pix_fmt",
    pixFmt,
    "-c:v",
    "mjpeg",
    "-huffman",
    "default",
    "-q:v",
    String(spec.qscale ?? 2),
    "-f",
    "mjpeg",
    "-",
  ]);
  return splitJpegs(stream);
}

/** One JPEG per {@linkcode makeJpegs}. */
export async function makeJpeg(spec: JpegSpec): Promise<Uint8Array> {
  return (await makeJpegs({ ...spec, frames: 1 }))[0];
}
