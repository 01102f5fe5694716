/**
 * The interface every JPEG decoder implements, so the receiver can switch between libjpeg-turbo
 * (native, via FFI) and the WebAssembly fallback.
 *
 * @module
 */

import type { YuvImage } from "../yuv.ts";

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
  /** Releases native resources; a decode still running finishes first. Safe to call twice. */
  close(): void;
}
