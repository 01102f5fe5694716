/**
 * Lists cameras: Video4Linux nodes from sysfs on Linux, ffmpeg's own listing elsewhere; and picks
 * the camera a default `--device` means.
 *
 * @module
 */

import {
  type CaptureOs,
  ffmpegMissingMessage,
  listDevicesArgs,
  parseDeviceList,
  type Source,
} from "../capture/mod.ts";
import { UserError } from "../errors.ts";

/** A camera: what to pass to `--device`, and its human name. */
export interface CameraDevice {
  /** The value for `--device`. */
  device: string;
  /** The name the OS gives it. */
  name: string;
}

/** Lists the cameras on this machine; an empty list when there are none. */
export async function listCameras(ffmpegPath: string, os: CaptureOs): Promise<CameraDevice[]> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(ffmpegPath, {
      args: listDevicesArgs(os),
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UserError(ffmpegMissingMessage(ffmpegPath, os), 1, { cause: error });
    }
    throw error;
  }
  const decoder = new TextDecoder();
  const listing = decoder.decode(output.stdout) + "\n" + decoder.decode(output.stderr);
  const cameras = parseDeviceList(os, listing).map((entry) => {
    // macOS entries come as "INDEX: NAME", Linux ones as "PATH: NAME"; the first part is --device.
    const split = /^(\d+|\/dev\/\S+): (.*)$/.exec(entry);
    return split ? { device: split[1], name: split[2] } : { device: entry, name: entry };
  });
  return cameras.length > 0 || os !== "linux" ? cameras : listVideoNodes();
}

/**
 * The camera device `source` opens: its `--device`, or null for the OS default (null too for
 * sources that are not cameras). On Windows dshow has no default camera: the first one ffmpeg
 * lists is taken.
 *
 * @throws {UserError} on Windows when no camera is found.
 */
export async function resolveCameraDevice(
  source: Source,
  ffmpegPath: string,
  os: CaptureOs,
): Promise<string | null> {
  if (source.kind !== "camera") return null;
  if (source.device !== null || os !== "windows") return source.device;
  const cameras = await listCameras(ffmpegPath, os);
  if (cameras.length === 0) {
    throw new UserError(
      "Cannot open the default camera: no camera found. Plug one in, or stream without a camera " +
        "with --test-pattern.",
    );
  }
  return cameras[0].device;
}

/** Fallback on Linux when ffmpeg lists nothing (old ffmpeg without -sources): /dev/video* nodes. */
function listVideoNodes(): CameraDevice[] {
  try {
    return [...Deno.readDirSync("/dev")]
      .filter((entry) => /^video\d+$/.test(entry.name))
      .map((entry) => entry.name)
      .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
      .map((name) => ({ device: `/dev/${name}`, name: "Video4Linux device" }));
  } catch {
    return [];
  }
}
