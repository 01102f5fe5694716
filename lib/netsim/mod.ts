/**
 * A seeded model of a bad link (loss, bursts, reordering, duplication, a rate cap) for `deno task
 * relay`, the benchmarks and the tests.
 *
 * @module
 */

export { FaultModel, faultSettingsProblem, FaultyLink, NO_FAULTS } from "./fault_model.ts";
export type { FaultCounts, FaultSettings } from "./fault_model.ts";
export { Prng } from "./prng.ts";
