/**
 * Lists cameras: Video4Linux nodes from sysfs on Linux, ffmpeg's own listing elsewhere.
 *
 * @module
 */

import { type CaptureOs, listDevicesArgs, parseDeviceList } from "../ffmpeg_args.ts";
import { UserError } from "../errors.ts";
import { ffmpegMissingMessage } from "../ffmpeg_errors.ts";

/** A camera: what to pass to `--device`, and its human name. */
export interface CameraDevice {
  /** The value for `--device`. */
  device: string;
  /** The name the OS gives it. */
  name: string;
}

/** Lists the cameras on this machine; an empty list when there are none. */
export async function listCameras(ffmpegPath: string, os: CaptureOs): Promise<CameraDevice[]> {
  const args = listDevicesArgs(os);
  if (args === null) return listV4l2Devices();
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(ffmpegPath, { args, stdout: "piped", stderr: "piped" })
      .output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UserError(ffmpegMissingMessage(ffmpegPath, os));
    }
    throw error;
  }
  const names = parseDeviceList(os, new TextDecoder().decode(output.stderr));
  return names.map((name) => {
    // macOS entries come as "INDEX: NAME"; the index is what avfoundation takes.
    const indexed = /^(\d+): (.*)$/.exec(name);
    return indexed ? { device: indexed[1], name: indexed[2] } : { device: name, name };
  });
}

function listV4l2Devices(): CameraDevice[] {
  const devices: CameraDevice[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync("/sys/class/video4linux")];
  } catch {
    return devices;
  }
  for (
    const entry of entries.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }))
  ) {
    let name = entry.name;
    try {
      name = Deno.readTextFileSync(`/sys/class/video4linux/${entry.name}/name`).trim();
    } catch { /* keep the node name */ }
    devices.push({ device: `/dev/${entry.name}`, name });
  }
  return devices;
}
