/**
 * What udpcam-send and udpcam-recv print about their RTSP server (`--rtsp`): the URLs to open,
 * the warning when anyone on the network may watch, and the one line about frames RFC 2435
 * cannot carry. Pure: values in, text out.
 *
 * @module
 */

import {
  formatHostPort,
  type HostInterfaceAddress,
  type HostPort,
  isLoopbackHost,
  reachableHosts,
} from "../net/mod.ts";

export type { HostInterfaceAddress, HostPort };

/**
 * The rtsp:// URLs of a server bound to `bound` serving `path` (starting with "/"): its host, or
 * for a wildcard bind every address of this machine. Credentials are never part of them.
 *
 * @example
 * ```ts
 * import { rtspUrls } from "./serve_lines.ts";
 *
 * const urls = rtspUrls({ hostname: "0.0.0.0", port: 8554 }, "/udpcam", [
 *   { address: "192.168.1.20", family: "IPv4" },
 * ]);
 * if (urls.join(" ") !== "rtsp://127.0.0.1:8554/udpcam rtsp://192.168.1.20:8554/udpcam") {
 *   throw new Error(urls.join(" "));
 * }
 * ```
 */
export function rtspUrls(
  bound: HostPort,
  path: string,
  interfaces: readonly HostInterfaceAddress[],
): string[] {
  return reachableHosts(bound, interfaces).map((hostname) =>
    `rtsp://${formatHostPort({ hostname, port: bound.port })}${path}`
  );
}

/** What the start lines tell. */
export interface RtspStart {
  /** The program, e.g. "udpcam-send". */
  program: string;
  /** The address the server is bound to. */
  bound: HostPort;
  /** The URLs to open ({@linkcode rtspUrls}). */
  urls: readonly string[];
  /** The user names that may watch; none: anyone who reaches the port. */
  usernames: readonly string[];
}

/**
 * The lines to print once the RTSP server listens: one per URL, then a warning when it is bound
 * beyond loopback without credentials.
 */
export function rtspStartLines(start: RtspStart): string[] {
  const access = start.usernames.length === 0
    ? "no credentials"
    : `Digest or Basic, user${start.usernames.length > 1 ? "s" : ""} ${start.usernames.join(", ")}`;
  const lines = start.urls.map((url) => `${start.program}: RTSP clients open ${url} (${access})`);
  if (start.usernames.length === 0 && !isLoopbackHost(start.bound.hostname)) {
    lines.push(
      `${start.program}: warning: anyone who can reach ${
        formatHostPort(start.bound)
      } can watch the RTSP stream: no credentials are set. Add --rtsp-user NAME:PASSWORD (or ` +
        "--rtsp-user-file FILE), or bind 127.0.0.1.",
    );
  }
  return lines;
}

/**
 * The RTSP part of the status line: sessions playing and ready, frames sent and skipped.
 *
 * @example
 * ```ts
 * import { rtspStatusText } from "./serve_lines.ts";
 *
 * const text = rtspStatusText({ playing: 2, ready: 1, framesSent: 300, framesSkipped: 4 });
 * if (text !== "RTSP 2 playing, 1 ready, 300 frames sent, 4 skipped") throw new Error(text);
 * ```
 */
export function rtspStatusText(
  figures: { playing: number; ready: number; framesSent: number; framesSkipped: number },
): string {
  return `RTSP ${figures.playing} playing, ${figures.ready} ready, ` +
    `${figures.framesSent} frames sent, ${figures.framesSkipped} skipped`;
}

/**
 * Where the frames an RTSP server serves come from, for the advice on unfit frames: the
 * sender's ffmpeg re-encoding them, the camera's own (`--passthrough`), or a received stream.
 */
export type RtspFrameOrigin = "encoded" | "passthrough" | "received";

/**
 * The one line printed the first time a frame cannot go to RTSP clients: `unfit` is the
 * packetizer's refusal (its reason and detail), and the advice depends on where the frames come
 * from.
 */
export function unfitFrameLine(
  program: string,
  origin: RtspFrameOrigin,
  unfit: { reason: string; detail: string },
): string {
  const advice = unfit.reason === "dimensions"
    ? (origin === "received"
      ? "Have the sender send at most 2040x2040 (udpcam-send --size)."
      : "Give --size WIDTHxHEIGHT of at most 2040x2040.")
    : origin === "passthrough"
    ? "Drop --passthrough to have udpcam re-encode with the standard tables."
    : origin === "received"
    ? "Have the sender make standard frames (udpcam-send --wire rtp to udpcam-recv --wire rtp, or " +
      "udpcam-send --rtsp), or pull from the sender's own --rtsp."
    : "Check that --ffmpeg is a regular ffmpeg build (udpcam asks it for -huffman default and " +
      "yuvj420p).";
  return `${program}: RTSP clients skip the frames RFC 2435 cannot carry (${unfit.detail}); ` +
    `they are counted in --stats-json under rtsp.counters.frames. ${advice}`;
}
