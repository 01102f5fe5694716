/**
 * MJPEG over HTTP: the `multipart/x-mixed-replace` framing that browsers show in an `<img>` and that
 * ffmpeg (ffplay) and VLC read, plus a bounded streaming reader for it.
 *
 * The stream is `--B CRLF` once, then for each frame its headers, a blank line, the JPEG, and
 * `CRLF --B CRLF`. Ending every part with the next boundary (RFC 2046 5.1.1: the CRLF before
 * `--B` belongs to the delimiter) matters: a browser shows a part only once it sees the delimiter
 * after it, so a part sent with a leading boundary would be shown one frame late.
 *
 * @module
 */

/** The boundary udpcam uses; it cannot occur in a JPEG's headers and parts carry Content-Length. */
export const MJPEG_BOUNDARY = "udpcam-frame";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The response Content-Type for a stream with `boundary`. */
export function mjpegContentType(boundary: string = MJPEG_BOUNDARY): string {
  return `multipart/x-mixed-replace; boundary=${boundary}`;
}

/** The bytes a stream starts with, before its first part. */
export function mjpegPreamble(boundary: string = MJPEG_BOUNDARY): Uint8Array {
  return encoder.encode(`--${boundary}\r\n`);
}

/**
 * One part: Content-Type, Content-Length, `extraHeaders` (names and values must be single-line
 * ASCII tokens), the JPEG bytes unchanged, and the delimiter that ends the part.
 */
export function mjpegPart(
  jpeg: Uint8Array,
  extraHeaders: Record<string, string> = {},
  boundary: string = MJPEG_BOUNDARY,
): Uint8Array<ArrayBuffer> {
  let head = `Content-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n`;
  for (const [name, value] of Object.entries(extraHeaders)) {
    if (!/^[A-Za-z0-9-]+$/.test(name) || !/^[\x20-\x7e]*$/.test(value)) {
      throw new RangeError(
        `Cannot write the MJPEG part header "${name}": not a plain ASCII header`,
      );
    }
    head += `${name}: ${value}\r\n`;
  }
  const headBytes = encoder.encode(`${head}\r\n`);
  const tailBytes = encoder.encode(`\r\n--${boundary}\r\n`);
  const part = new Uint8Array(headBytes.length + jpeg.length + tailBytes.length);
  part.set(headBytes, 0);
  part.set(jpeg, headBytes.length);
  part.set(tailBytes, headBytes.length + jpeg.length);
  return part;
}

/** A part read back: its headers (names lower-cased) and body. */
export interface MjpegPartRead {
  /** Header values by lower-case name. */
  headers: Record<string, string>;
  /** The part's body (a copy). */
  body: Uint8Array;
}

/** Limits of {@linkcode MjpegReader}. */
export interface MjpegReaderLimits {
  /** Largest part body accepted; default 16 MiB. */
  maxPartBytes?: number;
  /** Largest header block (boundary line and headers) accepted; default 8 KiB. */
  maxHeaderBytes?: number;
}

type ReaderState = "boundary" | "headers" | "body";

/**
 * Reads a `multipart/x-mixed-replace` stream of parts that carry Content-Length, in chunks of any
 * size. It accepts a boundary before or after each part and blank lines between parts. Buffering
 * is capped by the limits: a longer part or header block throws.
 */
export class MjpegReader {
  readonly #delimiter: string;
  readonly #maxPartBytes: number;
  readonly #maxHeaderBytes: number;
  #buffer = new Uint8Array(0);
  #state: ReaderState = "boundary";
  #headers: Record<string, string> = {};
  #headerBytes = 0;
  #bodyBytes = 0;

  /**
   * Makes a reader of parts between `boundary` lines, each within `limits`.
   *
   * @param boundary The boundary from the response's Content-Type.
   * @param limits Caps on a part's header and body bytes (defaults 8 KiB and 16 MiB).
   */
  constructor(boundary: string = MJPEG_BOUNDARY, limits: MjpegReaderLimits = {}) {
    this.#delimiter = `--${boundary}`;
    this.#maxPartBytes = limits.maxPartBytes ?? 16 * 1024 * 1024;
    this.#maxHeaderBytes = limits.maxHeaderBytes ?? 8 * 1024;
  }

  /** Bytes held that do not yet form a whole part. */
  get bufferedBytes(): number {
    return this.#buffer.length;
  }

  /**
   * Feeds `chunk`; returns the parts it completes.
   *
   * @throws {Error} on a malformed stream or a part past the limits.
   */
  push(chunk: Uint8Array): MjpegPartRead[] {
    this.#append(chunk);
    const parts: MjpegPartRead[] = [];
    let at = 0;
    for (;;) {
      if (this.#state === "body") {
        if (this.#buffer.length - at < this.#bodyBytes) break;
        parts.push({ headers: this.#headers, body: this.#buffer.slice(at, at + this.#bodyBytes) });
        at += this.#bodyBytes;
        this.#state = "boundary";
        this.#headers = {};
        this.#headerBytes = 0;
        continue;
      }
      const lineEnd = this.#buffer.indexOf(0x0a, at);
      if (lineEnd < 0) {
        if (this.#headerBytes + this.#buffer.length - at > this.#maxHeaderBytes) {
          throw new Error(
            `Cannot read the MJPEG stream: a header line is longer than ${this.#maxHeaderBytes} bytes`,
          );
        }
        break;
      }
      this.#headerBytes += lineEnd + 1 - at;
      if (this.#headerBytes > this.#maxHeaderBytes) {
        throw new Error(
          `Cannot read the MJPEG stream: a part's headers exceed ${this.#maxHeaderBytes} bytes`,
        );
      }
      const line = decoder.decode(this.#buffer.subarray(at, lineEnd)).replace(/\r$/, "");
      at = lineEnd + 1;
      this.#line(line);
    }
    this.#buffer = this.#buffer.slice(at);
    return parts;
  }

  #line(line: string): void {
    if (this.#state === "boundary") {
      if (line === "") return;
      if (line === this.#delimiter) {
        this.#state = "headers";
        return;
      }
      if (line === `${this.#delimiter}--`) return;
      throw new Error(
        `Cannot read the MJPEG stream: expected the boundary "${this.#delimiter}", got "${
          line.slice(0, 80)
        }"`,
      );
    }
    if (line === "") {
      const length = this.#headers["content-length"];
      if (length === undefined || !/^\d+$/.test(length)) {
        throw new Error("Cannot read the MJPEG stream: a part has no valid Content-Length");
      }
      this.#bodyBytes = Number(length);
      if (this.#bodyBytes > this.#maxPartBytes) {
        throw new Error(
          `Cannot read the MJPEG stream: a part of ${this.#bodyBytes} bytes exceeds the limit of ${this.#maxPartBytes}`,
        );
      }
      this.#state = "body";
      return;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      throw new Error(`Cannot read the MJPEG stream: bad part header "${line.slice(0, 80)}"`);
    }
    this.#headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }

  #append(chunk: Uint8Array): void {
    if (this.#buffer.length === 0) {
      this.#buffer = chunk.slice();
      return;
    }
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer, 0);
    joined.set(chunk, this.#buffer.length);
    this.#buffer = joined;
  }
}
