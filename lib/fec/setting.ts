/**
 * The forward-error-correction setting of a stream (`--fec`): scheme, data and parity shards per
 * group, layout; the default, its validation and how the banner describes it.
 *
 * @module
 */

export type FecScheme = "xor" | "rs";

/** How the sender protects each frame. */
export interface FecSetting {
  /** "xor": one parity per group; "rs": Reed-Solomon, `groupParity` parities per group. */
  scheme: FecScheme;
  /** K: data fragments per group, 1..255. */
  groupData: number;
  /** M: parity datagrams per group; 1 for "xor", 1..255 with K + M ≤ 256 for "rs". */
  groupParity: number;
  /**
   * True (the default): group g of G = ceil(N / K) holds fragments g, g + G, g + 2G, ... so a burst
   * of consecutive losses hits different groups. False: group g holds fragments gK .. gK + K - 1.
   */
  interleaved?: boolean;
}

/**
 * The default: Reed-Solomon, 3 parities per 20 fragments, interleaved: 15 % overhead on a frame of
 * 40 fragments; what it recovers at each loss rate is measured by bench/fec_sim.ts (docs/protocol.md,
 * "Forward error correction"). Small frames pay more: a frame of N < 20 fragments still gets 3
 * parities.
 */
export const DEFAULT_FEC_SETTING: Readonly<Required<FecSetting>> = {
  scheme: "rs",
  groupData: 20,
  groupParity: 3,
  interleaved: true,
};

/** Most data + parity shards a Reed-Solomon group over GF(256) may have. */
const MAX_RS_SHARDS = 256;

/**
 * Returns why `setting` is unusable, phrased for an error message, or null when it is fine.
 */
export function fecSettingProblem(setting: FecSetting): string | null {
  const { scheme, groupData, groupParity } = setting;
  if (scheme !== "xor" && scheme !== "rs") return `unknown scheme "${scheme}" (use xor or rs)`;
  if (!Number.isInteger(groupData) || groupData < 1 || groupData > 255) {
    return `group size ${groupData} is not an integer in 1..255`;
  }
  if (!Number.isInteger(groupParity) || groupParity < 1 || groupParity > 255) {
    return `parity count ${groupParity} is not an integer in 1..255`;
  }
  if (scheme === "xor" && groupParity !== 1) return "xor has exactly one parity per group";
  if (scheme === "rs" && groupData + groupParity > MAX_RS_SHARDS) {
    return `rs needs data + parity ≤ ${MAX_RS_SHARDS}, got ${groupData} + ${groupParity}`;
  }
  return null;
}

/** `setting` as the sender's `--fec` flag spells it: "xor:10", "rs:20/3". */
export function describeFecSetting(setting: FecSetting): string {
  return setting.scheme === "xor"
    ? `xor:${setting.groupData}`
    : `rs:${setting.groupData}/${setting.groupParity}`;
}

/** Most padding a frame carries, as a multiple of its data fragments. */
export const MAX_PADDING_SHARE = 3;

/**
 * The setting that gives a frame of `fragmentCount` fragments about `extraDatagrams` parity
 * datagrams more than `base` (null: no FEC), so the frame carries padding that also repairs (a
 * sender probing for a wider link, lib/adapt/link_fitter.ts). Never more extra parity than
 * {@linkcode MAX_PADDING_SHARE} times the frame's fragments. Without a base: XOR groups of
 * ceil(N / extra) fragments, one parity each, while the padding is at most the frame; more, as
 * Reed-Solomon over groups of at most 64 fragments. With a base: Reed-Solomon with the base's
 * groups and more parities per group. Always within K + M ≤ 256. Returns `base` when nothing is
 * added.
 *
 * @example
 * ```ts
 * import { paddedFecSetting } from "./setting.ts";
 *
 * // 40 fragments, no FEC, 10 datagrams of padding: XOR over groups of 4.
 * console.log(paddedFecSetting(40, null, 10)); // { scheme: "xor", groupData: 4, ... }
 * ```
 */
export function paddedFecSetting(
  fragmentCount: number,
  base: FecSetting | null,
  extraDatagrams: number,
): FecSetting | null {
  const extra = Math.min(Math.floor(extraDatagrams), MAX_PADDING_SHARE * fragmentCount);
  if (!(extra >= 1) || fragmentCount < 1) return base;
  if (base === null && extra <= fragmentCount) {
    const groupData = Math.min(255, Math.ceil(fragmentCount / extra));
    return { scheme: "xor", groupData, groupParity: 1, interleaved: true };
  }
  const groupData = base?.groupData ?? Math.min(MAX_PADDING_GROUP, fragmentCount);
  const groups = Math.ceil(fragmentCount / groupData);
  const have = base?.groupParity ?? 0;
  const most = Math.min(MAX_RS_SHARDS - groupData, have + MAX_PADDING_SHARE * groupData, 255);
  const groupParity = Math.min(most, have + Math.ceil(extra / groups));
  if (base !== null && groupParity <= base.groupParity) return base;
  return { scheme: "rs", groupData, groupParity, interleaved: base?.interleaved ?? true };
}

/** Reed-Solomon groups made for padding alone hold at most this many fragments. */
const MAX_PADDING_GROUP = 64;
