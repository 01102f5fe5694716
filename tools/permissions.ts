/**
 * The permissions each program needs: one definition used by `deno task compile` (baked into the
 * binaries) and by anything that runs the entry points with the same flags.
 *
 * @module
 */

/** Flags for udpcam-send: network, ffmpeg, files for --file/--save, device listing, one env var. */
export const SENDER_PERMISSIONS: readonly string[] = [
  "--allow-net",
  // libc's sendmmsg sends a paced burst in one call on Linux (lib/io/datagram_batch.ts); without
  // it the sender falls back to one Deno send per datagram.
  "--allow-ffi",
  "--allow-run",
  "--allow-read",
  "--allow-write",
  "--allow-env=UDPCAM_FFMPEG,UDPCAM_KEY,UDPCAM_RTSP_USER",
  // --doctor lists the addresses a receiver can be reached at.
  "--allow-sys=networkInterfaces",
];

/** Flags for udpcam-recv: network, SDL2 and libjpeg-turbo through FFI, --record/--save-dir files. */
export const RECEIVER_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-ffi",
  "--allow-read",
  "--allow-write",
  "--allow-env=UDPCAM_KEY,UDPCAM_HTTP_TOKEN,UDPCAM_RTSP_USER,UDPCAM_SDL2_LIB,UDPCAM_TURBOJPEG_LIB,SDL_VIDEODRIVER,DISPLAY,WAYLAND_DISPLAY",
  // --doctor lists the addresses senders should target; --http answers to this machine's
  // addresses and host name (lib/io/http_viewer.ts's Host check).
  "--allow-sys=networkInterfaces,hostname",
];

/** Deno APIs the programs use that are still behind a flag. */
export const UNSTABLE_FLAGS: readonly string[] = ["--unstable-net"];

/**
 * V8 options both programs run with, for a receiver whose RSS stays flat:
 * - A young generation capped at 1 MB per semi-space (V8 grows it to 16 MB under allocation
 *   pressure and rarely gives it back): 1080p at 240 fps for a minute swung between 83 and 103 MB
 *   with V8's default, 82 to 88 MB with this; the scavenges it adds take well under a millisecond.
 * - `gc()` exposed, so the receiver can collect its old generation between frames every 20 s
 *   (lib/io/heap_collector.ts) instead of letting garbage pile up for minutes.
 */
export const V8_OPTIONS: readonly string[] = ["--max-semi-space-size=1", "--expose-gc"];

/** {@linkcode V8_OPTIONS} as the Deno flag that passes them to V8. */
export const V8_FLAGS: readonly string[] = [`--v8-flags=${V8_OPTIONS.join(",")}`];
