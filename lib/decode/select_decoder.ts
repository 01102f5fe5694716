/**
 * Choosing a JPEG decoder: libjpeg-turbo when available, the WebAssembly fallback otherwise.
 *
 * @module
 */

import { describeError, UserError } from "../errors.ts";
import type { JpegDecoder } from "./decoder.ts";
import { TurboDecoder } from "./turbo_decoder.ts";
import { WasmDecoder } from "./wasm_decoder.ts";

/** What the user asked for: a specific decoder, or "auto" (turbo, else wasm). */
export type DecoderChoice = "auto" | "turbo" | "wasm";

/** The opened decoder and, for "auto", why turbo was passed over. */
export interface OpenedDecoder {
  /** The decoder; its `name` says which one was chosen. */
  readonly decoder: JpegDecoder;
  /** Set when "auto" fell back to wasm: the reason turbo could not be loaded. */
  readonly fallbackReason?: string;
}

/**
 * Opens the decoder for `choice`. "auto" prefers libjpeg-turbo and falls back to WebAssembly when
 * the native library is missing, reporting the reason so the receiver can print it once.
 *
 * @throws {UserError} for "turbo" when libjpeg-turbo is missing (message has the install line).
 * @throws {Error} when the WebAssembly decoder cannot be loaded.
 */
export async function openDecoder(choice: DecoderChoice): Promise<OpenedDecoder> {
  if (choice === "wasm") return { decoder: await WasmDecoder.open() };
  if (choice === "turbo") return { decoder: TurboDecoder.open() };
  try {
    return { decoder: TurboDecoder.open() };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { decoder: await WasmDecoder.open(), fallbackReason: describeError(error) };
  }
}
