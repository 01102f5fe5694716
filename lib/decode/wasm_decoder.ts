/**
 * Fallback JPEG decoding in WebAssembly, for machines without libjpeg-turbo.
 *
 * Uses the npm package `@cwasm/jpeg-turbo` (libjpeg-turbo compiled to WebAssembly): the fastest
 * candidate measured, well ahead of pure-JS jpeg-js (docs/benchmarks.md, "Figures behind design
 * choices"); `@jsquash/jpeg` was as fast, but its Emscripten runtime calls exit(1) on a corrupt
 * frame and stays dead. It outputs RGBA only, which
 * {@linkcode I420Converter.fromRgba} turns into 4:2:0 for the display.
 *
 * Frames without Huffman tables (webcam MJPEG) get the standard tables inserted first. The module
 * is loaded on {@linkcode WasmDecoder.open}, never at import. Decoding runs on the JS thread.
 *
 * Known limit: the package instantiates its WebAssembly once per process, and a frame that makes
 * libjpeg raise a fatal error (a bogus table, for example) leaves its small allocations behind in
 * that instance. Cheap checks below reject most such frames before they reach it.
 *
 * @module
 */

import { scanJpegHeader, withStandardHuffmanTables } from "../jpeg/mod.ts";
import { I420Converter, type YuvImage } from "../image/mod.ts";
import type { JpegDecoder } from "./decoder.ts";
import { DEFAULT_MAX_PIXELS } from "./turbo_decoder.ts";

/** The npm specifier of the WebAssembly decoder, for deno.json's "imports" if wanted. */
const WASM_DECODER_PACKAGE = "npm:@cwasm/jpeg-turbo@0.1.3";

interface CwasmModule {
  decode(source: Uint8Array): { width: number; height: number; data: Uint8ClampedArray };
}

/** Options for {@linkcode WasmDecoder.open}. */
export interface WasmDecoderOptions {
  /** Largest accepted width × height; default {@linkcode DEFAULT_MAX_PIXELS}. */
  maxPixels?: number;
}

/**
 * WebAssembly decoder. The image a decode resolves to is 4:2:0 in buffers reused across frames
 * (valid until the next decode); they are reallocated only when the frame size changes.
 */
export class WasmDecoder implements JpegDecoder {
  /** Always "wasm". */
  readonly name = "wasm" as const;
  #codec: CwasmModule | null;
  #converter = new I420Converter();
  #maxPixels: number;
  #busy = false;

  private constructor(codec: CwasmModule, maxPixels: number) {
    this.#codec = codec;
    this.#maxPixels = maxPixels;
  }

  /**
   * Loads the WebAssembly module.
   *
   * @throws {Error} when the npm package cannot be loaded (offline first run, broken cache).
   */
  static async open(options: WasmDecoderOptions = {}): Promise<WasmDecoder> {
    let codec: CwasmModule;
    try {
      // Dynamic so that importing this file loads nothing; deno.json maps the npm package.
      const mod = await import("@cwasm/jpeg-turbo");
      codec = ((mod as { default?: CwasmModule }).default ?? mod) as CwasmModule;
    } catch (error) {
      throw new Error(
        `Cannot load the WebAssembly JPEG decoder (${WASM_DECODER_PACKAGE}). Check network ` +
          "access to the npm registry, or install libjpeg-turbo.",
        { cause: error },
      );
    }
    return new WasmDecoder(codec, options.maxPixels ?? DEFAULT_MAX_PIXELS);
  }

  /** How many times output buffers were allocated: grows only on frame size changes. */
  get allocations(): number {
    return this.#converter.allocations;
  }

  /**
   * Decodes `jpeg` to 4:2:0.
   *
   * @throws {Error} "Cannot decode JPEG: …" (as a rejection) for corrupt or unsupported input, on
   * overlapping calls, or after close.
   */
  decode(jpeg: Uint8Array): Promise<YuvImage> {
    try {
      return Promise.resolve(this.#decodeNow(jpeg));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Drops the module reference. Safe to call twice. */
  close(): void {
    this.#codec = null;
  }

  #decodeNow(jpeg: Uint8Array): YuvImage {
    const codec = this.#codec;
    if (codec === null) throw new Error("Cannot decode JPEG: the decoder is closed.");
    if (this.#busy) {
      throw new Error("Cannot decode JPEG: a decode is still running. Await it first.");
    }
    const header = scanJpegHeader(jpeg);
    if (header.sosOffset < 0 || header.width < 1 || header.height < 1) {
      throw new Error(
        "Cannot decode JPEG: the data is not a decodable baseline or progressive JPEG",
      );
    }
    if (header.width * header.height > this.#maxPixels) {
      throw new Error(
        `Cannot decode JPEG: ${header.width}x${header.height} exceeds the limit of ` +
          `${this.#maxPixels} pixels.`,
      );
    }
    if (jpeg.length < 4 || jpeg[jpeg.length - 2] !== 0xff || jpeg[jpeg.length - 1] !== 0xd9) {
      throw new Error("Cannot decode JPEG: the data is corrupt or truncated");
    }
    this.#busy = true;
    try {
      let rgba: { width: number; height: number; data: Uint8ClampedArray };
      try {
        rgba = codec.decode(withStandardHuffmanTables(jpeg));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // The package reports libjpeg warnings as "Failed to decode JPEG data" and fatal errors
        // through its longjmp stub, which throws "Not implemented".
        throw new Error(
          message === "Failed to decode JPEG data" || message === "Not implemented"
            ? "Cannot decode JPEG: the data is corrupt or truncated"
            : "Cannot decode JPEG.",
          { cause: error },
        );
      }
      return this.#converter.fromRgba(rgba.data, rgba.width, rgba.height);
    } finally {
      this.#busy = false;
    }
  }
}
