/**
 * Sender side of forward error correction: the parity datagrams protecting one frame's fragments.
 *
 * @module
 */

import {
  encodeGroup,
  type FecSetting,
  fecSettingProblem,
  groupCount,
  groupMembers,
} from "../../fec/mod.ts";
import {
  decodeHeader,
  encodeHeader,
  encodeParityFields,
  FecSchemeId,
  HEADER_BYTES,
  PacketType,
  PARITY_FIELDS_BYTES,
  parityShardBytes,
} from "./header.ts";

/**
 * Returns the parity datagrams for `dataDatagrams`, all fragments of one frame in index order as
 * `fragmentFrame` made them. Send them after the data.
 *
 * Parities come ordered by parity index, then group (p0 of every group, then p1, ...), so a burst
 * that hits the tail of the frame takes at most a few parities from any one group. Every datagram
 * is a view into one buffer allocated here. Each is `HEADER_BYTES + 4` bytes longer than the
 * frame's data payloads at most, so keep the fragmenter's datagram size 4 bytes under the path MTU
 * budget when FEC is on.
 *
 * @throws {RangeError} when the setting is unusable or the datagrams are not one whole frame.
 */
export function fecParityDatagrams(
  dataDatagrams: readonly Uint8Array[],
  setting: FecSetting,
): Uint8Array[] {
  const problem = fecSettingProblem(setting);
  if (problem !== null) throw new RangeError(`Cannot use FEC setting: ${problem}`);
  const first = dataDatagrams.length > 0 ? decodeHeader(dataDatagrams[0]) : null;
  if (
    first === null || !first.ok || first.header.type !== PacketType.Fragment ||
    first.header.fragmentCount !== dataDatagrams.length
  ) {
    throw new RangeError(
      "Cannot compute parity: the datagrams are not all fragments of one frame. " +
        "Pass fragmentFrame's output unchanged.",
    );
  }
  const header = first.header;
  const count = header.fragmentCount;
  const interleaved = setting.interleaved ?? true;
  const shardBytes = parityShardBytes(header.frameBytes, count);
  const groups = groupCount(count, setting.groupData);
  const parityBytes = HEADER_BYTES + PARITY_FIELDS_BYTES + shardBytes;
  const buffer = new Uint8Array(groups * setting.groupParity * parityBytes);
  const out: Uint8Array[] = new Array(groups * setting.groupParity);
  const scheme = setting.scheme === "xor" ? FecSchemeId.Xor : FecSchemeId.ReedSolomon;
  for (let group = 0; group < groups; group++) {
    const payloads = groupMembers(count, setting.groupData, interleaved, group)
      .map((index) => dataDatagrams[index].subarray(HEADER_BYTES));
    encodeGroup(setting, payloads, shardBytes).forEach((shard, parityIndex) => {
      const slot = parityIndex * groups + group;
      const at = slot * parityBytes;
      encodeHeader(
        { ...header, type: PacketType.Parity, typeSpecific: scheme, fragmentIndex: group },
        buffer,
        at,
      );
      encodeParityFields(
        {
          groupData: setting.groupData,
          groupParity: setting.groupParity,
          parityIndex,
          interleaved,
        },
        buffer,
        at + HEADER_BYTES,
      );
      buffer.set(shard, at + HEADER_BYTES + PARITY_FIELDS_BYTES);
      out[slot] = buffer.subarray(at, at + parityBytes);
    });
  }
  return out;
}
