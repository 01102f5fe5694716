/**
 * Opening what the receiver shows frames with: the JPEG decoder and the window, saying which
 * decoder was chosen (and why, when libjpeg-turbo is missing) and which SDL video driver the
 * window is on.
 *
 * @module
 */

import type { JpegDecoder } from "../decode/decoder.ts";
import { type DecoderChoice, openDecoder } from "../decode/select_decoder.ts";
import { UserError } from "../errors.ts";
import { SdlError } from "./library.ts";
import { invisibleDriverWarning, SDL_VIDEODRIVER_ENV } from "./video_driver.ts";
import { VideoWindow } from "./video_window.ts";

/** The window's size before the first frame; it is resizable and frames are letterboxed. */
export const INITIAL_WINDOW = { width: 960, height: 540 } as const;

/** What {@linkcode openDisplay} opens. */
export interface DisplaySettings {
  /** Which decoder (`--decoder`). */
  decoder: DecoderChoice;
  /** Sync presents to the display refresh (`--no-vsync` makes it false). */
  vsync: boolean;
}

/** The decoder and window {@linkcode openDisplay} opened; the caller closes both. */
export interface OpenedDisplay {
  /** The chosen decoder. */
  decoder: JpegDecoder;
  /** The open window. */
  window: VideoWindow;
  /** The SDL video driver the window is on (`x11`, `wayland`, `offscreen`, ...). */
  videoDriver: string;
  /**
   * One sentence when that driver shows nothing and the user did not ask for it (SDL fell back to
   * `offscreen` without a display), else null. See lib/sdl/video_driver.ts.
   */
  driverWarning: string | null;
}

/**
 * Opens the decoder and the window, then logs which decoder was chosen and why.
 *
 * @param log Prints one line for the user.
 * @throws {UserError} when SDL2 or libjpeg-turbo (`--decoder turbo`) is missing, or SDL cannot
 * open a window (its {@linkcode SdlError} is the `cause`); nothing stays open then.
 */
export async function openDisplay(
  settings: DisplaySettings,
  log: (message: string) => void,
): Promise<OpenedDisplay> {
  const { decoder, fallbackReason } = await openDecoder(settings.decoder);
  let window: VideoWindow;
  try {
    window = VideoWindow.open("udpcam", INITIAL_WINDOW.width, INITIAL_WINDOW.height, {
      vsync: settings.vsync,
    });
  } catch (error) {
    decoder.close();
    if (error instanceof SdlError) {
      // No display (no DISPLAY/WAYLAND_DISPLAY, or a driver SDL lacks): say what to do instead.
      throw new UserError(
        "Cannot open the video window. Run in a desktop session (check DISPLAY or " +
          "SDL_VIDEODRIVER), or run with --headless.",
        1,
        { cause: error },
      );
    }
    throw error;
  }
  // Printed once the window is open, so a missing SDL2 stays the only line of output.
  log(
    fallbackReason
      ? `udpcam-recv: decoder wasm (WebAssembly, slower), because libjpeg-turbo is missing: ` +
        fallbackReason
      : `udpcam-recv: decoder ${decoder.name}${
        decoder.name === "turbo" ? " (libjpeg-turbo)" : " (WebAssembly)"
      }`,
  );
  const videoDriver = window.videoDriver;
  return {
    decoder,
    window,
    videoDriver,
    driverWarning: invisibleDriverWarning(videoDriver, Deno.env.get(SDL_VIDEODRIVER_ENV)),
  };
}
