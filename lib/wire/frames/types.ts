/**
 * The two interfaces every wire mode (udpcam v1, legacy, RTP/JPEG) implements, so the sender and
 * receiver can swap formats without knowing them.
 *
 * @module
 */

/** A whole JPEG frame rebuilt by a {@linkcode FrameDepacketizer}. */
export interface ReceivedFrame {
  /** Source stream (v1 stream id, RTP SSRC, 0 in legacy mode). */
  streamId: number;
  /** Frame sequence number as the mode numbers frames. */
  frameSeq: number;
  /** Sender's capture time in µs since the Unix epoch, or null when the mode does not carry it. */
  captureUs: number | null;
  /** The complete JPEG. The receiver owns it. */
  bytes: Uint8Array;
  /** `nowMs` of the datagram that completed it. */
  completeMs: number;
}

/** Counters every depacketizer keeps; reasons are mode-specific strings. */
export interface DepacketizerCounters {
  /** Datagrams pushed. */
  datagramsReceived: number;
  /** Bytes of the datagrams pushed, headers included. */
  bytesReceived: number;
  /** Datagrams dropped, by reason. */
  datagramDrops: Record<string, number>;
  /** Frames emitted. */
  framesComplete: number;
  /** Frames given up incomplete or invalid, by reason. */
  frameDrops: Record<string, number>;
}

/** Turns frames into datagrams. Pure: no I/O, no clock. */
export interface FramePacketizer {
  /**
   * Datagrams carrying `frame`, read from ffmpeg at `captureUs` (µs since the Unix epoch), with
   * about `paddingBytes` more of padding where the mode can carry it (v1: extra FEC parity, so
   * the padding also repairs; other modes ignore it). Default 0.
   */
  packetize(frame: Uint8Array, captureUs: number, paddingBytes?: number): Uint8Array[];
}

/** Turns datagrams back into frames. Pure: the caller passes the clock in. */
export interface FrameDepacketizer {
  /** Feeds one datagram received at `nowMs`; returns the frame it completes, if any. Never throws. */
  push(datagram: Uint8Array, nowMs: number): ReceivedFrame | null;
  /** Gives up frames that waited too long; call it when no datagram arrives, too. */
  expire(nowMs: number): void;
  /** Counters since construction. */
  readonly counters: DepacketizerCounters;
}
