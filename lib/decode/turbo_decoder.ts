/**
 * JPEG decoding with the system's libjpeg-turbo through FFI, straight to YUV planes, or to
 * XRGB8888 pixels in a locked texture.
 *
 * Decoding to planes skips libjpeg's colour conversion and upsampling entirely, the cheapest path
 * to an IYUV texture that a GPU converts. Decoding to XRGB8888 serves SDL's software renderer,
 * which would otherwise convert the planes in a second pass: libjpeg-turbo's SIMD conversion runs
 * while the rows are still in cache. The decompress call is non-blocking: it runs on a Deno worker
 * thread while the event loop keeps receiving datagrams. Frames lacking Huffman tables (webcam
 * MJPEG) decode as they are, since libjpeg-turbo supplies the standard tables itself.
 *
 * @module
 */

import { forOs, NativeLibrary, type Os, type OsTable } from "../ffi/native_library.ts";
import { planeHeight, planeWidth, type Subsampling, type YuvImage } from "../image/mod.ts";
import type { JpegDecoder, XrgbTarget } from "./decoder.ts";
import {
  TJERR_WARNING,
  TJFLAG_FASTDCT,
  TJFLAG_FASTUPSAMPLE,
  TJFLAG_STOPONWARNING,
  TJPF_BGRX,
  TJSAMP_411,
  TJSAMP_420,
  TJSAMP_422,
  TJSAMP_440,
  TJSAMP_444,
  TJSAMP_GRAY,
  TURBOJPEG_SYMBOLS,
  type TurboJpegLibrary,
} from "./turbojpeg_ffi.ts";

/** Environment variable naming the TurboJPEG library file to load instead of searching. */
export const TURBOJPEG_LIB_ENV = "UDPCAM_TURBOJPEG_LIB";

/** Largest frame accepted, in pixels (8K UHD); a header claiming more is rejected unallocated. */
export const DEFAULT_MAX_PIXELS = 7680 * 4320;

const TURBOJPEG_INSTALL_HINT: OsTable<string> = {
  darwin: "brew install jpeg-turbo",
  windows:
    "download libjpeg-turbo from https://github.com/libjpeg-turbo/libjpeg-turbo/releases and put turbojpeg.dll next to udpcam-recv.exe",
  default: "sudo apt install libturbojpeg0",
};

/** libturbojpeg: where it is looked for, and the install line its error names. */
export const TURBOJPEG_LIBRARY: NativeLibrary<typeof TURBOJPEG_SYMBOLS> = new NativeLibrary({
  name: "libjpeg-turbo",
  envVar: TURBOJPEG_LIB_ENV,
  candidates: {
    darwin: [
      "libturbojpeg.0.dylib",
      "/opt/homebrew/opt/jpeg-turbo/lib/libturbojpeg.0.dylib",
      "/usr/local/opt/jpeg-turbo/lib/libturbojpeg.0.dylib",
      "/opt/homebrew/lib/libturbojpeg.0.dylib",
      "/usr/local/lib/libturbojpeg.0.dylib",
    ],
    windows: ["turbojpeg.dll"],
    default: ["libturbojpeg.so.0", "libturbojpeg.so"],
  },
  installHint: TURBOJPEG_INSTALL_HINT,
  otherwise: "run with --decoder wasm",
  symbols: TURBOJPEG_SYMBOLS,
});

/** The install hint for libjpeg-turbo on `os`. */
export function turboJpegInstallHint(os: Os = Deno.build.os): string {
  return forOs(TURBOJPEG_INSTALL_HINT, os);
}

const SUBSAMPLING: Record<number, Subsampling> = {
  [TJSAMP_444]: "444",
  [TJSAMP_422]: "422",
  [TJSAMP_420]: "420",
  [TJSAMP_GRAY]: "gray",
};

const UNSUPPORTED_SUBSAMPLING: Record<number, string> = {
  [TJSAMP_440]: "4:4:0",
  [TJSAMP_411]: "4:1:1",
};

/** Options for {@linkcode TurboDecoder.open}. */
export interface TurboDecoderOptions {
  /** Largest accepted width × height; default {@linkcode DEFAULT_MAX_PIXELS}. */
  maxPixels?: number;
}

/**
 * libjpeg-turbo decoder. One TurboJPEG handle and one set of output planes live as long as the
 * decoder; planes are reallocated only when the frame size or subsampling changes (see
 * {@linkcode TurboDecoder.allocations}). The image a decode resolves to is valid until the next
 * decode call.
 */
export class TurboDecoder implements JpegDecoder {
  /** Always "turbo". */
  readonly name = "turbo" as const;
  #lib: TurboJpegLibrary;
  #handle: Deno.PointerObject | null;
  #maxPixels: number;
  #busy = false;
  #closeRequested = false;
  // Input is copied so the caller may reuse its buffer while the worker thread decodes.
  #input = new Uint8Array(new ArrayBuffer(64 * 1024));
  #planes: Uint8Array[] = [];
  #planePointers = new BigUint64Array(3);
  #strides = new Int32Array(3);
  #width = new Int32Array(1);
  #height = new Int32Array(1);
  #subsamp = new Int32Array(1);
  #colorspace = new Int32Array(1);
  #image: YuvImage | null = null;
  #allocations = 0;

  private constructor(lib: TurboJpegLibrary, handle: Deno.PointerObject, maxPixels: number) {
    this.#lib = lib;
    this.#handle = handle;
    this.#maxPixels = maxPixels;
  }

  /**
   * Loads libturbojpeg (once: {@linkcode TURBOJPEG_LIBRARY} keeps it, reading the override in
   * {@linkcode TURBOJPEG_LIB_ENV} on every call) and creates a decompressor.
   *
   * @throws {UserError} when libjpeg-turbo is not installed, naming the install command; its
   * `cause` keeps each candidate's error (lib/ffi/native_library.ts).
   */
  static open(options: TurboDecoderOptions = {}): TurboDecoder {
    const lib = TURBOJPEG_LIBRARY.open().library;
    const handle = lib.symbols.tjInitDecompress();
    if (handle === null) {
      throw new Error("Cannot start libjpeg-turbo: tjInitDecompress failed. Check free memory.");
    }
    return new TurboDecoder(lib, handle, options.maxPixels ?? DEFAULT_MAX_PIXELS);
  }

  /** How many times output planes were allocated: grows only on size/subsampling changes. */
  get allocations(): number {
    return this.#allocations;
  }

  /**
   * Decodes `jpeg` into the decoder's planes; `jpeg` may be reused as soon as this returns.
   *
   * @throws {Error} "Cannot decode JPEG: …" (as a rejection) for corrupt or unsupported input,
   * when called while another decode runs, or after close.
   */
  decode(jpeg: Uint8Array): Promise<YuvImage> {
    return this.#withHeader(jpeg, async (handle, input, width, height, subsampCode) => {
      const subsampling = SUBSAMPLING[subsampCode];
      if (subsampling === undefined) {
        const label = UNSUPPORTED_SUBSAMPLING[subsampCode] ?? `code ${subsampCode}`;
        throw new Error(
          `Cannot decode JPEG: ${label} chroma subsampling is not supported by the turbo ` +
            "decoder. Use the wasm decoder.",
        );
      }
      const image = this.#ensurePlanes(width, height, subsampling);
      const rc = await this.#lib.symbols.tjDecompressToYUVPlanes(
        handle,
        input,
        BigInt(jpeg.length),
        this.#planePointers,
        width,
        this.#strides,
        height,
        TJFLAG_STOPONWARNING | TJFLAG_FASTDCT,
      );
      if (rc !== 0) throw new Error(`Cannot decode JPEG: ${this.#decodeErrorText(handle)}`);
      return image;
    });
  }

  /**
   * Decodes `jpeg` into XRGB8888 pixels where `target` says (see
   * {@linkcode JpegDecoder.decodeXrgb}); every subsampling libjpeg-turbo reads is accepted, since
   * libjpeg-turbo upsamples as it converts.
   *
   * @throws {Error} "Cannot decode JPEG: …" (as a rejection), as {@linkcode TurboDecoder.decode}.
   */
  decodeXrgb(
    jpeg: Uint8Array,
    target: (width: number, height: number) => XrgbTarget,
  ): Promise<{ width: number; height: number }> {
    return this.#withHeader(jpeg, async (handle, input, width, height) => {
      const { pointer, pitchBytes } = target(width, height);
      if (pitchBytes < width * 4) {
        throw new Error(`Cannot decode JPEG: rows of ${pitchBytes} bytes cannot hold ${width} px.`);
      }
      const rc = await this.#lib.symbols.tjDecompress2(
        handle,
        input,
        BigInt(jpeg.length),
        pointer,
        width,
        pitchBytes,
        height,
        TJPF_BGRX,
        TJFLAG_STOPONWARNING | TJFLAG_FASTDCT | TJFLAG_FASTUPSAMPLE,
      );
      if (rc !== 0) throw new Error(`Cannot decode JPEG: ${this.#decodeErrorText(handle)}`);
      return { width, height };
    });
  }

  /**
   * The steps every decode shares: state checks, the input copy, the header read and the size
   * limit; then `body`, with the handle renewed after any failure.
   */
  async #withHeader<T>(
    jpeg: Uint8Array,
    body: (
      handle: Deno.PointerObject,
      input: Uint8Array,
      width: number,
      height: number,
      subsampCode: number,
    ) => Promise<T>,
  ): Promise<T> {
    if (this.#handle === null || this.#closeRequested) {
      throw new Error("Cannot decode JPEG: the decoder is closed.");
    }
    if (this.#busy) {
      throw new Error("Cannot decode JPEG: a decode is still running. Await it first.");
    }
    if (jpeg.length === 0) throw new Error("Cannot decode JPEG: the buffer is empty.");
    const handle = this.#handle;
    this.#busy = true;
    try {
      const input = this.#copyInput(jpeg);
      const headerRc = this.#lib.symbols.tjDecompressHeader3(
        handle,
        input,
        BigInt(jpeg.length),
        this.#width,
        this.#height,
        this.#subsamp,
        this.#colorspace,
      );
      if (headerRc !== 0) throw new Error(`Cannot decode JPEG: ${this.#errorText(handle)}`);
      const width = this.#width[0], height = this.#height[0];
      if (width < 1 || height < 1 || width * height > this.#maxPixels) {
        throw new Error(
          `Cannot decode JPEG: ${width}x${height} exceeds the limit of ${this.#maxPixels} pixels.`,
        );
      }
      return await body(handle, input, width, height, this.#subsamp[0]);
    } catch (error) {
      // libjpeg-turbo 2.1 can leave a handle unusable after a failed header read: every later
      // frame then fails with the same message. A fresh handle costs microseconds.
      this.#renewHandle();
      throw error;
    } finally {
      this.#busy = false;
      if (this.#closeRequested) this.#destroy();
    }
  }

  /** Frees the TurboJPEG handle (after a running decode finishes). Safe to call twice. */
  close(): void {
    this.#closeRequested = true;
    if (!this.#busy) this.#destroy();
  }

  #renewHandle(): void {
    if (this.#handle === null) return;
    this.#lib.symbols.tjDestroy(this.#handle);
    this.#handle = this.#lib.symbols.tjInitDecompress();
  }

  #destroy(): void {
    if (this.#handle === null) return;
    this.#lib.symbols.tjDestroy(this.#handle);
    this.#handle = null;
  }

  #errorText(handle: Deno.PointerObject): string {
    const ptr = this.#lib.symbols.tjGetErrorStr2(handle);
    const text = ptr === null ? "" : Deno.UnsafePointerView.getCString(ptr);
    return text || "libjpeg-turbo gave no reason";
  }

  /**
   * libjpeg-turbo keeps the text of errors raised while decompressing in thread-local storage, and
   * the non-blocking call ran on a worker thread: the main thread would read "No error" or the
   * text of an older error. The per-handle error code is reliable, so the message comes from it.
   */
  #decodeErrorText(handle: Deno.PointerObject): string {
    return this.#lib.symbols.tjGetErrorCode(handle) === TJERR_WARNING
      ? "the data is corrupt or truncated"
      : "the data is not a decodable baseline or progressive JPEG";
  }

  #copyInput(jpeg: Uint8Array): Uint8Array {
    if (this.#input.length < jpeg.length) {
      let size = this.#input.length;
      while (size < jpeg.length) size *= 2;
      this.#input = new Uint8Array(new ArrayBuffer(size));
    }
    this.#input.set(jpeg);
    return this.#input;
  }

  #ensurePlanes(width: number, height: number, subsampling: Subsampling): YuvImage {
    const image = this.#image;
    if (
      image && image.width === width && image.height === height &&
      image.subsampling === subsampling
    ) {
      return image;
    }
    const count = subsampling === "gray" ? 1 : 3;
    const sizes: number[] = [];
    for (let p = 0; p < count; p++) {
      sizes.push(planeWidth(p, width, subsampling) * planeHeight(p, height, subsampling));
    }
    // One ArrayBuffer for all planes: its memory is outside the V8 heap and never moves, which
    // matters because the worker thread writes through these pointers while JS keeps running.
    const buffer = new ArrayBuffer(Math.max(256, sizes.reduce((a, b) => a + b, 0)));
    this.#planes = [];
    this.#planePointers.fill(0n);
    let offset = 0;
    for (let p = 0; p < count; p++) {
      const plane = new Uint8Array(buffer, offset, sizes[p]);
      this.#planes.push(plane);
      this.#planePointers[p] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(plane)));
      this.#strides[p] = planeWidth(p, width, subsampling);
      offset += sizes[p];
    }
    this.#allocations++;
    this.#image = {
      width,
      height,
      subsampling,
      planes: this.#planes,
      strides: Array.from(this.#strides.subarray(0, count)),
    };
    return this.#image;
  }
}
