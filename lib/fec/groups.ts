/**
 * Which data fragments of a frame share a forward-error-correction group: in blocks (g·K ..
 * g·K+K−1) or interleaved (g, g+G, g+2G, ... with G groups), so a burst of losses spreads over
 * groups. The wire layout is in docs/protocol.md, "Forward error correction".
 *
 * @module
 */

/** Number of groups a frame of `fragmentCount` fragments is cut into at `groupData` per group. */
export function groupCount(fragmentCount: number, groupData: number): number {
  return Math.ceil(fragmentCount / groupData);
}

/** The group fragment `index` belongs to. */
export function groupOf(
  fragmentCount: number,
  groupData: number,
  interleaved: boolean,
  index: number,
): number {
  return interleaved ? index % groupCount(fragmentCount, groupData) : Math.floor(index / groupData);
}

/** Fragment indexes of `group`, in the order the code numbers its data shards. */
export function groupMembers(
  fragmentCount: number,
  groupData: number,
  interleaved: boolean,
  group: number,
): number[] {
  const members: number[] = [];
  if (interleaved) {
    const groups = groupCount(fragmentCount, groupData);
    for (let index = group; index < fragmentCount; index += groups) members.push(index);
  } else {
    const end = Math.min(fragmentCount, (group + 1) * groupData);
    for (let index = group * groupData; index < end; index++) members.push(index);
  }
  return members;
}
