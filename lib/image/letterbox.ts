/**
 * Aspect-preserving placement of a video frame inside a window ("letterbox" / "pillarbox").
 *
 * @module
 */

/** An integer rectangle in output pixels. */
export interface Rect {
  /** Left edge. */
  readonly x: number;
  /** Top edge. */
  readonly y: number;
  /** Width, at least 1 when the output is non-empty. */
  readonly width: number;
  /** Height, at least 1 when the output is non-empty. */
  readonly height: number;
}

/**
 * The largest rectangle with the content's aspect ratio that fits the output, centred.
 *
 * Bars appear on the two sides that have spare room. Returns an empty rectangle when any size is
 * not positive (a minimised window reports 0x0).
 *
 * @example A 16:9 frame in a 4:3 window gets bars above and below
 * ```ts
 * import { letterboxRect } from "./letterbox.ts";
 *
 * const rect = letterboxRect(1280, 720, 800, 600);
 * if (rect.width !== 800 || rect.height !== 450 || rect.y !== 75) throw new Error(JSON.stringify(rect));
 * ```
 */
export function letterboxRect(
  contentWidth: number,
  contentHeight: number,
  outputWidth: number,
  outputHeight: number,
): Rect {
  if (contentWidth <= 0 || contentHeight <= 0 || outputWidth <= 0 || outputHeight <= 0) {
    return { x: 0, y: 0, width: 0, height: 0 };
  }
  // Compare cross products instead of ratios so equal aspects stay exact in integers.
  if (contentWidth * outputHeight >= outputWidth * contentHeight) {
    const height = Math.max(1, Math.round((outputWidth * contentHeight) / contentWidth));
    return { x: 0, y: Math.floor((outputHeight - height) / 2), width: outputWidth, height };
  }
  const width = Math.max(1, Math.round((outputHeight * contentWidth) / contentHeight));
  return { x: Math.floor((outputWidth - width) / 2), y: 0, width, height: outputHeight };
}
