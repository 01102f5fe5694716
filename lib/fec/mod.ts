/**
 * Forward error correction: the `--fec` setting, how fragments form groups, and the XOR and Reed-
 * Solomon codes over those groups.
 *
 * @module
 */

export { encodeGroup, recoverGroup } from "./codes.ts";
export { groupCount, groupMembers, groupOf } from "./groups.ts";
export {
  DEFAULT_FEC_SETTING,
  describeFecSetting,
  fecSettingProblem,
  paddedFecSetting,
} from "./setting.ts";
export type { FecSetting } from "./setting.ts";
