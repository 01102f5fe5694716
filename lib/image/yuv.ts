/**
 * Planar YUV images as JPEG decoders produce them, and conversion to the one layout the display
 * takes: 8-bit planar 4:2:0 (I420, SDL's IYUV), full-range BT.601 as in JFIF.
 *
 * Everything here is pure: no I/O, and conversions write into buffers owned by an
 * {@linkcode I420Converter} so a stream of frames does not allocate per frame.
 *
 * @module
 */

/** Chroma layout of a {@linkcode YuvImage}; "gray" has a luma plane only. */
export type Subsampling = "420" | "422" | "444" | "gray";

/**
 * An 8-bit planar YUV image (JFIF: full-range BT.601).
 *
 * `planes` holds Y, U (Cb), V (Cr) in that order; a "gray" image holds only Y. Plane `i` has
 * `strides[i]` bytes per row and at least {@linkcode planeHeight} rows; the meaningful width of a
 * row is {@linkcode planeWidth}.
 */
export interface YuvImage {
  /** Luma width in pixels. */
  readonly width: number;
  /** Luma height in pixels. */
  readonly height: number;
  /** Chroma layout. */
  readonly subsampling: Subsampling;
  /** Y, U, V planes (only Y for "gray"). */
  readonly planes: readonly Uint8Array[];
  /** Bytes per row of each plane, same order as `planes`. */
  readonly strides: readonly number[];
}

/** Width in pixels of plane `plane` (0 = Y, 1 = U, 2 = V); 0 for chroma of "gray". */
export function planeWidth(plane: number, width: number, subsampling: Subsampling): number {
  if (plane === 0) return width;
  if (subsampling === "gray") return 0;
  return subsampling === "444" ? width : Math.ceil(width / 2);
}

/** Height in rows of plane `plane` (0 = Y, 1 = U, 2 = V); 0 for chroma of "gray". */
export function planeHeight(plane: number, height: number, subsampling: Subsampling): number {
  if (plane === 0) return height;
  if (subsampling === "gray") return 0;
  return subsampling === "420" ? Math.ceil(height / 2) : height;
}

/**
 * Checks that an image's planes are large enough for its dimensions, so that consumers (the
 * renderer copies through raw pointers) never read past a buffer.
 *
 * @throws {RangeError} naming the first plane that is too small.
 */
export function assertValidYuvImage(image: YuvImage): void {
  const { width, height, subsampling } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`Cannot use YUV image: bad size ${width}x${height}.`);
  }
  const planeCount = subsampling === "gray" ? 1 : 3;
  if (image.planes.length < planeCount || image.strides.length < planeCount) {
    throw new RangeError(`Cannot use YUV image: ${subsampling} needs ${planeCount} planes.`);
  }
  for (let p = 0; p < planeCount; p++) {
    const w = planeWidth(p, width, subsampling);
    const h = planeHeight(p, height, subsampling);
    const stride = image.strides[p];
    if (stride < w || image.planes[p].length < stride * (h - 1) + w) {
      throw new RangeError(
        `Cannot use YUV image: plane ${p} holds ${image.planes[p].length} bytes with stride ` +
          `${stride}, too small for ${w}x${h}.`,
      );
    }
  }
}

/**
 * Converts images to I420 (planar 4:2:0) in buffers it owns and reuses.
 *
 * Chroma of 4:2:2 and 4:4:4 is downsampled by averaging (with rounding); greyscale gets neutral
 * chroma (128). RGBA input is converted with the JFIF full-range BT.601 matrix. An image returned by
 * {@linkcode I420Converter.convert} or {@linkcode I420Converter.fromRgba} stays valid until the
 * next call on the same converter; 4:2:0 input is returned as is, without copying.
 */
export class I420Converter {
  #y = new Uint8Array(0);
  #u = new Uint8Array(0);
  #v = new Uint8Array(0);
  #width = 0;
  #height = 0;
  /** True while U/V hold the neutral 128 fill of a greyscale conversion. */
  #chromaNeutral = false;
  #allocations = 0;

  /** How many times the output buffers were (re)allocated; stays flat for a steady stream. */
  get allocations(): number {
    return this.#allocations;
  }

  /** Returns `image` as 4:2:0, converting into reused buffers when needed. */
  convert(image: YuvImage): YuvImage {
    assertValidYuvImage(image);
    if (image.subsampling === "420") return image;
    const { width, height } = image;
    this.#ensure(width, height);
    copyPlane(image.planes[0], image.strides[0], this.#y, width, width, height);
    const cw = Math.ceil(width / 2);
    const ch = Math.ceil(height / 2);
    switch (image.subsampling) {
      case "gray":
        if (!this.#chromaNeutral) {
          this.#u.fill(128);
          this.#v.fill(128);
          this.#chromaNeutral = true;
        }
        break;
      case "422":
        this.#chromaNeutral = false;
        halveRows(image.planes[1], image.strides[1], this.#u, cw, height);
        halveRows(image.planes[2], image.strides[2], this.#v, cw, height);
        break;
      case "444":
        this.#chromaNeutral = false;
        halveBoth(image.planes[1], image.strides[1], this.#u, width, height, cw, ch);
        halveBoth(image.planes[2], image.strides[2], this.#v, width, height, cw, ch);
        break;
    }
    return this.#result(width, height);
  }

  /**
   * Converts packed RGBA (4 bytes per pixel, rows of `width * 4` bytes, alpha ignored) to 4:2:0.
   *
   * @throws {RangeError} when `rgba` is smaller than `width * height * 4`.
   */
  fromRgba(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): YuvImage {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`Cannot convert RGBA: bad size ${width}x${height}.`);
    }
    if (rgba.length < width * height * 4) {
      throw new RangeError(
        `Cannot convert RGBA: ${rgba.length} bytes is too small for ${width}x${height}.`,
      );
    }
    this.#ensure(width, height);
    this.#chromaNeutral = false;
    const y = this.#y, u = this.#u, v = this.#v;
    const cw = Math.ceil(width / 2);
    // Fixed point with 16 fractional bits; coefficients are JFIF (ITU-T T.871) full range.
    for (let row = 0; row < height; row += 2) {
      const row2 = row + 1 < height ? row + 1 : row;
      for (let col = 0; col < width; col += 2) {
        const col2 = col + 1 < width ? col + 1 : col;
        let sumR = 0, sumG = 0, sumB = 0;
        for (let k = 0; k < 4; k++) {
          const r0 = k < 2 ? row : row2;
          const c0 = (k & 1) === 0 ? col : col2;
          const i = (r0 * width + c0) * 4;
          const r = rgba[i], g = rgba[i + 1], b = rgba[i + 2];
          sumR += r;
          sumG += g;
          sumB += b;
          y[r0 * width + c0] = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
        }
        // Sums are of 4 pixels: scale by 1/4 inside the fixed-point shift (>> 18).
        const ci = (row >> 1) * cw + (col >> 1);
        u[ci] = clamp8((-11059 * sumR - 21709 * sumG + 32768 * sumB + 131072) / 262144 + 128);
        v[ci] = clamp8((32768 * sumR - 27439 * sumG - 5329 * sumB + 131072) / 262144 + 128);
      }
    }
    return this.#result(width, height);
  }

  #ensure(width: number, height: number): void {
    if (width === this.#width && height === this.#height) return;
    const cw = Math.ceil(width / 2);
    const ch = Math.ceil(height / 2);
    this.#y = new Uint8Array(width * height);
    this.#u = new Uint8Array(cw * ch);
    this.#v = new Uint8Array(cw * ch);
    this.#width = width;
    this.#height = height;
    this.#chromaNeutral = false;
    this.#allocations++;
  }

  #result(width: number, height: number): YuvImage {
    const cw = Math.ceil(width / 2);
    return {
      width,
      height,
      subsampling: "420",
      planes: [this.#y, this.#u, this.#v],
      strides: [width, cw, cw],
    };
  }
}

function clamp8(value: number): number {
  const n = Math.floor(value);
  return n < 0 ? 0 : n > 255 ? 255 : n;
}

function copyPlane(
  src: Uint8Array,
  srcStride: number,
  dst: Uint8Array,
  dstStride: number,
  width: number,
  height: number,
): void {
  if (srcStride === dstStride) {
    dst.set(src.subarray(0, dstStride * (height - 1) + width));
    return;
  }
  for (let row = 0; row < height; row++) {
    dst.set(src.subarray(row * srcStride, row * srcStride + width), row * dstStride);
  }
}

/** 4:2:2 → 4:2:0: average vertical pairs of rows (the last odd row pairs with itself). */
function halveRows(
  src: Uint8Array,
  srcStride: number,
  dst: Uint8Array,
  width: number,
  height: number,
): void {
  const outRows = Math.ceil(height / 2);
  for (let row = 0; row < outRows; row++) {
    const a = 2 * row * srcStride;
    const b = (2 * row + 1 < height ? 2 * row + 1 : 2 * row) * srcStride;
    const o = row * width;
    for (let col = 0; col < width; col++) dst[o + col] = (src[a + col] + src[b + col] + 1) >> 1;
  }
}

/** 4:4:4 → 4:2:0: average 2x2 blocks (edges of odd sizes repeat the last row/column). */
function halveBoth(
  src: Uint8Array,
  srcStride: number,
  dst: Uint8Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
): void {
  for (let row = 0; row < outHeight; row++) {
    const a = 2 * row * srcStride;
    const b = (2 * row + 1 < height ? 2 * row + 1 : 2 * row) * srcStride;
    const o = row * outWidth;
    for (let col = 0; col < outWidth; col++) {
      const c0 = 2 * col;
      const c1 = c0 + 1 < width ? c0 + 1 : c0;
      dst[o + col] = (src[a + c0] + src[a + c1] + src[b + c0] + src[b + c1] + 2) >> 2;
    }
  }
}
