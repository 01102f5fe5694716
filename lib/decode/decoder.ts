/**
 * The interface every JPEG decoder implements, so the receiver can switch between libjpeg-turbo
 * (native, via FFI) and the WebAssembly fallback.
 *
 * @module
 */

import type { YuvImage } from "../image/mod.ts";

/** Where {@linkcode JpegDecoder.decodeXrgb} writes: memory for `height` rows of `pitchBytes`. */
export interface XrgbTarget {
  /** First byte of the first row; must stay valid and untouched until the decode settles. */
  pointer: Deno.PointerObject;
  /** Bytes from one row to the next (at least width × 4). */
  pitchBytes: number;
}

/** Which decoder implementation is in use. */
export type DecoderName = "turbo" | "wasm";

/**
 * Decodes JPEG frames to planar YUV.
 *
 * Implementations reuse their output buffers: the image a `decode` resolves to is valid only until
 * the next `decode` call on the same decoder. Calls must not overlap: await one before starting the
 * next. A JPEG that cannot be decoded completely rejects with an Error whose message starts with
 * "Cannot decode JPEG:"; no partial image is ever returned.
 */
export interface JpegDecoder {
  /** "turbo" for libjpeg-turbo over FFI, "wasm" for the WebAssembly fallback. */
  readonly name: DecoderName;
  /** Decodes one complete JPEG (SOI … EOI). */
  decode(jpeg: Uint8Array): Promise<YuvImage>;
  /**
   * Decodes one complete JPEG straight into 32-bit pixels whose bytes are B, G, R, unused (SDL's
   * XRGB8888), colour conversion included. `target` is called once with the frame's size, after
   * the header was read and checked, and returns where to write. Resolves to the size written;
   * on a rejection the target may hold part of the frame. Optional: decoders without it are used
   * through {@linkcode JpegDecoder.decode}.
   */
  decodeXrgb?(
    jpeg: Uint8Array,
    target: (width: number, height: number) => XrgbTarget,
  ): Promise<{ width: number; height: number }>;
  /** Releases native resources; a decode still running finishes first. Safe to call twice. */
  close(): void;
}
