/**
 * `--rtsp` on either program: the RTSP server (lib/io/rtsp_server.ts) with the re-encoder for
 * frames RTP/JPEG cannot carry as they are (lib/decode/rtp_reencoder.ts), and the lines that say
 * where clients connect. One place, so both programs serve alike.
 *
 * @module
 */

import { RtspServer } from "../io/rtsp_server.ts";
import { localInterfaces } from "../io/local_interfaces.ts";
import { openRtpReencoder } from "../decode/rtp_reencoder.ts";
import { type RtspFrameOrigin, rtspStartLines, rtspUrls } from "../rtsp/mod.ts";
import type { RtspSettings } from "./rtsp_options.ts";

/** The running RTSP output of a program. */
export interface RtspOutput {
  /** The server: frames go to `publishFrame` / `offer`, figures come from `stats()`. */
  server: RtspServer;
  /** The lines saying which URLs clients open, and a warning when anyone may watch. */
  startLines(): string[];
  /** Stops the server and frees the re-encoder. */
  close(): Promise<void>;
}

/** Who runs the output, and what it knows of the frames. */
export interface RtspOutputOptions {
  /** "udpcam-send" or "udpcam-recv", for the log lines. */
  program: string;
  /** Where frames come from, for the advice on frames RFC 2435 cannot carry. */
  origin: RtspFrameOrigin;
  /** Prints a line. */
  log: (line: string) => void;
  /** Frames per second, when known (the sender's rate plan). */
  framesPerSecond?: number;
}

/**
 * Binds the RTSP server `settings` ask for; throws the server's user error when the port is
 * taken.
 */
export function startRtspOutput(settings: RtspSettings, options: RtspOutputOptions): RtspOutput {
  const reencoder = openRtpReencoder();
  let server: RtspServer;
  try {
    server = RtspServer.start({
      ...settings.listen,
      path: settings.path,
      users: settings.users,
      ...options,
      reencode: reencoder && ((jpeg) => reencoder.reencode(jpeg)),
    });
  } catch (error) {
    reencoder?.close();
    throw error;
  }
  return {
    server,
    startLines: () =>
      rtspStartLines({
        program: options.program,
        bound: server.address,
        urls: rtspUrls(server.address, server.path, localInterfaces()),
        usernames: settings.users.map((user) => user.username),
      }),
    close: async () => {
      await server.close();
      reencoder?.close();
    },
  };
}
