/**
 * The wire formats udpcam speaks (`--wire`): what each one supports (a table of traits), and the
 * packetizer and depacketizer `--wire` builds. Each format lives in its own folder: v1/, legacy/,
 * rtp/; what they share is in frames/.
 *
 * @module
 */

export {
  createDepacketizer,
  createPacketizer,
  WIRE_MODES,
  WIRE_TRAITS,
  wireModesWith,
  wireTraitsOf,
} from "./modes.ts";
export type { ReceiverWire, ReceiverWireSettings, WireMode, WireTraits } from "./modes.ts";
