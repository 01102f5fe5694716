/**
 * Re-encodes the frames RTP/JPEG (RFC 2435) cannot carry as they are, for the RTSP server
 * (`--rtsp`): a webcam's pass-through frames with their own Huffman tables, a v1 stream's frames
 * with ffmpeg's optimal tables, frames over 2040 pixels. The output is baseline 4:2:0 with the
 * standard tables, at a high quality (the picture is the camera's, not ours to degrade), scaled
 * down by the least n/8 that brings it within the limit.
 *
 * @module
 */

import { parseJpeg } from "../jpeg/mod.ts";
import { MAX_DIMENSION_PX } from "../wire/rtp/mod.ts";
import { scaledDimension, TurboTranscoder } from "./turbo_transcoder.ts";

/** libjpeg quality of re-encoded frames: close to what the source had, well above the ladder's. */
export const RTP_REENCODE_QUALITY = 90;

/** A re-encoder and how to free it. */
export interface RtpReencoder {
  /** The frame made carriable, or null when it cannot be (not a JPEG, or refused). */
  reencode(jpeg: Uint8Array): Promise<Uint8Array | null>;
  /** Frees libjpeg-turbo's handles. */
  close(): void;
}

/** The largest n/8 scale at which a `width` x `height` frame fits RTP/JPEG's 2040 pixels. */
export function rtpScaleEighths(width: number, height: number): number {
  let eighths = 8;
  while (
    eighths > 1 &&
    Math.max(scaledDimension(width, eighths), scaledDimension(height, eighths)) > MAX_DIMENSION_PX
  ) eighths--;
  return eighths;
}

/**
 * Opens libjpeg-turbo for re-encoding, or returns null when it cannot be loaded (the RTSP server
 * then skips unfit frames, counted, and says so once).
 */
export function openRtpReencoder(): RtpReencoder | null {
  let transcoder: TurboTranscoder;
  try {
    transcoder = TurboTranscoder.open();
  } catch {
    return null;
  }
  return {
    async reencode(jpeg) {
      const parsed = parseJpeg(jpeg);
      if (!parsed.ok) return null;
      const { width, height } = parsed.info;
      try {
        return await transcoder.transcode(jpeg, {
          quality: RTP_REENCODE_QUALITY,
          scaleEighths: rtpScaleEighths(width, height),
        });
      } catch {
        // Counted by the transcoder by reason; the server counts the frame as unfit.
        return null;
      }
    },
    close: () => transcoder.close(),
  };
}
