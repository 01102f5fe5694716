/**
 * What every wire format shares: the packetizer and depacketizer interfaces, the frame a
 * depacketizer emits, and serial-number arithmetic for frame order.
 *
 * @module
 */

export { seqIsNewer } from "./serial.ts";
export type {
  DepacketizerCounters,
  FrameDepacketizer,
  FramePacketizer,
  ReceivedFrame,
} from "./types.ts";
