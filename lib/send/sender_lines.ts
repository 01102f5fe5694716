/**
 * The lines udpcam-send prints about its stream: the "streaming ... to ..." banner, the note on
 * what a wire format can carry, and why a frame was skipped. Pure: values in, text out.
 *
 * @module
 */

import type { Source } from "../capture/mod.ts";
import { describeFecSetting, type FecSetting } from "../fec/mod.ts";
import { MACOS_MAX_DATAGRAM_BYTES } from "../net/mod.ts";
import { WIRE_TRAITS, type WireMode } from "../wire/mod.ts";
import { LEGACY_MAX_SEGMENTS, legacySegmentBytes } from "../wire/legacy/mod.ts";
import { type RatePlan, rateText } from "./rate_plan.ts";

/** Everything the banner tells. */
export interface StreamingBanner {
  /** What is captured; a camera with the device actually opened (null: the OS default). */
  source: Source;
  /** Frame size, or null for the source's own. */
  size: { width: number; height: number } | null;
  /** Who sets the pace of frames. */
  rate: RatePlan;
  /** `--passthrough`. */
  passthrough: boolean;
  /** The destinations, formatted and joined (as the status line shows them). */
  destinations: string;
  /** This run's random stream id (v1) or SSRC (rtp). */
  streamId: number;
  /** The wire format. */
  wire: WireMode;
  /** Largest datagram, header included. */
  maxDatagramBytes: number;
  /** The FEC setting, or null for none. */
  fec: FecSetting | null;
  /** Whether NACKs are answered. */
  nack: boolean;
  /** Whether every datagram is sealed (`--key`). */
  sealed: boolean;
}

/**
 * The line printed once capture has started: what goes where, and how.
 *
 * @example
 * ```ts
 * import { streamingLine } from "./sender_lines.ts";
 *
 * const line = streamingLine({
 *   source: { kind: "testPattern" },
 *   size: { width: 1280, height: 720 },
 *   rate: { kind: "capture", fps: 30 },
 *   passthrough: false,
 *   destinations: "127.0.0.1:12345",
 *   streamId: 0xabc,
 *   wire: "v1",
 *   maxDatagramBytes: 1200,
 *   fec: null,
 *   nack: true,
 *   sealed: false,
 * });
 * const expected = "udpcam-send: streaming test pattern at 1280x720 30 fps to 127.0.0.1:12345 " +
 *   "(stream id 0x00000abc, v1 wire, datagrams <= 1200 bytes, FEC off, NACK answered, " +
 *   "not encrypted)";
 * if (line !== expected) throw new Error(line);
 * ```
 */
export function streamingLine(banner: StreamingBanner): string {
  const { source, size, passthrough } = banner;
  const sizeText = size ? `${size.width}x${size.height}` : "source size";
  const what = source.kind === "camera"
    ? `camera ${source.device ?? "(default)"}`
    : source.kind === "file"
    ? `file ${source.path}`
    : "test pattern";
  const described = `${what} at ${sizeText} ${rateText(banner.rate)}${
    passthrough ? " (pass-through)" : ""
  }`;
  return `udpcam-send: streaming ${described} to ${banner.destinations} ` +
    `(stream id 0x${banner.streamId.toString(16).padStart(8, "0")}, ${banner.wire} wire, ` +
    `datagrams <= ${banner.maxDatagramBytes} bytes, ` +
    `FEC ${banner.fec ? describeFecSetting(banner.fec) : "off"}, ` +
    `NACK ${banner.nack ? "answered" : "off"}, ` +
    `${banner.sealed ? "sealed with AES-256-GCM" : "not encrypted"})`;
}

/**
 * A note on what `wire` can carry at `maxDatagramBytes`, or null when there is nothing to say:
 * legacy frames are capped at 255 datagrams, and its original 64 KB datagrams exceed macOS's
 * limit. (A table of traits has no row for this: it is the legacy design's own arithmetic.)
 */
export function wireNote(wire: WireMode, maxDatagramBytes: number): string | null {
  switch (wire) {
    case "v1":
    case "rtp":
      return null;
    case "legacy":
      break;
  }
  const maxFrameBytes = LEGACY_MAX_SEGMENTS * legacySegmentBytes(maxDatagramBytes);
  const mac = maxDatagramBytes > MACOS_MAX_DATAGRAM_BYTES
    ? ` Note: macOS refuses datagrams over ${MACOS_MAX_DATAGRAM_BYTES} bytes (net.inet.udp.maxdgram).`
    : "";
  return `udpcam-send: legacy wire format: frames up to ${maxFrameBytes} bytes ` +
    `(255 datagrams of ${maxDatagramBytes}); raise --max-datagram for bigger frames ` +
    `(the original design uses 65473).${mac}`;
}

/** How many skipped frames get a line: the first few reasons are enough to act on. */
export const MAX_REFUSALS_LOGGED = 3;

/** A frame the wire format refused. */
export interface FrameRefusal {
  /** The frame's number among those read (1 is the first). */
  frameNumber: number;
  /** Why the packetizer refused it. */
  error: unknown;
  /** The wire format. */
  wire: WireMode;
  /** `--passthrough`: the frames are the source's own, not ffmpeg's re-encoding. */
  passthrough: boolean;
}

/**
 * The line for a skipped frame. A format that needs standard JPEGs gets them from a re-encode,
 * so a pass-through frame it refuses comes with that hint.
 */
export function refusalLine(refusal: FrameRefusal): string {
  const { error } = refusal;
  const reason = error instanceof Error ? error.message : String(error);
  const hint = WIRE_TRAITS[refusal.wire].standardJpeg && refusal.passthrough
    ? " Or drop --passthrough to have udpcam re-encode."
    : "";
  return `udpcam-send: skipped frame ${refusal.frameNumber}: ${reason}${hint}`;
}
