/**
 * Cuts a byte stream of concatenated JPEG images (ffmpeg's `-f mjpeg` output, read in arbitrary
 * chunks) into whole frames, each SOI..EOI inclusive.
 *
 * A naive scan for FFD8/FFD9 is wrong: an EXIF thumbnail inside an APP1 segment is itself a full
 * JPEG with its own SOI and EOI. So the splitter follows the marker structure (ITU-T T.81, B.1):
 *
 * 1. **Seek**: outside a frame, every byte up to the next `FF D8` (SOI) is garbage: it is discarded
 *    and counted (`bytesDiscarded`; each contiguous run of garbage is one `resyncs`).
 * 2. **Segment walk**: after SOI a marker (`FF xx`, optionally preceded by `FF` fill bytes) is
 *    expected. Standalone markers (TEM `FF01`, RSTn `FFD0`–`FFD7`) carry no length; every other
 *    marker is followed by a 2-byte big-endian length that counts itself, and its payload is skipped
 *    in bulk without being looked at, which is what makes thumbnails harmless.
 * 3. **Entropy scan**: after the SOS segment's header comes entropy-coded data, in which a real
 *    marker can only appear as `FF` followed by something other than `00` (byte stuffing). It is
 *    scanned with `indexOf(0xFF)`: `FF00` and RSTn continue the scan, `FF` is a fill byte, EOI
 *    (`FFD9`) ends the frame, and any other marker (DHT, SOS, DNL, ... between the scans of a
 *    progressive JPEG) goes back to the segment walk.
 * 4. **Malformed frames** (a segment length below 2, `FF00` or a non-`FF` byte where a marker is
 *    expected) are abandoned, discarded and counted as one resync, and scanning continues at the
 *    offending byte looking for the next SOI. A new SOI where a marker is expected (also inside
 *    entropy data) abandons the current frame and starts the next one at that SOI, which is how a
 *    frame truncated inside its entropy data (the usual kind) costs only itself.
 *    Known limit: if a frame is cut inside a segment header, the announced segment length may
 *    swallow the start of the following frame (at most 65533 bytes), losing it as well.
 *
 * The parser is a state machine carried across {@linkcode JpegSplitter.push} calls, so any chunking
 * gives the same frames and each byte is examined once (linear time). A frame that begins and ends
 * within one chunk is copied out once with `slice`; a frame spanning chunks is accumulated into a
 * buffer that grows by doubling (first sized from the previous frame, so usually no regrowth) and
 * is handed out as the frame itself, so it too is copied once. The buffer never exceeds
 * `maxFrameBytes`: a frame that would is dropped from memory at once, still parsed to its EOI so
 * the stream stays in sync, and then counted in `framesOversized`.
 *
 * @example
 * ```ts
 * import { JpegSplitter } from "./splitter.ts";
 *
 * const splitter = new JpegSplitter({ maxFrameBytes: 4 * 1024 * 1024 });
 * const frames = splitter.push(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]));
 * if (frames.length !== 1 || splitter.stats.framesOut !== 1) throw new Error("not split");
 * ```
 *
 * @module
 */

/** Options for {@linkcode JpegSplitter}. */
export interface JpegSplitterOptions {
  /** Frames larger than this are discarded (counted), default 8 MiB. */
  maxFrameBytes: number;
}

/** Counters of a {@linkcode JpegSplitter} since construction. */
export interface JpegSplitterStats {
  /** Frames returned by `push`. */
  framesOut: number;
  /** Input bytes not returned in any frame: garbage, abandoned frames, oversized frames. */
  bytesDiscarded: number;
  /** Frames dropped for exceeding `maxFrameBytes` (their bytes are in `bytesDiscarded`). */
  framesOversized: number;
  /** Losses of sync: each run of garbage between frames and each abandoned (malformed) frame. */
  resyncs: number;
}

/** Default {@linkcode JpegSplitterOptions.maxFrameBytes}: 8 MiB. */
const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

/** Smallest accumulation buffer worth allocating; bounded above by maxFrameBytes. */
const MIN_BUFFER_BYTES = 64 * 1024;

const EMPTY = new Uint8Array(0);

// Parser states.
/** Outside a frame, looking for FF. */
const SEEK = 0;
/** Outside a frame, the previous byte was FF: D8 starts a frame. */
const SEEK_FF = 1;
/** In a frame, expecting the FF of a marker. */
const MARKER = 2;
/** In a frame, after FF: expecting the marker code (or more FF fill). */
const MARKER_CODE = 3;
/** Expecting the high byte of a segment length. */
const LENGTH_HI = 4;
/** Expecting the low byte of a segment length. */
const LENGTH_LO = 5;
/** Skipping a segment payload. */
const SKIP = 6;
/** In entropy-coded data, looking for FF. */
const ENTROPY = 7;
/** In entropy-coded data, the previous byte was FF. */
const ENTROPY_FF = 8;

const SOS = 0xda;

/**
 * Incremental, marker-aware splitter of concatenated JPEG images. Never throws on any input.
 *
 * @example A frame cut across two reads comes out whole, once its EOI has arrived
 * ```ts
 * import { JpegSplitter } from "./splitter.ts";
 *
 * const splitter = new JpegSplitter();
 * const lengths: number[] = [];
 * for (const part of [[0xff, 0xd8, 0xff], [0xd9, 0x00]]) {
 *   for (const frame of splitter.push(new Uint8Array(part))) lengths.push(frame.length);
 * }
 * if (lengths.join() !== "4") throw new Error(lengths.join());
 * ```
 */
export class JpegSplitter {
  readonly #maxFrameBytes: number;

  #state = SEEK;
  /** Code of the marker whose length or payload is being read. */
  #marker = 0;
  #lengthHi = 0;
  #skipBytes = 0;

  /** Accumulates a frame that spans chunks; its first #bufferedBytes bytes are valid. */
  #buffer: Uint8Array = EMPTY;
  #bufferedBytes = 0;
  /** Bytes of the current frame that arrived in earlier chunks (held or, if oversized, not). */
  #frameBytesBefore = 0;
  /** The current frame already exceeds maxFrameBytes: it is parsed but no longer stored. */
  #oversized = false;
  /** Inside a run of garbage already counted as one resync. */
  #inGarbage = false;
  /** Size of the last emitted frame: the first buffer of the next frame is sized from it. */
  #lastFrameBytes = 0;

  #framesOut = 0;
  #bytesDiscarded = 0;
  #framesOversized = 0;
  #resyncs = 0;

  /**
   * Makes a splitter with an empty buffer.
   *
   * @param options `maxFrameBytes` (default 8 MiB) must be a positive safe integer.
   * @throws {RangeError} if `maxFrameBytes` is not a positive safe integer.
   */
  constructor(options: Partial<JpegSplitterOptions> = {}) {
    const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1) {
      throw new RangeError(
        `Cannot create JpegSplitter: maxFrameBytes must be a positive integer, got ${maxFrameBytes}. ` +
          "Pass a byte count such as 8388608, or omit it for the 8 MiB default.",
      );
    }
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Counters since construction (a snapshot; later pushes do not change it). */
  get stats(): JpegSplitterStats {
    return {
      framesOut: this.#framesOut,
      bytesDiscarded: this.#bytesDiscarded,
      framesOversized: this.#framesOversized,
      resyncs: this.#resyncs,
    };
  }

  /**
   * Input bytes neither returned in a frame nor counted as discarded yet: the incomplete frame so
   * far, or a trailing 0xFF that may begin an SOI. Pushed bytes always equal the emitted frame bytes
   * plus `stats.bytesDiscarded` plus this.
   */
  get pendingBytes(): number {
    if (this.#state === SEEK_FF) return 1;
    return this.#state >= MARKER ? this.#frameBytesBefore : 0;
  }

  /** Bytes of memory held for an incomplete frame (buffer capacity); never above maxFrameBytes. */
  get retainedBytes(): number {
    return this.#buffer.length;
  }

  /**
   * Feeds a chunk; returns the frames completed by it, each a fresh Uint8Array the caller owns
   * (SOI..EOI inclusive). A returned frame may be a view on a private ArrayBuffer somewhat larger
   * than the frame; nothing else references that buffer. The chunk is not retained.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    const n = chunk.length;
    let i = 0;
    // Index in `chunk` where the current frame's bytes begin; 0 if it began in an earlier chunk.
    let start = this.#state >= MARKER ? 0 : -1;
    while (i < n) {
      switch (this.#state) {
        case SEEK: {
          const j = chunk.indexOf(0xff, i);
          if (j < 0) {
            this.#discard(n - i);
            i = n;
          } else {
            this.#discard(j - i);
            i = j + 1;
            this.#state = SEEK_FF;
          }
          break;
        }
        case SEEK_FF: {
          const b = chunk[i];
          if (b === 0xd8) {
            start = this.#beginFrame(i);
            i++;
          } else {
            this.#discard(1); // the FF before b
            if (b === 0xff) i++;
            else this.#state = SEEK;
          }
          break;
        }
        case MARKER: {
          if (chunk[i] === 0xff) {
            i++;
            this.#state = MARKER_CODE;
          } else {
            this.#abandon(i, start);
            start = -1;
          }
          break;
        }
        case MARKER_CODE: {
          const b = chunk[i];
          if (b === 0xff) {
            i++; // fill byte before a marker
          } else if (b === 0xd9) {
            i++;
            this.#complete(chunk, start, i, frames);
            start = -1;
          } else if (b === 0xd8) {
            start = this.#abandonForSoi(i, start);
            i++;
          } else if (b === 0x00) {
            this.#abandon(i, start);
            start = -1;
          } else if (b === 0x01 || (b >= 0xd0 && b <= 0xd7)) {
            i++; // TEM or RSTn: no length field
            this.#state = MARKER;
          } else {
            i++;
            this.#marker = b;
            this.#state = LENGTH_HI;
          }
          break;
        }
        case LENGTH_HI: {
          this.#lengthHi = chunk[i++];
          this.#state = LENGTH_LO;
          break;
        }
        case LENGTH_LO: {
          const length = (this.#lengthHi << 8) | chunk[i];
          if (length < 2) {
            this.#abandon(i, start);
            start = -1;
          } else {
            i++;
            this.#skipBytes = length - 2;
            this.#state = length > 2 ? SKIP : this.#afterSegment();
          }
          break;
        }
        case SKIP: {
          const take = Math.min(this.#skipBytes, n - i);
          i += take;
          this.#skipBytes -= take;
          if (this.#skipBytes === 0) this.#state = this.#afterSegment();
          break;
        }
        case ENTROPY: {
          // Stuffing and RSTn are by far the most common FF sequences here; skip them in this
          // tight loop rather than going through the state machine for each.
          let j = i;
          for (;;) {
            j = chunk.indexOf(0xff, j);
            if (j < 0) {
              i = n;
              break;
            }
            if (j + 1 >= n) {
              i = n;
              this.#state = ENTROPY_FF;
              break;
            }
            const b = chunk[j + 1];
            if (b === 0x00 || (b >= 0xd0 && b <= 0xd7)) {
              j += 2;
              continue;
            }
            i = j + 1;
            this.#state = ENTROPY_FF;
            break;
          }
          break;
        }
        case ENTROPY_FF: {
          const b = chunk[i];
          if (b === 0x00 || (b >= 0xd0 && b <= 0xd7)) {
            i++;
            this.#state = ENTROPY;
          } else if (b === 0xff) {
            i++; // fill byte: the marker may still be an RSTn, which stays in entropy data
          } else {
            // A real marker: same handling as in the segment walk, byte not consumed.
            this.#state = MARKER_CODE;
          }
          break;
        }
      }
    }
    if (this.#state >= MARKER) this.#stash(chunk, start, n);
    return frames;
  }

  /**
   * Drops any incomplete frame (counted in `bytesDiscarded` and as one resync) and looks for an SOI
   * again. Call it when the input is replaced (e.g. ffmpeg restarted), so that a segment length read
   * from the old stream cannot swallow the start of the new one.
   */
  reset(): void {
    const pending = this.pendingBytes;
    if (pending > 0) {
      this.#bytesDiscarded += pending;
      this.#resyncs++;
    }
    this.#resetFrame();
    this.#state = SEEK;
    this.#inGarbage = false;
  }

  #afterSegment(): number {
    return this.#marker === SOS ? ENTROPY : MARKER;
  }

  #discard(count: number): void {
    if (count <= 0) return;
    this.#bytesDiscarded += count;
    if (!this.#inGarbage) {
      this.#inGarbage = true;
      this.#resyncs++;
    }
  }

  /** Starts a frame whose SOI code byte (D8) is at `i`; returns where the frame starts in the chunk. */
  #beginFrame(i: number): number {
    this.#state = MARKER;
    this.#inGarbage = false;
    if (i > 0) return i - 1;
    // The SOI's FF ended the previous chunk and is not stored anywhere yet.
    this.#ensureCapacity(1);
    this.#buffer[0] = 0xff;
    this.#bufferedBytes = 1;
    this.#frameBytesBefore = 1;
    return 0;
  }

  /** The frame is malformed at byte `i` (not part of it): discard it and seek from `i`. */
  #abandon(i: number, start: number): void {
    this.#bytesDiscarded += this.#frameBytesBefore + (i - start);
    this.#resyncs++;
    this.#inGarbage = true;
    this.#resetFrame();
    this.#state = SEEK;
  }

  /** An SOI (D8 at `i`) came where a marker was expected: discard the frame, start a new one. */
  #abandonForSoi(i: number, start: number): number {
    // Everything before the SOI's FF belongs to the abandoned frame; that FF is at i - 1 or, when
    // i is 0, is the last byte of the previous chunk (already counted in #frameBytesBefore).
    this.#bytesDiscarded += i > 0
      ? this.#frameBytesBefore + (i - 1 - start)
      : this.#frameBytesBefore - 1;
    this.#resyncs++;
    this.#resetFrame();
    return this.#beginFrame(i);
  }

  /** EOI ends at `end` (exclusive): emit the frame or count it as oversized. */
  #complete(chunk: Uint8Array, start: number, end: number, frames: Uint8Array[]): void {
    const total = this.#frameBytesBefore + (end - start);
    if (this.#oversized || total > this.#maxFrameBytes) {
      this.#framesOversized++;
      this.#bytesDiscarded += total;
    } else {
      if (this.#frameBytesBefore === 0) {
        frames.push(chunk.slice(start, end));
      } else {
        this.#append(chunk, start, end);
        frames.push(this.#takeBuffer());
      }
      this.#framesOut++;
      this.#lastFrameBytes = total;
    }
    this.#resetFrame();
    this.#state = SEEK;
  }

  /** The chunk ended inside a frame: keep its bytes from `start` unless the frame is too big. */
  #stash(chunk: Uint8Array, start: number, end: number): void {
    const total = this.#frameBytesBefore + (end - start);
    if (!this.#oversized) {
      if (total > this.#maxFrameBytes) {
        this.#oversized = true;
        this.#bufferedBytes = 0;
        this.#buffer = EMPTY; // don't keep up to maxFrameBytes alive for a rare event
      } else {
        this.#append(chunk, start, end);
      }
    }
    this.#frameBytesBefore = total;
  }

  #append(chunk: Uint8Array, start: number, end: number): void {
    const need = this.#bufferedBytes + (end - start);
    this.#ensureCapacity(need);
    this.#buffer.set(chunk.subarray(start, end), this.#bufferedBytes);
    this.#bufferedBytes = need;
  }

  /** Callers guarantee need <= maxFrameBytes. */
  #ensureCapacity(need: number): void {
    const current = this.#buffer.length;
    if (need <= current) return;
    const hint = this.#lastFrameBytes + (this.#lastFrameBytes >> 2);
    const capacity = Math.min(
      Math.max(need, current * 2, hint, MIN_BUFFER_BYTES),
      this.#maxFrameBytes,
    );
    const next = new Uint8Array(capacity);
    next.set(this.#buffer.subarray(0, this.#bufferedBytes));
    this.#buffer = next;
  }

  /** Hands the accumulated frame to the caller without copying, unless that would pin much waste. */
  #takeBuffer(): Uint8Array {
    const frame = this.#buffer.subarray(0, this.#bufferedBytes);
    if (this.#buffer.length > 2 * this.#bufferedBytes) return frame.slice(); // buffer kept for reuse
    this.#buffer = EMPTY;
    return frame;
  }

  #resetFrame(): void {
    this.#bufferedBytes = 0;
    this.#frameBytesBefore = 0;
    this.#oversized = false;
  }
}
