/**
 * Builds the ffmpeg command line that captures a source as an MJPEG stream on stdout. Pure: the OS
 * and every choice come in as arguments, so each platform's command is testable anywhere.
 *
 * @module
 */

/** Where frames come from. */
export type Source =
  | { kind: "camera"; device: string | null }
  | { kind: "testPattern" }
  | { kind: "file"; path: string; loop: boolean };

/** The operating systems with a camera input format we know. */
export type CaptureOs = "linux" | "darwin" | "windows";

/** Everything that shapes the ffmpeg command. */
export interface CaptureSettings {
  /** What to capture. */
  source: Source;
  /** Frame width and height in pixels, or null to keep the source's size. */
  size: { width: number; height: number } | null;
  /** Frames per second: a camera's `-framerate`, the test pattern's rate, a re-encoded file's. */
  fps: number;
  /**
   * A file source is read in real time (`-re`) and, re-encoded, resampled to `fps`; false: as
   * fast as ffmpeg can, with no rate filter (the sender then sets the pace, lib/send/rate_plan.ts).
   */
  realtime: boolean;
  /** JPEG quality 1..100 (higher is better and bigger). */
  quality: number;
  /** Forward the camera's own MJPEG without re-encoding. */
  passthrough: boolean;
  /** Use the standard Huffman tables of JPEG Annex K (RTP/JPEG needs them). */
  standardHuffmanTables: boolean;
}

/** The default camera per OS: a v4l2 node, an avfoundation index; dshow has no default. */
function defaultCameraDevice(os: CaptureOs): string | null {
  switch (os) {
    case "linux":
      return "/dev/video0";
    case "darwin":
      return "0";
    case "windows":
      return null;
  }
}

/** Maps JPEG quality 1..100 onto ffmpeg's mjpeg qscale 31..2 (2 is best). */
export function qualityToQscale(quality: number): number {
  const clamped = Math.min(100, Math.max(1, quality));
  return Math.round(31 - ((clamped - 1) * 29) / 99);
}

/**
 * The drawtext filter that burns the wall clock, with milliseconds, into the test pattern, so
 * latency can be eyeballed by photographing both screens.
 */
function clockOverlayFilter(height: number): string {
  const fontSize = Math.max(12, Math.round(height / 12));
  // Escaping: ':' separates filter options and '\:' inside %{} must survive two parsing passes.
  const clock = "%{localtime\\:%H\\\\\\:%M\\\\\\:%S}.%{eif\\:mod(time(0)*1000\\,1000)\\:d\\:3}";
  return `drawtext=text='${clock}':fontsize=${fontSize}:fontcolor=white:box=1:` +
    `boxcolor=black@0.6:boxborderw=6:x=12:y=h-th-18`;
}

/** Input options for a camera on `os`. */
function cameraInput(
  os: CaptureOs,
  device: string,
  settings: CaptureSettings,
): string[] {
  const size = settings.size
    ? ["-video_size", `${settings.size.width}x${settings.size.height}`]
    : [];
  const rate = ["-framerate", String(settings.fps)];
  switch (os) {
    case "linux":
      return [
        "-f",
        "v4l2",
        // Webcams deliver 720p and up at full rate only as MJPEG; ask for it always.
        "-input_format",
        "mjpeg",
        ...rate,
        ...size,
        "-i",
        device,
      ];
    case "darwin":
      return ["-f", "avfoundation", ...rate, ...size, "-i", `${device}:none`];
    case "windows":
      return [
        "-f",
        "dshow",
        ...(settings.passthrough ? ["-vcodec", "mjpeg"] : []),
        ...rate,
        ...size,
        "-i",
        `video=${device}`,
      ];
  }
}

/**
 * Returns ffmpeg's arguments (without the program name) for `settings` on `os`.
 * `device` must be resolved already when the source is a camera without a device on Windows.
 *
 * @example The test pattern at 640x480, 30 fps, re-encoded at quality 80
 * ```ts
 * import { buildFfmpegArgs } from "./ffmpeg_args.ts";
 *
 * const args = buildFfmpegArgs({
 *   source: { kind: "testPattern" },
 *   size: { width: 640, height: 480 },
 *   fps: 30,
 *   realtime: true,
 *   quality: 80,
 *   passthrough: false,
 *   standardHuffmanTables: false,
 * }, "linux");
 * if (!args.includes("mjpeg") || args.at(-1) !== "pipe:1") throw new Error(args.join(" "));
 * ```
 */
export function buildFfmpegArgs(settings: CaptureSettings, os: CaptureOs): string[] {
  const args = ["-hide_banner", "-nostdin", "-loglevel", "error"];
  const filters: string[] = [];
  const source = settings.source;
  switch (source.kind) {
    case "camera": {
      const device = source.device ?? defaultCameraDevice(os);
      if (device === null) throw new Error("Cannot build ffmpeg command: no camera device given");
      args.push("-fflags", "nobuffer", ...cameraInput(os, device, settings));
      break;
    }
    case "testPattern": {
      const { width, height } = settings.size ?? { width: 1280, height: 720 };
      args.push(
        "-re",
        "-f",
        "lavfi",
        "-i",
        `testsrc2=size=${width}x${height}:rate=${settings.fps},${clockOverlayFilter(height)}`,
      );
      break;
    }
    case "file":
      args.push(
        ...(settings.realtime ? ["-re"] : []),
        ...(source.loop ? ["-stream_loop", "-1"] : []),
        "-i",
        source.path,
      );
      break;
  }
  args.push("-an");
  if (settings.passthrough) {
    args.push("-c:v", "copy");
  } else {
    if (source.kind === "file") {
      if (settings.size) filters.push(`scale=${settings.size.width}:${settings.size.height}`);
      if (settings.realtime) filters.push(`fps=${settings.fps}`);
    } else if (source.kind === "camera" && settings.size) {
      // Cameras may round to a size they support; scale so the stream is what was asked for.
      filters.push(`scale=${settings.size.width}:${settings.size.height}`);
    }
    // Full-range 4:2:0 is what every JPEG decoder (and RTP/JPEG type 1) handles.
    filters.push("format=yuvj420p");
    args.push("-vf", filters.join(","));
    args.push("-c:v", "mjpeg", "-q:v", String(qualityToQscale(settings.quality)));
    if (settings.standardHuffmanTables) args.push("-huffman", "default");
  }
  args.push("-f", "mjpeg", "-flush_packets", "1", "pipe:1");
  return args;
}

/**
 * ffmpeg's arguments that list the cameras on `os`. Linux prints on stdout; the others on stderr.
 * (Reading /sys directly would need Deno's --allow-all; running ffmpeg needs only --allow-run.)
 */
export function listDevicesArgs(os: CaptureOs): string[] {
  switch (os) {
    case "darwin":
      return ["-hide_banner", "-f", "avfoundation", "-list_devices", "true", "-i", ""];
    case "windows":
      return ["-hide_banner", "-list_devices", "true", "-f", "dshow", "-i", "dummy"];
    case "linux":
      return ["-hide_banner", "-sources", "v4l2"];
  }
}

/**
 * Picks the video devices out of ffmpeg's listing (`-sources v4l2` on Linux, `-list_devices` for
 * dshow and avfoundation): names quoted on Windows, `INDEX: NAME` on macOS, `PATH: NAME` on Linux.
 */
export function parseDeviceList(os: CaptureOs, stderr: string): string[] {
  const names: string[] = [];
  let inVideo = os === "windows";
  for (const line of stderr.split(/\r?\n/)) {
    if (os === "linux") {
      // `ffmpeg -sources v4l2`: "* /dev/video0 [Integrated Camera: Integrated C]" (* = default).
      const match = /^\s*\*?\s*(\/dev\/\S+)\s+\[(.*)\]\s*$/.exec(line);
      if (match) names.push(`${match[1]}: ${match[2].trim()}`);
    } else if (os === "darwin") {
      if (/AVFoundation video devices/.test(line)) inVideo = true;
      else if (/AVFoundation audio devices/.test(line)) inVideo = false;
      const match = /\]\s\[(\d+)\]\s(.+)$/.exec(line);
      if (inVideo && match) names.push(`${match[1]}: ${match[2].trim()}`);
    } else if (os === "windows") {
      // ffmpeg 5+: `[dshow @ ...] "Name" (video)`; older: a "DirectShow video devices" section.
      if (/DirectShow audio devices/.test(line)) inVideo = false;
      if (/DirectShow video devices/.test(line)) inVideo = true;
      const match = /"([^"]+)"(\s+\((video|audio|none)\))?\s*$/.exec(line);
      if (match && !/Alternative name/.test(line)) {
        const kind = match[3];
        if (kind === "video" || (kind === undefined && inVideo)) names.push(match[1]);
      }
    }
  }
  return names;
}
