/**
 * What the receiver prints once it listens: where, how it shows frames (the window's SDL video
 * driver, or headless), where it records, and the notes that say what to change.
 *
 * Scripts and tests wait for the first line's `listening on HOST:PORT`, so it always comes first.
 *
 * @module
 */

/** What the receiver knows once its socket is bound. */
export interface ReceiverStart {
  /** The bound address, as HOST:PORT. */
  listen: string;
  /** The SDL video driver the window is on (`x11`, `offscreen`, ...), or null when headless. */
  videoDriver: string | null;
  /** Why the window shows nothing (lib/sdl/video_driver.ts), or null. */
  driverWarning: string | null;
  /** The `--record` file, or null. */
  recordPath: string | null;
  /** The kernel receive buffer is smaller than asked (lib/io/socket_buffer.ts), or null. */
  receiveBufferNote: string | null;
  /** The `--http` viewer's page addresses; none without `--http`. */
  browserUrls: readonly string[];
}

/**
 * The lines to print when the receiver starts, each starting with `udpcam-recv: `.
 *
 * @example A window on X11, recording
 * ```ts
 * import { receiverStartLines } from "./start_lines.ts";
 *
 * const [first] = receiverStartLines({
 *   listen: "0.0.0.0:12345",
 *   videoDriver: "x11",
 *   driverWarning: null,
 *   recordPath: "out.mjpeg",
 *   receiveBufferNote: null,
 *   browserUrls: [],
 * });
 * const want = "udpcam-recv: listening on 0.0.0.0:12345 (window, SDL video driver x11), " +
 *   "recording to out.mjpeg";
 * if (first !== want) throw new Error(first);
 * ```
 */
export function receiverStartLines(start: ReceiverStart): string[] {
  const shows = start.videoDriver === null
    ? " (headless)"
    : ` (window, SDL video driver ${start.videoDriver})`;
  const records = start.recordPath === null ? "" : `, recording to ${start.recordPath}`;
  const notes = [
    `listening on ${start.listen}${shows}${records}`,
    start.driverWarning,
    start.receiveBufferNote,
    ...start.browserUrls.map((url) => `browser view at ${url}`),
  ];
  return notes.filter((note) => note !== null).map((note) => `udpcam-recv: ${note}`);
}
