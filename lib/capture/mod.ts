/**
 * The sender's capture, pure parts: ffmpeg's arguments for each OS and source, what its exit means
 * in one sentence, and the backoff between restarts (`--retry`).
 *
 * @module
 */

export {
  buildFfmpegArgs,
  listDevicesArgs,
  parseDeviceList,
  qualityToQscale,
} from "./ffmpeg_args.ts";
export type { CaptureOs, Source } from "./ffmpeg_args.ts";
export { explainFfmpegExit, ffmpegInstallHint, ffmpegMissingMessage } from "./ffmpeg_errors.ts";
export { Backoff } from "./retry_backoff.ts";
