/**
 * `udpcam-send --list-devices`: prints the cameras ffmpeg sees, with the value `--device` takes.
 *
 * @module
 */

import type { CaptureOs } from "../capture/mod.ts";
import { listCameras } from "../io/devices.ts";

/**
 * Prints the cameras on this machine; returns the exit code: 0 when there is one, 1 when there
 * is none (with what to do instead).
 */
export async function listDevicesMain(ffmpegPath: string, os: CaptureOs): Promise<number> {
  const cameras = await listCameras(ffmpegPath, os);
  if (cameras.length === 0) {
    console.log(
      "No cameras found. Plug one in (and check it works in another app), or stream without a " +
        "camera: udpcam-send --test-pattern",
    );
    return 1;
  }
  console.log("Cameras (use the first column with --device):");
  for (const camera of cameras) console.log(`  ${camera.device.padEnd(16)} ${camera.name}`);
  return 0;
}
