/**
 * What every wire format shares: the packetizer and depacketizer interfaces, the frame a
 * depacketizer emits, the table of frames in flight that formats with frame ids keep, and
 * serial-number arithmetic for frame order.
 *
 * @module
 */

export { FrameTable, PIECE_BOOKKEEPING_BYTES } from "./frame_table.ts";
export type {
  FollowResult,
  FrameEntry,
  FrameTableCounting,
  FrameTableDropReason,
  FrameTableOptions,
} from "./frame_table.ts";
export { seqIsNewer } from "./serial.ts";
export type {
  DepacketizerCounters,
  FrameDepacketizer,
  FramePacketizer,
  ReceivedFrame,
} from "./types.ts";
