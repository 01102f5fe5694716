/**
 * The sender's command line: flags, environment, defaults and `--help`.
 *
 * @module
 */

import {
  DEFAULT_DATAGRAM_BYTES,
  formatHostPort,
  type HostPort,
  MAX_UDP_PAYLOAD_BYTES,
  MIN_DATAGRAM_BYTES,
  parseHostPort,
} from "../net/mod.ts";
import { WIRE_MODES, WIRE_TRAITS, type WireMode, wireModesWith } from "../wire/mod.ts";
import { DEFAULT_FEC_SETTING, type FecSetting, fecSettingProblem } from "../fec/mod.ts";
import type { Source } from "../capture/mod.ts";
import { DEFAULT_FPS, planRate, type RatePlan } from "../send/mod.ts";
import { intFlag, numberFlag, parseFlags, sizeFlag, usageError } from "./flags.ts";
import { KEY_HELP, resolveKey } from "./key_option.ts";
import { readKeyFile as readDefaultKeyFile } from "./key_file.ts";
import { readSmallFileSync } from "../io/secret_file.ts";
import { resolveRtspSettings, RTSP_FLAGS, rtspHelp, type RtspSettings } from "./rtsp_options.ts";
import {
  SENDER_MULTICAST_HELP,
  type SenderMulticastOptions,
  senderMulticastOptions,
} from "./multicast_options.ts";

const PROGRAM = "udpcam-send";

/** Default destination: the port of the Python/OpenCV design this grew from, on this machine. */
const DEFAULT_DESTINATION: HostPort = { hostname: "127.0.0.1", port: 12345 };

/** What the sender was asked to do. */
export type SenderCommand =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "listDevices"; ffmpegPath: string }
  | { kind: "doctor"; ffmpegPath: string; port: number }
  | { kind: "newKeyFile"; path: string }
  | { kind: "stream"; options: SenderOptions };

/** Highest `--fps` for a camera or the test pattern (fast webcams do 240). */
const MAX_CAPTURE_FPS = 240;

/** Highest `--fps` for a --file (throughput tests on loopback). */
const MAX_FILE_FPS = 1000;

/** Everything a streaming sender needs (`--ttl`, `--multicast-if`: see SenderMulticastOptions). */
export interface SenderOptions extends SenderMulticastOptions {
  /** Where to send; every datagram goes to each (none with `--rtsp` and no `--to`). */
  destinations: HostPort[];
  /** The RTSP server (`--rtsp`), or null. */
  rtsp: RtspSettings | null;
  /** What to capture. */
  source: Source;
  /** Frame size, or null for the source's own. */
  size: { width: number; height: number } | null;
  /** Who sets the pace of frames: `--fps`, the source and `--passthrough`, combined once. */
  rate: RatePlan;
  /** JPEG quality 1..100. */
  quality: number;
  /** Forward the camera's MJPEG without re-encoding. */
  passthrough: boolean;
  /** The wire format. */
  wire: WireMode;
  /** RTP mode: write an SDP file describing the stream here. */
  sdpPath: string | null;
  /** Largest datagram sent, header included (parity datagrams too). */
  maxDatagramBytes: number;
  /** Forward error correction: parity datagrams after each frame's fragments; null = off. */
  fec: FecSetting | null;
  /** Answer retransmission requests (NACKs) from receivers. */
  nack: boolean;
  /** Stop after this many frames (0: run until stopped). */
  maxFrames: number;
  /** Stop after this many seconds (0: run until stopped). */
  durationS: number;
  /** Also write every frame read from ffmpeg to this file. */
  savePath: string | null;
  /** Print one JSON stats object per second on stdout. */
  statsJson: boolean;
  /** The ffmpeg program to run. */
  ffmpegPath: string;
  /** Key bytes sealing every datagram (--key, --key-file, UDPCAM_KEY), or null: plain. */
  key: Uint8Array | null;
  /** Restart capture with backoff when ffmpeg exits, instead of exiting. */
  retry: boolean;
  /**
   * `--adapt`: fit the stream to the link from receiver reports (picture, frame rate, pacing,
   * budget). On by default for `--wire v1`; the other wires have no reports.
   */
  adapt: boolean;
  /** `--max-rate MBIT`: a hard cap on everything sent, bits per second; null: none. */
  maxRateBps: number | null;
}

/** Lowest and highest `--max-rate`, Mbit/s. */
const MIN_MAX_RATE_MBIT = 0.1;
const MAX_MAX_RATE_MBIT = 10_000;

/** `--help` text. */
export const SENDER_HELP = `udpcam-send: stream a camera as JPEG frames over UDP.

Usage: udpcam-send [flags]          (from source: deno task send -- [flags])

Destination
  --to HOST:PORT        where to send; repeat for several receivers; IPv6 as [::1]:12345
                        (default ${formatHostPort(DEFAULT_DESTINATION)})
  --max-datagram BYTES  largest datagram, ${MIN_DATAGRAM_BYTES}..${MAX_UDP_PAYLOAD_BYTES} (default ${DEFAULT_DATAGRAM_BYTES}: no IP
                        fragmentation on real networks; macOS refuses datagrams over 9216)
${SENDER_MULTICAST_HELP}

Wire format
  --wire FORMAT         v1 (default: udpcam's own), legacy (the Python/OpenCV design's 1-byte
                        header) or rtp (RTP/JPEG, RFC 2435: for GStreamer, ffplay, VLC)
  --sdp FILE            with --wire rtp: write the SDP file players open (ffplay FILE);
                        replaced each run

${
  rtspHelp(`. Without --to, frames go to RTSP clients only. ffmpeg
                        encodes with the standard Huffman tables RFC 2435 needs; --passthrough
                        frames without them go to --to destinations only`)
}

Slow links (docs/protocol.md, "Fitting the stream to the link")
  --adapt on|off        on (default with --wire v1): receivers report what arrives, and the
                        sender fits the stream to the link: JPEG quality, then frame rate, then
                        picture size, frame by frame, paced at the rate the link carries. off:
                        every frame as it comes, as fast as it comes (the other wires: off)
  --max-rate MBIT       never send more than MBIT megabits a second (${MIN_MAX_RATE_MBIT}..${MAX_MAX_RATE_MBIT}), all bytes
                        counted: frames that do not fit are skipped, datagrams are paced at it;
                        also the ceiling of --adapt. Every wire

Loss recovery (--wire v1)
  --fec [SETTING]       parity datagrams after each frame: off (default), xor:K (1 parity per K
                        fragments) or rs:K/M (Reed-Solomon, M per K); --fec alone: rs:20/3
  --no-nack             ignore receivers' retransmission requests (by default they are answered
                        from the last 300 ms of frames, using at most 50 % extra bandwidth)

Source (default: the system camera: /dev/video0, avfoundation 0, or the first dshow camera)
  --device NAME         a camera: /dev/video2 (Linux), 1 (macOS index), "USB Camera" (Windows)
  --test-pattern        ffmpeg's testsrc2 with a wall clock (ms) burned in: no camera needed
  --file PATH           a video file, looped (add --no-loop to play it once)
  --list-devices        list cameras and exit

Picture
  --size WxH            frame size (default 640x480; 1280x720 for --test-pattern)
  --fps N               frames per second, 1..240 (default 30); a --file takes up to 1000, or
                        max: as fast as it can be sent (throughput tests); with --passthrough
                        a file plays at the file's own rate unless --fps is given
  --quality N           JPEG quality 1..100 (default 80)
  --passthrough         forward the camera's own MJPEG without re-encoding (lowest CPU);
                        --size and --quality then only ask the camera

${KEY_HELP}
  --new-key-file FILE   write a new random key (256 bits, one line of text) to FILE, readable
                        by you only, and exit; then --key-file FILE on both sides (copy it
                        safely): stronger than any passphrase

Run
  --retry               when ffmpeg exits (crash, camera unplugged), restart it with backoff
                        (0.5 s doubling to 10 s) instead of exiting; same stream id
  --frames N            stop after N frames
  --duration SECONDS    stop after this long
  --save FILE.mjpeg     also append every frame read from ffmpeg to FILE (play: ffplay FILE);
                        a new file is created 0600
  --stats-json          one JSON stats object per second on stdout
  --ffmpeg PATH         ffmpeg to run (default: ffmpeg on PATH, or env UDPCAM_FFMPEG)
  --doctor              check this machine (ffmpeg, cameras, addresses, limits) and exit:
                        0 ready, 1 something needed is missing
  --version, --help

Examples
  udpcam-send --test-pattern --to 192.168.1.20:12345
  udpcam-send --device /dev/video2 --size 1280x720 --passthrough --to [fe80::2%eth0]:12345
  udpcam-send --file clip.mp4 --to 10.0.0.5:12345 --to 10.0.0.6:12345

Exit codes: 0 done or stopped by Ctrl-C/SIGTERM, 1 runtime error (ffmpeg, camera, network),
2 bad command line.`;

/** Parses the sender's command line. Throws a UserError naming the flag on bad input. */
export function parseSenderArgs(
  args: string[],
  env: (name: string) => string | undefined = () => undefined,
  readKeyFile: (path: string) => Uint8Array = readDefaultKeyFile,
  readUserFile: (path: string, maxBytes: number) => Uint8Array = readSmallFileSync,
): SenderCommand {
  const flags = parseFlags(PROGRAM, withFecDefault(args), {
    to: { type: "string", multiple: true },
    ttl: { type: "string" },
    "multicast-if": { type: "string" },
    "max-datagram": { type: "string" },
    fec: { type: "string" },
    "no-nack": { type: "boolean" },
    device: { type: "string" },
    "test-pattern": { type: "boolean" },
    file: { type: "string" },
    "no-loop": { type: "boolean" },
    "list-devices": { type: "boolean" },
    size: { type: "string" },
    fps: { type: "string" },
    quality: { type: "string" },
    passthrough: { type: "boolean" },
    wire: { type: "string" },
    sdp: { type: "string" },
    frames: { type: "string" },
    duration: { type: "string" },
    save: { type: "string" },
    "stats-json": { type: "boolean" },
    ffmpeg: { type: "string" },
    key: { type: "string" },
    "key-file": { type: "string" },
    ...RTSP_FLAGS,
    "new-key-file": { type: "string" },
    retry: { type: "boolean" },
    adapt: { type: "string" },
    "max-rate": { type: "string" },
    version: { type: "boolean" },
    doctor: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return { kind: "help" };
  if (flags.version) return { kind: "version" };
  if (flags["new-key-file"] !== undefined) {
    if (flags["new-key-file"].trim() === "") {
      throw usageError(PROGRAM, "--new-key-file needs a file name, got an empty string");
    }
    return { kind: "newKeyFile", path: flags["new-key-file"] };
  }
  const ffmpegPath = flags.ffmpeg ?? env("UDPCAM_FFMPEG") ?? "ffmpeg";
  if (flags["list-devices"]) return { kind: "listDevices", ffmpegPath };

  const sources = [flags.device !== undefined, flags["test-pattern"], flags.file !== undefined];
  if (sources.filter(Boolean).length > 1) {
    throw usageError(PROGRAM, "choose one source: --device, --test-pattern or --file");
  }
  if (flags["no-loop"] && flags.file === undefined) {
    throw usageError(PROGRAM, "--no-loop only applies to --file");
  }
  const source: Source = flags["test-pattern"]
    ? { kind: "testPattern" }
    : flags.file !== undefined
    ? { kind: "file", path: flags.file, loop: !flags["no-loop"] }
    : { kind: "camera", device: flags.device ?? null };
  if (flags.passthrough && source.kind === "testPattern") {
    throw usageError(
      PROGRAM,
      "--passthrough needs a camera or an MJPEG --file, not --test-pattern",
    );
  }

  const rtsp = resolveRtspSettings(PROGRAM, flags, env, readUserFile);
  // With --rtsp and no --to the frames go to RTSP clients only.
  const defaultTo = rtsp === null ? [formatHostPort(DEFAULT_DESTINATION)] : [];
  const destinations = (flags.to ?? defaultTo).map((text) => {
    const parsed = parseHostPort(text);
    if (typeof parsed === "string") throw usageError(PROGRAM, `--to ${parsed}`);
    if (parsed.port === 0) throw usageError(PROGRAM, `--to needs a port from 1 to 65535`);
    return parsed;
  });
  if (flags.doctor) {
    return { kind: "doctor", ffmpegPath, port: (destinations[0] ?? DEFAULT_DESTINATION).port };
  }

  const size = sizeFlag(PROGRAM, flags.size) ??
    (source.kind === "file"
      ? null
      : source.kind === "testPattern"
      ? { width: 1280, height: 720 }
      : { width: 640, height: 480 });

  const wire = (flags.wire ?? "v1") as WireMode;
  if (!WIRE_MODES.includes(wire)) {
    throw usageError(
      PROGRAM,
      `--wire must be one of ${WIRE_MODES.join(", ")}, got "${flags.wire}"`,
    );
  }
  const maxRate = flags.fps?.trim() === "max";
  if (maxRate && source.kind !== "file") {
    throw usageError(PROGRAM, "--fps max only applies to --file; give a camera a number of fps");
  }
  const fps = maxRate ? "max" : flags.fps === undefined ? null : intFlag(
    PROGRAM,
    "fps",
    flags.fps,
    DEFAULT_FPS,
    1,
    source.kind === "file" ? MAX_FILE_FPS : MAX_CAPTURE_FPS,
  );
  const fec = fecFlag(flags.fec);
  const traits = WIRE_TRAITS[wire];
  if (!traits.fec && fec !== null) {
    throw usageError(
      PROGRAM,
      `--fec needs --wire ${
        wireModesWith("fec").join(" or ")
      }: the ${wire} format has no parity datagrams`,
    );
  }
  if (flags.sdp !== undefined && !traits.sdp) {
    throw usageError(
      PROGRAM,
      `--sdp describes an RTP stream: add --wire ${wireModesWith("sdp").join(" or ")}`,
    );
  }
  if (flags.sdp !== undefined && destinations.length === 0) {
    throw usageError(
      PROGRAM,
      "--sdp describes the stream to --to: add --to HOST:PORT (RTSP clients get their " +
        "description from the server)",
    );
  }
  // RTSP clients get RTP/JPEG whatever --wire the --to destinations get.
  const rtspMaxPx = WIRE_TRAITS.rtp.maxDimensionPx!;
  if (rtsp !== null && size && Math.max(size.width, size.height) > rtspMaxPx) {
    throw usageError(
      PROGRAM,
      `--rtsp carries frames up to ${rtspMaxPx} pixels wide and high (RFC 2435), ` +
        `got --size ${size.width}x${size.height}`,
    );
  }
  const maxDimensionPx = traits.maxDimensionPx;
  if (maxDimensionPx !== null && size && Math.max(size.width, size.height) > maxDimensionPx) {
    throw usageError(
      PROGRAM,
      `--wire ${wire} carries frames up to ${maxDimensionPx} pixels wide and high (RFC 2435), ` +
        `got --size ${size.width}x${size.height}`,
    );
  }

  const adaptText = flags.adapt?.trim().toLowerCase();
  if (adaptText !== undefined && adaptText !== "on" && adaptText !== "off") {
    throw usageError(PROGRAM, `--adapt must be on or off, got "${flags.adapt}"`);
  }
  if (adaptText === "on" && !traits.linkReports) {
    throw usageError(
      PROGRAM,
      `--adapt on needs --wire ${wireModesWith("linkReports").join(" or ")}: ` +
        `${wire} receivers send no reports (--max-rate caps any wire)`,
    );
  }
  const maxRateMbit = flags["max-rate"] === undefined ? null : numberFlag(
    PROGRAM,
    "max-rate",
    flags["max-rate"],
    0,
    MIN_MAX_RATE_MBIT,
    MAX_MAX_RATE_MBIT,
  );

  return {
    kind: "stream",
    options: {
      destinations,
      rtsp,
      source,
      size,
      wire,
      sdpPath: flags.sdp ?? null,
      rate: planRate({ sourceKind: source.kind, passthrough: flags.passthrough ?? false, fps }),
      quality: intFlag(PROGRAM, "quality", flags.quality, 80, 1, 100),
      passthrough: flags.passthrough ?? false,
      maxDatagramBytes: intFlag(
        PROGRAM,
        "max-datagram",
        flags["max-datagram"],
        DEFAULT_DATAGRAM_BYTES,
        MIN_DATAGRAM_BYTES,
        MAX_UDP_PAYLOAD_BYTES,
      ),
      maxFrames: intFlag(PROGRAM, "frames", flags.frames, 0, 1, Number.MAX_SAFE_INTEGER),
      durationS: numberFlag(PROGRAM, "duration", flags.duration, 0, 0.1, 1e7),
      fec,
      // Only udpcam v1 numbers fragments, so only it can ask for them again.
      nack: WIRE_TRAITS[wire].nack && !(flags["no-nack"] ?? false),
      savePath: flags.save ?? null,
      statsJson: flags["stats-json"] ?? false,
      ffmpegPath,
      ...senderMulticastOptions(PROGRAM, destinations, flags.ttl, flags["multicast-if"]),
      key: resolveKey(PROGRAM, {
        key: flags.key,
        keyFile: flags["key-file"],
        env,
        readKeyFile,
        wire,
      }),
      retry: flags.retry ?? false,
      adapt: adaptText === undefined ? traits.linkReports : adaptText === "on",
      maxRateBps: maxRateMbit === null ? null : maxRateMbit * 1_000_000,
    },
  };
}

/** `--fec` with no value (last, or before another flag) means the default setting. */
function withFecDefault(args: string[]): string[] {
  return args.map((arg, i) => {
    const next = args[i + 1];
    return arg === "--fec" && (next === undefined || next.startsWith("-")) ? "--fec=default" : arg;
  });
}

/** Parses a `--fec` value: off, default, xor:K, rs:K/M. */
export function parseFecSetting(text: string): FecSetting | null | { problem: string } {
  const value = text.trim().toLowerCase();
  if (value === "off" || value === "none") return null;
  if (value === "default" || value === "on" || value === "rs") return { ...DEFAULT_FEC_SETTING };
  const xor = /^xor:(\d{1,3})$/.exec(value);
  const rs = /^rs:(\d{1,3})\/(\d{1,3})$/.exec(value);
  const setting: FecSetting | null = xor
    ? { scheme: "xor", groupData: Number(xor[1]), groupParity: 1, interleaved: true }
    : rs
    ? { scheme: "rs", groupData: Number(rs[1]), groupParity: Number(rs[2]), interleaved: true }
    : null;
  if (setting === null) return { problem: `use off, xor:K or rs:K/M, got "${text}"` };
  const problem = fecSettingProblem(setting);
  return problem === null ? setting : { problem: `${problem}, got "${text}"` };
}

function fecFlag(text: string | undefined): FecSetting | null {
  if (text === undefined) return null;
  const parsed = parseFecSetting(text);
  if (parsed !== null && "problem" in parsed) throw usageError(PROGRAM, `--fec: ${parsed.problem}`);
  return parsed;
}
