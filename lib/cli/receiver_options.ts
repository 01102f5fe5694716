/**
 * The receiver's command line: flags, environment, defaults and `--help`.
 *
 * @module
 */

import {
  type AddressRule,
  formatHostPort,
  type HostPort,
  parseAddressRule,
  parseHostPort,
} from "../net/mod.ts";
import type { DecoderChoice } from "../decode/select_decoder.ts";
import type { ReceiveSettings } from "../io/receive_messages.ts";
import { WIRE_MODES, WIRE_TRAITS, type WireMode, wireModesWith } from "../wire/mod.ts";
import { intFlag, numberFlag, parseFlags, usageError } from "./flags.ts";
import {
  HTTP_FLAGS,
  HTTP_HELP,
  type ReceiverHttpOptions,
  receiverHttpOptions,
} from "./http_options.ts";
import { KEY_HELP, resolveKey } from "./key_option.ts";
import { readKeyFile as readDefaultKeyFile } from "./key_file.ts";
import { readSmallFileSync } from "../io/secret_file.ts";
import { DEFAULT_MAX_CLOCK_SKEW_MS } from "../crypto/mod.ts";
import { resolveRtspSettings, RTSP_FLAGS, rtspHelp, type RtspSettings } from "./rtsp_options.ts";
import {
  RECEIVER_MULTICAST_HELP,
  type ReceiverMulticastOptions,
  receiverMulticastOptions,
} from "./multicast_options.ts";

const PROGRAM = "udpcam-recv";

/** Default listen address: every IPv4 interface, the Python/OpenCV design's port. */
const DEFAULT_LISTEN: HostPort = { hostname: "0.0.0.0", port: 12345 };

/** What the receiver was asked to do. */
export type ReceiverCommand =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "receive"; options: ReceiverOptions }
  | { kind: "doctor"; options: ReceiverOptions };

/**
 * Everything a receiver needs (`--multicast-if`: see ReceiverMulticastOptions; `--http` and its
 * token: ReceiverHttpOptions).
 */
export interface ReceiverOptions extends ReceiverMulticastOptions, ReceiverHttpOptions {
  /** Where to listen. */
  listen: HostPort;
  /** No window: receive, record and report only. */
  headless: boolean;
  /** Append every complete frame to this file, byte for byte. */
  recordPath: string | null;
  /** Print one JSON stats object per second on stdout. */
  statsJson: boolean;
  /** Stop after this many complete frames (0: run until stopped). */
  maxFrames: number;
  /** Stop after this many seconds (0: run until stopped). */
  durationS: number;
  /** Give up an incomplete frame this long after its first datagram. */
  frameTimeoutMs: number;
  /** Ask the sender to resend lost datagrams. */
  nack: boolean;
  /** The wire format to expect. */
  wire: WireMode;
  /** Re-serve the stream to RTSP clients (`--rtsp`), or null. */
  rtsp: RtspSettings | null;
  /** JPEG decoder for the window: libjpeg-turbo, WebAssembly, or turbo with wasm fallback. */
  decoder: DecoderChoice;
  /** Sync presents to the display refresh. */
  vsync: boolean;
  /** Folder where `s` in the window saves the frame on screen. */
  saveDir: string;
  /** Key bytes the sender seals with (--key, --key-file, UDPCAM_KEY), or null: plain. */
  key: Uint8Array | null;
  /** With a key: how far a sealed datagram's capture time may be off this clock (--max-clock-skew). */
  maxClockSkewMs: number;
  /** Follow only this stream id (--stream), or null: the first one seen. */
  streamId: number | null;
  /** Switch at once to any stream not seen before (--follow-newest). */
  followNewest: boolean;
  /** Take datagrams only from these sources (--allow-from); empty: from anyone. */
  allowFrom: AddressRule[];
}

/** What the receive worker is started with (lib/io/receive_thread.ts), from the options. */
export function receiveSettings(options: ReceiverOptions): ReceiveSettings {
  return {
    listen: options.listen,
    multicastInterface: options.multicastInterface,
    frameTimeoutMs: options.frameTimeoutMs,
    nack: options.nack,
    wire: options.wire,
    key: options.key,
    maxClockSkewMs: options.maxClockSkewMs,
    lockedStreamId: options.streamId,
    followNewest: options.followNewest,
    allowFrom: options.allowFrom,
  };
}

const DECODER_CHOICES: readonly DecoderChoice[] = ["auto", "turbo", "wasm"];
/** `--max-clock-skew`'s default, in seconds as the flag takes it. */
const SKEW_S = DEFAULT_MAX_CLOCK_SKEW_MS / 1000;

/** `--help` text. */
export const RECEIVER_HELP = `udpcam-recv: receive a udpcam stream and show it.

Usage: udpcam-recv [flags]          (from source: deno task recv -- [flags])

Network
  --listen [HOST:]PORT  where to listen (default ${formatHostPort(DEFAULT_LISTEN)});
                        IPv6: [::]:12345; a bare port listens on 0.0.0.0; a multicast group
                        (239.1.2.3:12345, [ff15::1]:12345) is joined, and shared with other
                        receivers on this machine
${RECEIVER_MULTICAST_HELP}
  --frame-timeout-ms N  give up an incomplete frame after N ms, 10..5000 (default 250)
  --wire FORMAT         v1 (default), legacy (the Python/OpenCV design's format) or rtp
                        (RTP/JPEG from GStreamer rtpjpegpay, ffmpeg -f rtp, or udpcam-send --wire rtp)
  --no-nack             never ask the sender to resend lost datagrams (by default the receiver
                        asks for what is missing while the frame can still be shown)

Who may send
  --allow-from ADDR[/PREFIX]  take datagrams only from these sources (repeatable; IPv4 or IPv6,
                        e.g. 192.168.1.20 or 10.0.0.0/8); others are dropped and counted
  --stream ID           (--wire v1 or rtp) follow only this stream id (rtp: the SSRC), in hex as
                        the sender prints it (0x1a2b3c4d); default: the first stream seen,
                        until silent for 0.5 s
  --follow-newest       (--wire v1 or rtp) switch at once to any new stream (a restarted sender
                        takes over); use with --key, since without it stream ids can be forged

${KEY_HELP}
  --max-clock-skew S    with a key, take sealed datagrams only if their capture time is within
                        S seconds of this machine's clock, 0.1..86400 (default ${SKEW_S}): a recording
                        played back later never shows; raise it only if the clocks disagree

Window (keys: f or double-click fullscreen, s save frame, q or Esc quit)
  --decoder NAME        auto, turbo or wasm (default auto: libjpeg-turbo, else WebAssembly)
  --no-vsync            present frames as soon as decoded, not at the display refresh
  --save-dir DIR        where s saves the frame on screen as a .jpg (default: current folder)

Output
  --headless            no window: receive, record and report only
${HTTP_HELP}
  --record FILE.mjpeg   append every complete frame, byte for byte (play: ffplay FILE); a new
                        file is created 0600; an existing one is appended to, never truncated
  --stats-json          one JSON stats object per second on stdout

${
  rtspHelp(`. Re-serves the frames received; those RFC 2435
                        cannot carry as they are (not baseline 4:2:0/4:2:2 with the
                        standard Huffman tables) are re-encoded with libjpeg-turbo`)
}

Run
  --frames N            stop after N complete frames
  --duration SECONDS    stop after this long
  --doctor              check this machine (SDL2, libjpeg-turbo, display, port, buffers) and
                        exit: 0 ready, 1 something needed is missing
  --version, --help

Examples
  udpcam-recv
  udpcam-recv --listen 12345 --headless --record out.mjpeg --stats-json
  udpcam-recv --decoder wasm --no-vsync --save-dir ~/Pictures

Exit codes: 0 stopped by Ctrl-C/SIGTERM/--frames/--duration, 1 runtime error (port in use,
missing library), 2 bad command line.`;

/** Parses the receiver's command line. Throws a UserError naming the flag on bad input. */
export function parseReceiverArgs(
  args: string[],
  env: (name: string) => string | undefined = () => undefined,
  readKeyFile: (path: string) => Uint8Array = readDefaultKeyFile,
  readUserFile: (path: string, maxBytes: number) => Uint8Array = readSmallFileSync,
): ReceiverCommand {
  const flags = parseFlags(PROGRAM, args, {
    listen: { type: "string" },
    "frame-timeout-ms": { type: "string" },
    "multicast-if": { type: "string" },
    headless: { type: "boolean" },
    record: { type: "string" },
    "stats-json": { type: "boolean" },
    decoder: { type: "string" },
    "no-vsync": { type: "boolean" },
    "save-dir": { type: "string" },
    frames: { type: "string" },
    duration: { type: "string" },
    version: { type: "boolean" },
    doctor: { type: "boolean" },
    "no-nack": { type: "boolean" },
    wire: { type: "string" },
    ...HTTP_FLAGS,
    ...RTSP_FLAGS,
    key: { type: "string" },
    "key-file": { type: "string" },
    "max-clock-skew": { type: "string" },
    stream: { type: "string" },
    "follow-newest": { type: "boolean" },
    "allow-from": { type: "string", multiple: true },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return { kind: "help" };
  if (flags.version) return { kind: "version" };
  let listen = DEFAULT_LISTEN;
  if (flags.listen !== undefined) {
    const parsed = parseHostPort(flags.listen, DEFAULT_LISTEN.hostname);
    if (typeof parsed === "string") throw usageError(PROGRAM, `--listen ${parsed}`);
    listen = parsed;
  }
  const decoder = (flags.decoder ?? "auto") as DecoderChoice;
  if (!DECODER_CHOICES.includes(decoder)) {
    throw usageError(
      PROGRAM,
      `--decoder must be one of ${DECODER_CHOICES.join(", ")}, got "${flags.decoder}"`,
    );
  }
  if (flags["save-dir"] !== undefined && flags["save-dir"].trim() === "") {
    throw usageError(PROGRAM, "--save-dir needs a folder, got an empty string");
  }
  const wire = (flags.wire ?? "v1") as WireMode;
  if (!WIRE_MODES.includes(wire)) {
    throw usageError(
      PROGRAM,
      `--wire must be one of ${WIRE_MODES.join(", ")}, got "${flags.wire}"`,
    );
  }
  return {
    kind: flags.doctor ? "doctor" : "receive",
    options: {
      listen,
      headless: flags.headless ?? false,
      recordPath: flags.record ?? null,
      statsJson: flags["stats-json"] ?? false,
      maxFrames: intFlag(PROGRAM, "frames", flags.frames, 0, 1, Number.MAX_SAFE_INTEGER),
      durationS: numberFlag(PROGRAM, "duration", flags.duration, 0, 0.1, 1e7),
      frameTimeoutMs: intFlag(
        PROGRAM,
        "frame-timeout-ms",
        flags["frame-timeout-ms"],
        250,
        10,
        5000,
      ),
      decoder,
      nack: WIRE_TRAITS[wire].nack && !(flags["no-nack"] ?? false),
      wire,
      ...receiverHttpOptions(PROGRAM, flags, env),
      rtsp: resolveRtspSettings(PROGRAM, flags, env, readUserFile),
      vsync: !(flags["no-vsync"] ?? false),
      saveDir: flags["save-dir"] ?? ".",
      ...receiverMulticastOptions(PROGRAM, listen, flags["multicast-if"]),
      key: resolveKey(PROGRAM, {
        key: flags.key,
        keyFile: flags["key-file"],
        env,
        readKeyFile,
        wire,
      }),
      maxClockSkewMs: 1000 * numberFlag(
        PROGRAM,
        "max-clock-skew",
        flags["max-clock-skew"],
        SKEW_S,
        0.1,
        86_400,
      ),
      ...streamChoice(wire, flags.stream, flags["follow-newest"] ?? false),
      allowFrom: (flags["allow-from"] ?? []).map((text) => {
        const rule = parseAddressRule(text);
        if (typeof rule === "string") throw usageError(PROGRAM, `--allow-from ${rule}`);
        return rule;
      }),
    },
  };
}

/** `--stream ID` and `--follow-newest`: modes with stream ids only, and not together. */
function streamChoice(
  wire: WireMode,
  stream: string | undefined,
  followNewest: boolean,
): { streamId: number | null; followNewest: boolean } {
  if ((stream !== undefined || followNewest) && !WIRE_TRAITS[wire].streamLock) {
    throw usageError(
      PROGRAM,
      `--stream and --follow-newest need --wire ${
        wireModesWith("streamLock").join(" or ")
      } (stream ids)`,
    );
  }
  if (stream !== undefined && followNewest) {
    throw usageError(PROGRAM, "choose one: --stream ID (follow one) or --follow-newest");
  }
  if (stream === undefined) return { streamId: null, followNewest };
  const match = /^(?:0x)?([0-9a-f]{1,8})$/i.exec(stream.trim());
  if (!match) {
    throw usageError(
      PROGRAM,
      `--stream must be a hex stream id such as 0x1a2b3c4d, got "${stream}"`,
    );
  }
  return { streamId: parseInt(match[1], 16), followNewest: false };
}
