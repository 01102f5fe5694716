/**
 * udpcam's own wire format, v1: the 30-byte header, fragments, FEC parity, NACKs, and the sender's
 * and receiver's halves of loss recovery (retransmit history, NACK tracker). Byte layouts in
 * docs/protocol.md.
 *
 * @module
 */

export {
  decodeHeader,
  encodeHeader,
  Flags,
  fragmentPayloadBytes,
  HEADER_BYTES,
  MAGIC_0,
  MAGIC_1,
  PacketType,
  PARITY_FIELDS_BYTES,
  readParityFields,
  WIRE_VERSION,
} from "./header.ts";
export type { ParityFields, WireHeader } from "./header.ts";
export { encodeNack, NACK_FIXED_BYTES } from "./nack.ts";
export { NackTracker } from "./nack_tracker.ts";
export { fragmentFrame, V1Packetizer } from "./packetizer.ts";
export { fecParityDatagrams } from "./parity.ts";
export { Reassembler } from "./reassembler.ts";
export {
  captureUsLow32,
  decodeLinkReport,
  encodeLinkReport,
  LINK_REPORT_BYTES,
  LINK_REPORT_CLEAR_BYTES,
  LINK_REPORT_DECODE_FAILURES,
  linkReportProblem,
  linkReportRefusal,
  MAX_DELAY_TREND_US_PER_S,
  MAX_REPORT_DELAY_US,
  MAX_REPORT_INTERVAL_MS,
  MAX_REPORT_RATE_BPS,
  MIN_COUNTED_DATAGRAM_BYTES,
  REPORT_TYPE,
} from "./report.ts";
export type { LinkReport, LinkReportDecodeFailure } from "./report.ts";
export { RetransmitHistory } from "./retransmit_history.ts";
