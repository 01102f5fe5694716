/**
 * Pixels: decoded YUV images and their planes, and where a frame goes in a window of another shape.
 *
 * @module
 */

export { letterboxRect } from "./letterbox.ts";
export { I420Converter, planeHeight, planeWidth } from "./yuv.ts";
export type { Subsampling, YuvImage } from "./yuv.ts";
