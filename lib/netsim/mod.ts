/**
 * A seeded model of a bad link (loss, bursts, reordering, duplication, a rate cap that polices or
 * queues, constant or on a schedule) for `deno task relay`, the benchmarks and the tests.
 *
 * @module
 */

export { BottleneckQueue } from "./bottleneck_queue.ts";
export type { BottleneckCounts, BottleneckOptions } from "./bottleneck_queue.ts";
export { FaultModel, faultSettingsProblem, FaultyLink, NO_FAULTS } from "./fault_model.ts";
export type { Delivery, FaultCounts, FaultSettings, FaultyLinkOptions } from "./fault_model.ts";
export { Prng } from "./prng.ts";
export {
  formatRateSchedule,
  MAX_RATE_KBPS,
  MAX_RATE_STEPS,
  parseRateSchedule,
  RateSchedule,
  rateScheduleProblem,
} from "./rate_schedule.ts";
export type { RateStep } from "./rate_schedule.ts";
export { TokenBucket } from "./token_bucket.ts";
