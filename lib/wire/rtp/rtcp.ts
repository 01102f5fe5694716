/**
 * RTCP (RFC 3550 §6): the sender report an RTP sender owes its receivers, and the receiver
 * reports (RR, and the report blocks inside SR) that RTSP clients send back, parsed into a
 * per-client loss summary.
 *
 * ```text
 * Common header (every RTCP packet), 4 bytes:
 * |V=2|P|  count  |      PT       |    length (32-bit words - 1)  |
 * SR (PT 200): header with count = report blocks, then
 * |                         SSRC of sender                        |
 * |              NTP timestamp, most significant word             |
 * |             NTP timestamp, least significant word             |
 * |                         RTP timestamp                         |
 * |                     sender's packet count                     |
 * |                      sender's octet count                     |
 * |                   report blocks (24 bytes each)               |
 * RR (PT 201): header, SSRC of packet sender, report blocks.
 * Report block, 24 bytes:
 * |                 SSRC of the source reported on                |
 * | fraction lost |       cumulative packets lost (signed)        |
 * |           extended highest sequence number received           |
 * |                      interarrival jitter                      |
 * |                        last SR (LSR)                          |
 * |                  delay since last SR (DLSR)                   |
 * SDES (PT 202): header with count = chunks; each chunk is an SSRC and items
 * (type, length, text), ended by one to four zero bytes so the next chunk is word-aligned.
 * ```
 *
 * A compound packet is several RTCP packets back to back in one datagram (or one interleaved
 * frame). RFC 3550 §6.1 requires every compound to carry an SDES CNAME, which is why
 * {@linkcode writeSenderReport} always appends one.
 *
 * Parsing never throws: bad input returns `{ ok: false, reason }`. The A.2 rule "the first packet
 * is SR or RR" is not enforced, so reduced-size RTCP (RFC 5506) still parses; every packet's
 * length must fit, padding may only end the last packet, and at most
 * {@linkcode MAX_RTCP_PACKETS} packets are read from one compound.
 *
 * @module
 */

/** The RTCP packet types this module reads or writes (RFC 3550 §12.1). */
export const RtcpPacketType = {
  /** Sender report. */
  SenderReport: 200,
  /** Receiver report. */
  ReceiverReport: 201,
  /** Source description. */
  SourceDescription: 202,
  /** Goodbye. */
  Bye: 203,
  /** Application-defined. */
  App: 204,
} as const;

/** Bytes of the common RTCP header. */
export const RTCP_HEADER_BYTES = 4;
/** Bytes of an SR's sender info (SSRC excluded). */
export const SENDER_INFO_BYTES = 20;
/** Bytes of one report block. */
export const REPORT_BLOCK_BYTES = 24;
/** Most packets read from one compound; later ones make the compound invalid. */
export const MAX_RTCP_PACKETS = 16;
/** Longest SDES item text (the length field is 8 bits). */
export const MAX_SDES_TEXT_BYTES = 255;
/** SDES item type of CNAME. */
export const SDES_CNAME = 1;
/** Seconds from the NTP era (1900-01-01) to the Unix epoch (1970-01-01). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** A 64-bit NTP timestamp (RFC 3550 §4): seconds since 1900 and a binary fraction of a second. */
export interface NtpTimestamp {
  /** Whole seconds since 1900-01-01 00:00 UTC, modulo 2^32. */
  seconds: number;
  /** Fraction of a second in units of 2^-32 s, 0..2^32-1. */
  fraction: number;
}

/** The NTP timestamp of `unixMs` milliseconds since the Unix epoch. */
export function ntpFromUnixMs(unixMs: number): NtpTimestamp {
  const wholeSeconds = Math.floor(unixMs / 1000);
  const remainderMs = unixMs - wholeSeconds * 1000;
  const fraction = Math.min(0xffff_ffff, Math.round(remainderMs / 1000 * 0x1_0000_0000));
  return { seconds: (wholeSeconds + NTP_UNIX_OFFSET_S) >>> 0, fraction };
}

/**
 * The middle 32 bits of an NTP timestamp (16 bits of seconds, 16 of fraction): the form LSR and
 * DLSR use, in units of 1/65536 s.
 */
export function ntpMiddle32(ntp: NtpTimestamp): number {
  return (((ntp.seconds & 0xffff) << 16) | (ntp.fraction >>> 16)) >>> 0;
}

/** What one sender report says. */
export interface SenderReportOptions {
  /** SSRC of the RTP stream (the packetizer's). */
  ssrc: number;
  /** Wall-clock time of this report, in the clock receivers will compare it against. */
  ntp: NtpTimestamp;
  /** The RTP timestamp corresponding to `ntp`, in the stream's clock (90 kHz for video). */
  rtpTimestamp: number;
  /** RTP packets sent since the stream started, modulo 2^32. */
  packetCount: number;
  /** RTP payload octets sent since the stream started (headers excluded), modulo 2^32. */
  octetCount: number;
  /** The canonical name, e.g. "udpcam@host": at most {@linkcode MAX_SDES_TEXT_BYTES} bytes of UTF-8. */
  cname: string;
}

/**
 * Writes a compound RTCP packet: an SR without report blocks (the sender receives no RTP), then an
 * SDES with the CNAME, as RFC 3550 §6.1 requires of every compound.
 *
 * @example Write a report and read it back
 * ```ts
 * import { ntpFromUnixMs, parseRtcp, writeSenderReport } from "./rtcp.ts";
 *
 * const bytes = writeSenderReport({
 *   ssrc: 0x1234,
 *   ntp: ntpFromUnixMs(Date.UTC(2024, 0, 1)),
 *   rtpTimestamp: 90_000,
 *   packetCount: 10,
 *   octetCount: 12_000,
 *   cname: "udpcam@camera",
 * });
 * const parsed = parseRtcp(bytes);
 * if (!parsed.ok || parsed.packets[0].type !== "sr") throw new Error("not a sender report");
 * console.log(parsed.packets[0].senderInfo.packetCount); // 10
 * ```
 *
 * @throws {RangeError} when the CNAME is empty or longer than {@linkcode MAX_SDES_TEXT_BYTES} bytes.
 */
export function writeSenderReport(options: SenderReportOptions): Uint8Array {
  const cname = new TextEncoder().encode(options.cname);
  if (cname.length === 0 || cname.length > MAX_SDES_TEXT_BYTES) {
    throw new RangeError(
      `Cannot write an RTCP CNAME of ${cname.length} bytes: use 1..${MAX_SDES_TEXT_BYTES} bytes.`,
    );
  }
  const srBytes = RTCP_HEADER_BYTES + 4 + SENDER_INFO_BYTES;
  // SSRC + type + length + text + at least one terminating zero, rounded up to a word.
  const chunkBytes = Math.ceil((4 + 2 + cname.length + 1) / 4) * 4;
  const sdesBytes = RTCP_HEADER_BYTES + chunkBytes;
  const out = new Uint8Array(srBytes + sdesBytes);
  const view = new DataView(out.buffer);
  view.setUint8(0, 0x80); // V=2, P=0, RC=0
  view.setUint8(1, RtcpPacketType.SenderReport);
  view.setUint16(2, srBytes / 4 - 1);
  view.setUint32(4, options.ssrc >>> 0);
  view.setUint32(8, options.ntp.seconds >>> 0);
  view.setUint32(12, options.ntp.fraction >>> 0);
  view.setUint32(16, options.rtpTimestamp >>> 0);
  view.setUint32(20, options.packetCount >>> 0);
  view.setUint32(24, options.octetCount >>> 0);
  const sdes = srBytes;
  view.setUint8(sdes, 0x81); // V=2, P=0, SC=1
  view.setUint8(sdes + 1, RtcpPacketType.SourceDescription);
  view.setUint16(sdes + 2, sdesBytes / 4 - 1);
  view.setUint32(sdes + 4, options.ssrc >>> 0);
  view.setUint8(sdes + 8, SDES_CNAME);
  view.setUint8(sdes + 9, cname.length);
  out.set(cname, sdes + 10);
  // The remaining bytes are already zero: the item-list terminator and the word padding.
  return out;
}

/** One reception report block: how one receiver sees one source. */
export interface RtcpReportBlock {
  /** SSRC of the source this block reports on. */
  ssrc: number;
  /** Packets lost since the previous report, as a fraction of 256 (0..255). */
  fractionLost: number;
  /** Packets lost since reception began (signed 24 bits: duplicates can make it negative). */
  cumulativeLost: number;
  /** Highest sequence number received, extended with the count of wraps in the high 16 bits. */
  extendedHighestSequence: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP time of the last SR received from the source, or 0 if none. */
  lastSenderReport: number;
  /** Time since that SR was received, in units of 1/65536 s (0 if none). */
  delaySinceLastSenderReport: number;
}

/** The sender info of an SR. */
export interface RtcpSenderInfo {
  /** Wall-clock time of the report. */
  ntp: NtpTimestamp;
  /** RTP timestamp corresponding to `ntp`. */
  rtpTimestamp: number;
  /** Packets sent, modulo 2^32. */
  packetCount: number;
  /** Payload octets sent, modulo 2^32. */
  octetCount: number;
}

/** One packet of a parsed compound. */
export type RtcpPacket =
  | { type: "sr"; ssrc: number; senderInfo: RtcpSenderInfo; reports: RtcpReportBlock[] }
  | { type: "rr"; ssrc: number; reports: RtcpReportBlock[] }
  | { type: "sdes"; chunks: { ssrc: number; cname: string | null }[] }
  | { type: "bye"; ssrcs: number[]; reason: string | null }
  | { type: "other"; packetType: number; count: number; bodyBytes: number };

/** Reasons a compound is refused. */
export const RTCP_DROP_REASONS = [
  "short",
  "version",
  "length",
  "padding",
  "tooManyPackets",
  "reportBlocks",
  "sdes",
  "bye",
] as const;
/** A reason a compound is refused. */
export type RtcpDropReason = typeof RTCP_DROP_REASONS[number];

/** Result of {@linkcode parseRtcp}. */
export type RtcpParseResult =
  | { ok: true; packets: RtcpPacket[] }
  | { ok: false; reason: RtcpDropReason };

function readReportBlocks(
  view: DataView,
  start: number,
  count: number,
  end: number,
): RtcpReportBlock[] | null {
  if (start + count * REPORT_BLOCK_BYTES > end) return null;
  const blocks: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const at = start + i * REPORT_BLOCK_BYTES;
    const lost = view.getUint32(at + 4);
    const cumulative = lost & 0xff_ffff;
    blocks.push({
      ssrc: view.getUint32(at),
      fractionLost: lost >>> 24,
      // Sign-extend the 24-bit two's-complement count.
      cumulativeLost: cumulative >= 0x80_0000 ? cumulative - 0x100_0000 : cumulative,
      extendedHighestSequence: view.getUint32(at + 8),
      jitter: view.getUint32(at + 12),
      lastSenderReport: view.getUint32(at + 16),
      delaySinceLastSenderReport: view.getUint32(at + 20),
    });
  }
  return blocks;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

function readSdes(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  count: number,
  end: number,
): { ssrc: number; cname: string | null }[] | null {
  const chunks: { ssrc: number; cname: string | null }[] = [];
  let at = start;
  for (let i = 0; i < count; i++) {
    if (at + 4 > end) return null;
    const ssrc = view.getUint32(at);
    at += 4;
    let cname: string | null = null;
    // Items until a zero type byte; each item is at least 2 bytes, so this ends within `end`.
    for (;;) {
      if (at >= end) return null;
      const itemType = bytes[at];
      if (itemType === 0) break;
      if (at + 2 > end) return null;
      const length = bytes[at + 1];
      if (at + 2 + length > end) return null;
      if (itemType === SDES_CNAME && cname === null) {
        cname = utf8.decode(bytes.subarray(at + 2, at + 2 + length));
      }
      at += 2 + length;
    }
    // The terminating zero, then zeros up to the next word boundary (relative to the packet).
    at = start + Math.ceil((at + 1 - start) / 4) * 4;
    if (at > end) return null;
    chunks.push({ ssrc, cname });
  }
  return chunks;
}

/** Parses a compound RTCP packet. Never throws; the bytes are not kept. */
export function parseRtcp(bytes: Uint8Array): RtcpParseResult {
  if (bytes.length < RTCP_HEADER_BYTES) return { ok: false, reason: "short" };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const packets: RtcpPacket[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (packets.length === MAX_RTCP_PACKETS) return { ok: false, reason: "tooManyPackets" };
    if (at + RTCP_HEADER_BYTES > bytes.length) return { ok: false, reason: "short" };
    const first = bytes[at];
    if (first >> 6 !== 2) return { ok: false, reason: "version" };
    const count = first & 0x1f;
    const packetType = bytes[at + 1];
    const packetBytes = (view.getUint16(at + 2) + 1) * 4;
    let end = at + packetBytes;
    if (end > bytes.length) return { ok: false, reason: "length" };
    if ((first & 0x20) !== 0) {
      // RFC 3550 §6.4.1: padding only on the last packet of a compound.
      if (end !== bytes.length) return { ok: false, reason: "padding" };
      const padding = bytes[end - 1];
      if (padding === 0 || padding > packetBytes - RTCP_HEADER_BYTES) {
        return { ok: false, reason: "padding" };
      }
      end -= padding;
    }
    const body = at + RTCP_HEADER_BYTES;
    switch (packetType) {
      case RtcpPacketType.SenderReport: {
        if (body + 4 + SENDER_INFO_BYTES > end) return { ok: false, reason: "short" };
        const reports = readReportBlocks(view, body + 4 + SENDER_INFO_BYTES, count, end);
        if (reports === null) return { ok: false, reason: "reportBlocks" };
        packets.push({
          type: "sr",
          ssrc: view.getUint32(body),
          senderInfo: {
            ntp: { seconds: view.getUint32(body + 4), fraction: view.getUint32(body + 8) },
            rtpTimestamp: view.getUint32(body + 12),
            packetCount: view.getUint32(body + 16),
            octetCount: view.getUint32(body + 20),
          },
          reports,
        });
        break;
      }
      case RtcpPacketType.ReceiverReport: {
        if (body + 4 > end) return { ok: false, reason: "short" };
        const reports = readReportBlocks(view, body + 4, count, end);
        if (reports === null) return { ok: false, reason: "reportBlocks" };
        packets.push({ type: "rr", ssrc: view.getUint32(body), reports });
        break;
      }
      case RtcpPacketType.SourceDescription: {
        const chunks = readSdes(bytes, view, body, count, end);
        if (chunks === null) return { ok: false, reason: "sdes" };
        packets.push({ type: "sdes", chunks });
        break;
      }
      case RtcpPacketType.Bye: {
        if (body + 4 * count > end) return { ok: false, reason: "bye" };
        const ssrcs: number[] = [];
        for (let i = 0; i < count; i++) ssrcs.push(view.getUint32(body + 4 * i));
        let reason: string | null = null;
        const reasonAt = body + 4 * count;
        if (reasonAt < end) {
          const length = bytes[reasonAt];
          if (reasonAt + 1 + length > end) return { ok: false, reason: "bye" };
          reason = utf8.decode(bytes.subarray(reasonAt + 1, reasonAt + 1 + length));
        }
        packets.push({ type: "bye", ssrcs, reason });
        break;
      }
      default:
        packets.push({ type: "other", packetType, count, bodyBytes: end - body });
    }
    at += packetBytes;
  }
  return { ok: true, packets };
}

/** How one receiver fares, from one report block. */
export interface ReceptionSummary {
  /** Share of packets lost since the previous report, 0..1. */
  fractionLost: number;
  /** Packets lost since reception began (may be negative with duplicates). */
  cumulativeLost: number;
  /** Extended highest sequence number received. */
  extendedHighestSequence: number;
  /** Interarrival jitter in milliseconds. */
  jitterMs: number;
  /**
   * Round-trip time from LSR and DLSR, or null when the receiver has not seen an SR yet or the
   * figure is impossible (the report claims to come back before the SR went out).
   */
  roundTripMs: number | null;
}

/** Round trips this far below zero (1 ms, in 1/65536 s) are rounding, shown as 0. */
const RTT_ROUNDING_UNITS = 66;

/**
 * Summarises a report block that arrived at `arrivalNtpMiddle32` ({@linkcode ntpMiddle32} of the
 * arrival time, in the clock the SRs were stamped with).
 *
 * @param clockRateHz RTP clock rate of the stream, for the jitter in milliseconds.
 */
export function summarizeReportBlock(
  block: RtcpReportBlock,
  arrivalNtpMiddle32: number,
  clockRateHz = 90_000,
): ReceptionSummary {
  let roundTripMs: number | null = null;
  if (block.lastSenderReport !== 0) {
    // RFC 3550 §6.4.1: RTT = A - LSR - DLSR, all in 1/65536 s, modulo 2^32.
    const units = (arrivalNtpMiddle32 - block.lastSenderReport - block.delaySinceLastSenderReport) |
      0;
    if (units >= 0) roundTripMs = units * 1000 / 65536;
    else if (units > -RTT_ROUNDING_UNITS) roundTripMs = 0;
  }
  return {
    fractionLost: block.fractionLost / 256,
    cumulativeLost: block.cumulativeLost,
    extendedHighestSequence: block.extendedHighestSequence,
    jitterMs: block.jitter * 1000 / clockRateHz,
    roundTripMs,
  };
}

/** Counters and the latest view of one client's reports, kept by {@linkcode ReceptionTracker}. */
export interface ReceptionCounters {
  /** Compounds pushed. */
  compoundsReceived: number;
  /** Compounds refused, by reason. */
  compoundDrops: Record<RtcpDropReason, number>;
  /** Report blocks about our SSRC. */
  reportBlocks: number;
  /** Report blocks about another SSRC (ignored). */
  foreignBlocks: number;
  /** BYE packets naming any SSRC. */
  byes: number;
}

/**
 * The per-client loss summary: feed it every RTCP compound one client sends; it keeps counters and
 * the summary of the latest report block about `ssrc`.
 */
export class ReceptionTracker {
  readonly #ssrc: number;
  readonly #clockRateHz: number;
  #latest: ReceptionSummary | null = null;
  #counters: ReceptionCounters = {
    compoundsReceived: 0,
    compoundDrops: Object.fromEntries(RTCP_DROP_REASONS.map((r) => [r, 0])) as Record<
      RtcpDropReason,
      number
    >,
    reportBlocks: 0,
    foreignBlocks: 0,
    byes: 0,
  };

  /**
   * A tracker with no reports yet.
   *
   * @param ssrc The SSRC we send with; blocks about other sources are counted and ignored.
   * @param clockRateHz RTP clock rate of the stream.
   */
  constructor(ssrc: number, clockRateHz = 90_000) {
    this.#ssrc = ssrc >>> 0;
    this.#clockRateHz = clockRateHz;
  }

  /**
   * Takes one compound that arrived at `arrivalNtpMiddle32`. Returns the parsed packets, or null
   * when the compound was refused (counted by reason). Never throws.
   */
  push(compound: Uint8Array, arrivalNtpMiddle32: number): RtcpPacket[] | null {
    this.#counters.compoundsReceived++;
    const parsed = parseRtcp(compound);
    if (!parsed.ok) {
      this.#counters.compoundDrops[parsed.reason]++;
      return null;
    }
    for (const packet of parsed.packets) {
      if (packet.type === "bye") this.#counters.byes++;
      if (packet.type !== "sr" && packet.type !== "rr") continue;
      for (const block of packet.reports) {
        if (block.ssrc !== this.#ssrc) {
          this.#counters.foreignBlocks++;
          continue;
        }
        this.#counters.reportBlocks++;
        this.#latest = summarizeReportBlock(block, arrivalNtpMiddle32, this.#clockRateHz);
      }
    }
    return parsed.packets;
  }

  /** The summary of the latest block about our SSRC, or null before the first. */
  get latest(): ReceptionSummary | null {
    return this.#latest;
  }

  /** Counters since construction (a copy). */
  get counters(): ReceptionCounters {
    return { ...this.#counters, compoundDrops: { ...this.#counters.compoundDrops } };
  }
}
