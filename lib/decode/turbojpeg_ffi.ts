/**
 * The TurboJPEG (libjpeg-turbo 2.x API) functions udpcam calls, as a `Deno.dlopen` symbol table,
 * each with its C prototype from turbojpeg.h, plus the constants they take.
 *
 * `unsigned long` (JPEG sizes) is declared `u64`: it is 64-bit on Linux and macOS, and on 64-bit
 * Windows, where it is 32-bit, the value travels in a 64-bit register or stack slot whose low half
 * the callee reads, which is exact for any JPEG below 4 GiB. An `unsigned long *` is a zeroed
 * 8-byte buffer: a 32-bit callee writes its low half, which a little-endian u64 reads exactly.
 *
 * @module
 */

/** Symbols loaded from libturbojpeg. */
export const TURBOJPEG_SYMBOLS = {
  /** tjhandle tjInitDecompress(void); */
  tjInitDecompress: { parameters: [], result: "pointer" },
  /**
   * int tjDecompressHeader3(tjhandle handle, const unsigned char *jpegBuf,
   *                         unsigned long jpegSize, int *width, int *height, int *jpegSubsamp,
   *                         int *jpegColorspace);
   */
  tjDecompressHeader3: {
    parameters: ["pointer", "buffer", "u64", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  /**
   * int tjDecompressToYUVPlanes(tjhandle handle, const unsigned char *jpegBuf,
   *                             unsigned long jpegSize, unsigned char **dstPlanes, int width,
   *                             int *strides, int height, int flags);
   *
   * Non-blocking: runs on a Deno worker thread and returns a Promise, so decoding a frame never
   * stalls the event loop. Every buffer passed must stay untouched until the Promise settles.
   */
  tjDecompressToYUVPlanes: {
    parameters: ["pointer", "buffer", "u64", "buffer", "i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  /**
   * int tjDecompress2(tjhandle handle, const unsigned char *jpegBuf, unsigned long jpegSize,
   *                   unsigned char *dstBuf, int width, int pitch, int height, int pixelFormat,
   *                   int flags);
   *
   * Decodes to packed pixels, colour conversion included. `dstBuf` is a pointer (not a buffer)
   * because it points into memory SDL owns: a locked texture. Non-blocking, like
   * tjDecompressToYUVPlanes.
   */
  tjDecompress2: {
    parameters: ["pointer", "buffer", "u64", "pointer", "i32", "i32", "i32", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  /** tjhandle tjInitCompress(void); Optional, as every compress symbol: decoding needs none. */
  tjInitCompress: { parameters: [], result: "pointer", optional: true },
  /**
   * int tjCompressFromYUVPlanes(tjhandle handle, const unsigned char **srcPlanes, int width,
   *                             const int *strides, int height, int subsamp,
   *                             unsigned char **jpegBuf, unsigned long *jpegSize, int jpegQual,
   *                             int flags);
   *
   * Non-blocking, like tjDecompressToYUVPlanes. With {@linkcode TJFLAG_NOREALLOC}, `*jpegBuf` is
   * a buffer of at least tjBufSize bytes that the caller owns, and the library never allocates.
   */
  tjCompressFromYUVPlanes: {
    parameters: [
      "pointer",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "i32",
      "i32",
    ],
    result: "i32",
    nonblocking: true,
    optional: true,
  },
  /** unsigned long tjBufSize(int width, int height, int jpegSubsamp); -- worst-case JPEG bytes */
  tjBufSize: { parameters: ["i32", "i32", "i32"], result: "u64", optional: true },
  /** char *tjGetErrorStr2(tjhandle handle); */
  tjGetErrorStr2: { parameters: ["pointer"], result: "pointer" },
  /** int tjGetErrorCode(tjhandle handle); -- TJERR_WARNING (0) or TJERR_FATAL (1) */
  tjGetErrorCode: { parameters: ["pointer"], result: "i32" },
  /** int tjDestroy(tjhandle handle); */
  tjDestroy: { parameters: ["pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened TurboJPEG library. */
export type TurboJpegLibrary = Deno.DynamicLibrary<typeof TURBOJPEG_SYMBOLS>;

/** enum TJSAMP: chroma subsampling reported by tjDecompressHeader3. */
export const TJSAMP_444 = 0;
/** 4:2:2: chroma halved horizontally. */
export const TJSAMP_422 = 1;
/** 4:2:0: chroma halved in both directions. */
export const TJSAMP_420 = 2;
/** Greyscale: luma only. */
export const TJSAMP_GRAY = 3;
/** 4:4:0: chroma halved vertically. */
export const TJSAMP_440 = 4;
/** 4:1:1: chroma quartered horizontally. */
export const TJSAMP_411 = 5;

/** tjGetErrorCode result: the stream is damaged (decoding could go on, but we never use the image). */
export const TJERR_WARNING = 0;

/** enum TJPF: 32-bit pixels whose bytes are B, G, R, unused (SDL's XRGB8888 on little-endian). */
export const TJPF_BGRX = 3;

/**
 * TJFLAG_NOREALLOC: compress into the buffer the caller passed (at least tjBufSize bytes) instead
 * of letting libjpeg-turbo allocate or grow one.
 */
export const TJFLAG_NOREALLOC = 1024;

/**
 * TJFLAG_FASTUPSAMPLE: chroma is upsampled by repeating samples rather than by libjpeg's smoothing
 * filter, as SDL's own YUV conversion and most players do.
 */
export const TJFLAG_FASTUPSAMPLE = 256;
/**
 * TJFLAG_FASTDCT: the fast integer inverse DCT. GStreamer's jpegdec uses the same by default
 * (idct-method=ifast). On the benchmark's 720p and 1080p frames (testsrc2, qscale 8) it differs
 * from the accurate IDCT by at most 2 levels per sample, 0.03-0.07 on average.
 */
export const TJFLAG_FASTDCT = 2048;

/**
 * TJFLAG_STOPONWARNING: abort on the first warning (corrupt data) instead of finishing a damaged
 * image; such a call returns -1 either way, stopping early just wastes less time.
 */
export const TJFLAG_STOPONWARNING = 8192;
