/**
 * Re-encoding JPEG frames with the system's libjpeg-turbo through FFI: a frame is decoded to YUV
 * planes at the asked size and compressed again at the asked quality, so the sender can make a
 * frame smaller without restarting ffmpeg (the picture stage, lib/send/picture_stage.ts).
 *
 * Why this path: decoding to planes and compressing from planes skips libjpeg's colour conversion
 * and chroma resampling both ways, the costliest steps after the DCTs, and keeps the colours
 * exactly as they were. The size comes for free from libjpeg-turbo's scaled inverse DCT, which
 * decodes at n/8 of the width and height (n = 1..8) straight from the coefficients, cheaper than
 * decoding at full size and scaling.
 *
 * Output is always what RTP/JPEG (RFC 2435) and every baseline decoder carry: baseline, one scan,
 * 4:2:0, the standard Huffman tables (ITU T.81 Annex K.3). A webcam's own MJPEG is 4:2:2: after
 * decoding, each pair of chroma rows is averaged into one, in place, four samples per 32-bit
 * operation, since this part runs on the JS thread. 4:4:4 and greyscale frames (rare) go through
 * lib/image's I420Converter. Every output is checked against that before it is returned, since
 * libjpeg-turbo reads environment variables (TJ_OPTIMIZE, TJ_PROGRESSIVE, TJ_ARITHMETIC) that
 * would change it.
 *
 * Both calls are non-blocking: they run on a Deno worker thread while the event loop keeps
 * sending. The handles, the planes and the output buffer live as long as the transcoder and are
 * reallocated only when the frame size grows or changes; a frame above the pixel limit is refused
 * before anything is allocated. A frame that cannot be transcoded (corrupt, truncated, an
 * unsupported layout) rejects with a {@linkcode TranscodeError} and is counted by reason in
 * {@linkcode TurboTranscoder.counters}; the transcoder keeps working.
 *
 * @module
 */

import { parseJpeg, scanJpegHeader, STANDARD_DHT_SEGMENT } from "../jpeg/mod.ts";
import {
  I420Converter,
  planeHeight,
  planeWidth,
  type Subsampling,
  type YuvImage,
} from "../image/mod.ts";
import { zeroCounts } from "../stats/mod.ts";

// The image types halve422InPlace names, for its documentation.
export type { Subsampling, YuvImage };
import { DEFAULT_MAX_PIXELS, TURBOJPEG_LIBRARY } from "./turbo_decoder.ts";
import {
  TJERR_WARNING,
  TJFLAG_FASTDCT,
  TJFLAG_NOREALLOC,
  TJFLAG_STOPONWARNING,
  TJSAMP_420,
  TJSAMP_422,
  TJSAMP_444,
  TJSAMP_GRAY,
  type TurboJpegLibrary,
} from "./turbojpeg_ffi.ts";

/** What to make of a frame. */
export interface TranscodeOptions {
  /** JPEG quality 1..100 (libjpeg's scale: 50 is the Annex K tables, 100 the finest). */
  quality: number;
  /** Width and height as n/8 of the source's, n = 1..8 (libjpeg-turbo's scaling factors). */
  scaleEighths: number;
}

/** Why a frame was not transcoded. */
export type TranscodeFailure =
  /** An empty buffer. */
  | "empty"
  /** No readable JPEG header (not a JPEG, or damaged before the frame header). */
  | "header"
  /** Wider × taller than the transcoder's pixel limit. */
  | "tooLarge"
  /** A chroma layout the planes cannot hold (4:4:0, 4:1:1, CMYK). */
  | "subsampling"
  /** The scan data is corrupt or truncated. */
  | "decode"
  /** libjpeg-turbo could not compress the planes. */
  | "encode"
  /** The output is not baseline 4:2:0 with the standard tables (a TJ_* environment variable). */
  | "output";

/** Every {@linkcode TranscodeFailure}, in the order counters list them. */
export const TRANSCODE_FAILURES: readonly TranscodeFailure[] = [
  "empty",
  "header",
  "tooLarge",
  "subsampling",
  "decode",
  "encode",
  "output",
];

/** A frame that could not be transcoded; {@linkcode TranscodeError.reason} says why. */
export class TranscodeError extends Error {
  /** Machine-readable cause, counted in {@linkcode TranscoderCounters.failures}. */
  readonly reason: TranscodeFailure;

  /**
   * Makes the error for a refused frame.
   *
   * @param reason Machine-readable cause.
   * @param detail The sentence after "Cannot transcode JPEG: ".
   */
  constructor(reason: TranscodeFailure, detail: string) {
    super(`Cannot transcode JPEG: ${detail}`);
    this.name = "TranscodeError";
    this.reason = reason;
  }
}

/** What a transcoder did since it was opened. */
export interface TranscoderCounters {
  /** Frames transcoded and returned. */
  framesTranscoded: number;
  /** Frames refused, by reason. */
  failures: Record<TranscodeFailure, number>;
}

/** Options for {@linkcode TurboTranscoder.open}. */
export interface TurboTranscoderOptions {
  /** Largest accepted source width × height; default {@linkcode DEFAULT_MAX_PIXELS}. */
  maxPixels?: number;
}

/** A dimension scaled by n/8 as libjpeg-turbo rounds it (TJSCALED: up). */
export function scaledDimension(pixels: number, scaleEighths: number): number {
  return Math.ceil((pixels * scaleEighths) / 8);
}

const SUBSAMPLING: Record<number, Subsampling> = {
  [TJSAMP_444]: "444",
  [TJSAMP_422]: "422",
  [TJSAMP_420]: "420",
  [TJSAMP_GRAY]: "gray",
};

/** The compress symbols, present: they are optional in the table so decoding never needs them. */
interface CompressSymbols {
  tjInitCompress: () => Deno.PointerValue;
  tjCompressFromYUVPlanes: NonNullable<TurboJpegLibrary["symbols"]["tjCompressFromYUVPlanes"]>;
  tjBufSize: (width: number, height: number, subsamp: number) => bigint;
}

function compressSymbolsOf(lib: TurboJpegLibrary): CompressSymbols | null {
  const { tjInitCompress, tjCompressFromYUVPlanes, tjBufSize } = lib.symbols;
  if (tjInitCompress === null || tjCompressFromYUVPlanes === null || tjBufSize === null) {
    return null;
  }
  return { tjInitCompress, tjCompressFromYUVPlanes, tjBufSize };
}

function pointerValue(bytes: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
}

/**
 * libjpeg-turbo re-encoder: one decompress and one compress handle, planes and an output buffer
 * reused from frame to frame (see {@linkcode TurboTranscoder.allocations}). Calls must not
 * overlap: await one before starting the next.
 */
export class TurboTranscoder {
  readonly #lib: TurboJpegLibrary;
  readonly #compress: CompressSymbols;
  #decompressHandle: Deno.PointerObject | null;
  #compressHandle: Deno.PointerObject | null;
  readonly #maxPixels: number;
  #busy = false;
  #closeRequested = false;
  readonly #counters: TranscoderCounters = {
    framesTranscoded: 0,
    failures: zeroCounts(TRANSCODE_FAILURES),
  };
  // Input is copied so the caller may reuse its buffer while the worker thread reads it.
  #input = new Uint8Array(new ArrayBuffer(64 * 1024));
  #planes: YuvImage | null = null;
  readonly #planePointers = new BigUint64Array(3);
  readonly #planeStrides = new Int32Array(3);
  readonly #i420 = new I420Converter();
  readonly #sourcePointers = new BigUint64Array(3);
  readonly #sourceStrides = new Int32Array(3);
  #output = new Uint8Array(new ArrayBuffer(0));
  readonly #outputPointer = new BigUint64Array(1);
  readonly #outputSize = new BigUint64Array(1);
  readonly #width = new Int32Array(1);
  readonly #height = new Int32Array(1);
  readonly #subsamp = new Int32Array(1);
  readonly #colorspace = new Int32Array(1);
  #allocations = 0;

  private constructor(
    lib: TurboJpegLibrary,
    compress: CompressSymbols,
    decompressHandle: Deno.PointerObject,
    compressHandle: Deno.PointerObject,
    maxPixels: number,
  ) {
    this.#lib = lib;
    this.#compress = compress;
    this.#decompressHandle = decompressHandle;
    this.#compressHandle = compressHandle;
    this.#maxPixels = maxPixels;
  }

  /**
   * Loads libturbojpeg through the one loader ({@linkcode TURBOJPEG_LIBRARY}) and creates both
   * handles.
   *
   * @throws {UserError} when libjpeg-turbo is not installed, naming the install command.
   * @throws {Error} when the library lacks the compress functions (older than 1.4) or a handle
   * cannot be created.
   */
  static open(options: TurboTranscoderOptions = {}): TurboTranscoder {
    const { library: lib, path } = TURBOJPEG_LIBRARY.open();
    const compress = compressSymbolsOf(lib);
    if (compress === null) {
      throw new Error(
        `Cannot re-encode frames: ${path} has no tjCompressFromYUVPlanes (libjpeg-turbo older ` +
          "than 1.4). Install libjpeg-turbo 2.x.",
      );
    }
    const decompressHandle = lib.symbols.tjInitDecompress();
    const compressHandle = compress.tjInitCompress();
    if (decompressHandle === null || compressHandle === null) {
      if (decompressHandle !== null) lib.symbols.tjDestroy(decompressHandle);
      if (compressHandle !== null) lib.symbols.tjDestroy(compressHandle);
      throw new Error("Cannot start libjpeg-turbo: tjInit failed. Check free memory.");
    }
    return new TurboTranscoder(
      lib,
      compress,
      decompressHandle,
      compressHandle,
      options.maxPixels ?? DEFAULT_MAX_PIXELS,
    );
  }

  /** Frames transcoded and refused so far (a live view). */
  get counters(): Readonly<TranscoderCounters> {
    return this.#counters;
  }

  /** How many times planes or the output buffer were allocated: grows only on size changes. */
  get allocations(): number {
    return this.#allocations;
  }

  /**
   * Decodes `jpeg` at `scaleEighths`/8 of its size and compresses it at `quality`. Resolves to a
   * new baseline 4:2:0 JPEG with the standard Huffman tables, its own copy; `jpeg` may be reused
   * as soon as this returns.
   *
   * @throws {TranscodeError} (as a rejection) for a frame that cannot be transcoded, counted.
   * @throws {RangeError} (as a rejection) for a quality or scale out of range.
   * @throws {Error} (as a rejection) when called while another transcode runs, or after close.
   */
  async transcode(jpeg: Uint8Array, options: TranscodeOptions): Promise<Uint8Array> {
    const { quality, scaleEighths } = options;
    if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
      throw new RangeError(`Cannot transcode JPEG: quality ${quality} is not a whole 1..100.`);
    }
    if (!Number.isInteger(scaleEighths) || scaleEighths < 1 || scaleEighths > 8) {
      throw new RangeError(
        `Cannot transcode JPEG: scale ${scaleEighths}/8 is not one of 1/8..8/8.`,
      );
    }
    if (this.#decompressHandle === null || this.#closeRequested) {
      throw new Error("Cannot transcode JPEG: the transcoder is closed.");
    }
    if (this.#busy) {
      throw new Error("Cannot transcode JPEG: a transcode is still running. Await it first.");
    }
    this.#busy = true;
    try {
      const output = await this.#run(jpeg, quality, scaleEighths);
      this.#counters.framesTranscoded++;
      return output;
    } catch (error) {
      if (error instanceof TranscodeError) this.#counters.failures[error.reason]++;
      // libjpeg-turbo 2.1 can leave a handle unusable after a failure: every later frame would
      // then fail the same way. Fresh handles cost microseconds.
      this.#renewHandles();
      throw error;
    } finally {
      this.#busy = false;
      if (this.#closeRequested) this.#destroy();
    }
  }

  async #run(jpeg: Uint8Array, quality: number, scaleEighths: number): Promise<Uint8Array> {
    if (jpeg.length === 0) throw new TranscodeError("empty", "the buffer is empty.");
    const decompressHandle = this.#decompressHandle!;
    const inputBytes = this.#copyInput(jpeg);
    const input = this.#input;
    // A header too short to name a size leaves the outputs as they were: never read stale ones.
    this.#width[0] = this.#height[0] = 0;
    this.#subsamp[0] = -1;
    const headerRc = this.#lib.symbols.tjDecompressHeader3(
      decompressHandle,
      input,
      BigInt(inputBytes),
      this.#width,
      this.#height,
      this.#subsamp,
      this.#colorspace,
    );
    if (headerRc !== 0) {
      throw new TranscodeError("header", `${this.#errorText(decompressHandle)}.`);
    }
    const sourceWidth = this.#width[0], sourceHeight = this.#height[0];
    if (sourceWidth < 1 || sourceHeight < 1) {
      throw new TranscodeError("header", "the header declares no picture size.");
    }
    if (sourceWidth * sourceHeight > this.#maxPixels) {
      throw new TranscodeError(
        "tooLarge",
        `${sourceWidth}x${sourceHeight} exceeds the limit of ${this.#maxPixels} pixels.`,
      );
    }
    const subsampling = SUBSAMPLING[this.#subsamp[0]];
    if (subsampling === undefined) {
      throw new TranscodeError(
        "subsampling",
        `its chroma layout (TurboJPEG code ${this.#subsamp[0]}) has no YUV planes; only 4:2:0, ` +
          "4:2:2, 4:4:4 and greyscale frames are re-encoded.",
      );
    }
    const width = scaledDimension(sourceWidth, scaleEighths);
    const height = scaledDimension(sourceHeight, scaleEighths);
    const planes = this.#ensurePlanes(width, height, subsampling);
    const decodeRc = await this.#lib.symbols.tjDecompressToYUVPlanes(
      decompressHandle,
      input,
      BigInt(inputBytes),
      this.#planePointers,
      width,
      this.#planeStrides,
      height,
      TJFLAG_STOPONWARNING | TJFLAG_FASTDCT,
    );
    if (decodeRc !== 0) throw new TranscodeError("decode", `${this.#decodeErrorText()}.`);
    const source = planes.subsampling === "422"
      ? halve422InPlace(planes)
      : this.#i420.convert(planes);
    for (let p = 0; p < 3; p++) {
      this.#sourcePointers[p] = pointerValue(source.planes[p]);
      this.#sourceStrides[p] = source.strides[p];
    }
    this.#ensureOutput(width, height);
    this.#outputSize[0] = 0n;
    const encodeRc = await this.#compress.tjCompressFromYUVPlanes(
      this.#compressHandle,
      this.#sourcePointers,
      width,
      this.#sourceStrides,
      height,
      TJSAMP_420,
      this.#outputPointer,
      this.#outputSize,
      quality,
      TJFLAG_NOREALLOC | TJFLAG_FASTDCT,
    );
    const size = Number(this.#outputSize[0]);
    if (encodeRc !== 0 || size < 1 || size > this.#output.length) {
      throw new TranscodeError("encode", "libjpeg-turbo could not compress the decoded planes.");
    }
    const output = this.#output.slice(0, size);
    checkOutput(output, width, height);
    return output;
  }

  /** Frees both handles (after a running transcode finishes). Safe to call twice. */
  close(): void {
    this.#closeRequested = true;
    if (!this.#busy) this.#destroy();
  }

  #renewHandles(): void {
    if (this.#decompressHandle === null) return;
    this.#lib.symbols.tjDestroy(this.#decompressHandle);
    this.#decompressHandle = this.#lib.symbols.tjInitDecompress();
    if (this.#compressHandle !== null) this.#lib.symbols.tjDestroy(this.#compressHandle);
    this.#compressHandle = this.#compress.tjInitCompress();
    if (this.#decompressHandle === null || this.#compressHandle === null) this.#destroy();
  }

  #destroy(): void {
    if (this.#decompressHandle !== null) this.#lib.symbols.tjDestroy(this.#decompressHandle);
    if (this.#compressHandle !== null) this.#lib.symbols.tjDestroy(this.#compressHandle);
    this.#decompressHandle = null;
    this.#compressHandle = null;
  }

  #errorText(handle: Deno.PointerObject): string {
    const ptr = this.#lib.symbols.tjGetErrorStr2(handle);
    const text = ptr === null ? "" : Deno.UnsafePointerView.getCString(ptr);
    return text || "libjpeg-turbo gave no reason";
  }

  /**
   * The non-blocking decode ran on a worker thread, where libjpeg-turbo keeps its error text
   * (thread-local): the per-handle error code is what the main thread can read reliably.
   */
  #decodeErrorText(): string {
    const handle = this.#decompressHandle!;
    return this.#lib.symbols.tjGetErrorCode(handle) === TJERR_WARNING
      ? "the data is corrupt or truncated"
      : "the data is not a decodable baseline or progressive JPEG";
  }

  /**
   * Copies `jpeg` into the input buffer and returns its length there. A frame without Huffman
   * tables (webcam MJPEG) gets the standard ones inserted before its scan: libjpeg keeps the
   * tables of the previous frame in its handle and would decode such a frame with those.
   */
  #copyInput(jpeg: Uint8Array): number {
    const { sosOffset, hasDht } = scanJpegHeader(jpeg);
    const insert = !hasDht && sosOffset >= 0 ? STANDARD_DHT_SEGMENT : null;
    const length = jpeg.length + (insert?.length ?? 0);
    if (this.#input.length < length) {
      let size = this.#input.length;
      while (size < length) size *= 2;
      this.#input = new Uint8Array(new ArrayBuffer(size));
    }
    if (insert === null) {
      this.#input.set(jpeg);
    } else {
      this.#input.set(jpeg.subarray(0, sosOffset));
      this.#input.set(insert, sosOffset);
      this.#input.set(jpeg.subarray(sosOffset), sosOffset + insert.length);
    }
    return length;
  }

  #ensurePlanes(width: number, height: number, subsampling: Subsampling): YuvImage {
    const known = this.#planes;
    if (
      known && known.width === width && known.height === height &&
      known.subsampling === subsampling
    ) {
      return known;
    }
    const count = subsampling === "gray" ? 1 : 3;
    const sizes: number[] = [];
    for (let p = 0; p < count; p++) {
      sizes.push(planeWidth(p, width, subsampling) * planeHeight(p, height, subsampling));
    }
    // One ArrayBuffer for all planes: its memory is outside the V8 heap and never moves while the
    // worker thread writes through these pointers.
    // Planes start at multiples of 4 so chroma can be halved in 32-bit words.
    const total = sizes.reduce((sum, size) => sum + align4(size), 0);
    const buffer = new ArrayBuffer(Math.max(256, total));
    const planes: Uint8Array[] = [];
    this.#planePointers.fill(0n);
    let offset = 0;
    for (let p = 0; p < count; p++) {
      const plane = new Uint8Array(buffer, offset, sizes[p]);
      planes.push(plane);
      this.#planePointers[p] = pointerValue(plane);
      this.#planeStrides[p] = planeWidth(p, width, subsampling);
      offset += align4(sizes[p]);
    }
    this.#allocations++;
    this.#planes = {
      width,
      height,
      subsampling,
      planes,
      strides: Array.from(this.#planeStrides.subarray(0, count)),
    };
    return this.#planes;
  }

  #ensureOutput(width: number, height: number): void {
    const needed = Number(this.#compress.tjBufSize(width, height, TJSAMP_420));
    if (this.#output.length >= needed) return;
    this.#output = new Uint8Array(new ArrayBuffer(needed));
    this.#outputPointer[0] = pointerValue(this.#output);
    this.#allocations++;
  }
}

function align4(bytes: number): number {
  return (bytes + 3) & ~3;
}

/**
 * 4:2:2 planes as 4:2:0, in the same buffers: each chroma plane's rows are averaged in pairs
 * (rounding up; an odd last row pairs with itself, as lib/image's I420Converter does) into its
 * first half. Row r goes where row r was or before, from rows 2r and 2r + 1, so writing in order
 * never overwrites a row still to be read. Luma is used as it is. Returns the 4:2:0 view; `image`
 * no longer holds its 4:2:2 chroma.
 */
export function halve422InPlace(image: YuvImage): YuvImage {
  const { width, height } = image;
  const chromaWidth = image.strides[1];
  for (const plane of [image.planes[1], image.planes[2]]) {
    halveRowsInPlace(plane, chromaWidth, height);
  }
  return {
    width,
    height,
    subsampling: "420",
    planes: image.planes,
    strides: [image.strides[0], chromaWidth, chromaWidth],
  };
}

function halveRowsInPlace(plane: Uint8Array, width: number, rows: number): void {
  const outRows = Math.ceil(rows / 2);
  if (width % 4 === 0 && plane.byteOffset % 4 === 0) {
    // Four samples at a time: per byte, (a | b) − ((a ^ b) >> 1) is ⌈(a + b) / 2⌉, and the mask
    // keeps each byte's shifted bit from entering its neighbour.
    const words = new Uint32Array(plane.buffer, plane.byteOffset, (width * rows) / 4);
    const perRow = width / 4;
    for (let row = 0; row < outRows; row++) {
      const a = 2 * row * perRow;
      const b = (2 * row + 1 < rows ? 2 * row + 1 : 2 * row) * perRow;
      const o = row * perRow;
      for (let i = 0; i < perRow; i++) {
        const x = words[a + i], y = words[b + i];
        words[o + i] = (x | y) - (((x ^ y) & 0xfefefefe) >>> 1);
      }
    }
    return;
  }
  for (let row = 0; row < outRows; row++) {
    const a = 2 * row * width;
    const b = (2 * row + 1 < rows ? 2 * row + 1 : 2 * row) * width;
    const o = row * width;
    for (let i = 0; i < width; i++) plane[o + i] = (plane[a + i] + plane[b + i] + 1) >> 1;
  }
}

/**
 * Why `jpeg` is not a plain baseline frame of `width` × `height` (one scan, 4:2:0, the standard
 * Huffman tables with luma on tables 0/0 and chroma on 1/1), or null when it is: what every
 * {@linkcode TurboTranscoder.transcode} output is checked against.
 */
export function plainBaselineProblem(
  jpeg: Uint8Array,
  width: number,
  height: number,
): string | null {
  const parsed = parseJpeg(jpeg);
  if (!parsed.ok) return `it does not parse (${parsed.reason})`;
  const info = parsed.info;
  if (info.frameMarker !== 0xc0 || info.sampleBits !== 8) return "it is not baseline";
  if (info.scanCount !== 1) return `it has ${info.scanCount} scans`;
  if (!info.standardHuffmanTables) return "its Huffman tables are not the standard ones";
  if (info.width !== width || info.height !== height) {
    return `it is ${info.width}x${info.height}, not ${width}x${height}`;
  }
  const [luma, cb, cr] = info.components;
  const standard = info.components.length === 3 && luma.horizontalSampling === 2 &&
    luma.verticalSampling === 2 && luma.dcTableId === 0 && luma.acTableId === 0 &&
    [cb, cr].every((c) =>
      c.horizontalSampling === 1 && c.verticalSampling === 1 && c.dcTableId === 1 &&
      c.acTableId === 1
    );
  return standard ? null : "it is not 4:2:0 with luma tables 0/0 and chroma tables 1/1";
}

/** Refuses an output that is not what the module promises. */
function checkOutput(jpeg: Uint8Array, width: number, height: number): void {
  const problem = plainBaselineProblem(jpeg, width, height);
  if (problem !== null) {
    throw new TranscodeError(
      "output",
      `libjpeg-turbo's output is not plain baseline: ${problem}. Unset TJ_OPTIMIZE, ` +
        "TJ_PROGRESSIVE and TJ_ARITHMETIC in the environment.",
    );
  }
}
