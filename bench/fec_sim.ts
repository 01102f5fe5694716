/**
 * Pure simulation (no sockets): how many 720p-like frames arrive intact through a lossy link,
 * without FEC and with XOR or Reed-Solomon settings, and what the parity costs in bandwidth.
 * Also a quick throughput measurement of FEC encode and decode.
 *
 * Run: `deno run -A bench/fec_sim.ts [--frames 2000] [--seed 1]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { encodeGroup, type FecSetting, recoverGroup } from "../lib/fec/mod.ts";
import { fecParityDatagrams, fragmentFrame, Reassembler } from "../lib/wire/v1/mod.ts";
import { FaultModel, type FaultSettings, FaultyLink, Prng } from "../lib/netsim/mod.ts";

/** 40 fragments of 1170 payload bytes in 1200-byte datagrams. */
const FRAME_BYTES = 40 * 1170;
const MAX_DATAGRAM_BYTES = 1200;
const FRAME_INTERVAL_MS = 1000 / 30;
/** The sender paces a frame's datagrams over this share of the frame interval. */
const DATAGRAM_SPACING_MS = 0.2;

interface Scenario {
  name: string;
  faults: Partial<FaultSettings>;
}

const SCENARIOS: Scenario[] = [
  { name: "1% rand", faults: { lossPercent: 1 } },
  { name: "2% rand", faults: { lossPercent: 2 } },
  { name: "5% rand", faults: { lossPercent: 5 } },
  { name: "2% b3", faults: { lossPercent: 2, burstLength: 3 } },
];

const SETTINGS: (FecSetting | null)[] = [
  null,
  { scheme: "xor", groupData: 10, groupParity: 1, interleaved: false },
  { scheme: "xor", groupData: 10, groupParity: 1, interleaved: true },
  { scheme: "xor", groupData: 5, groupParity: 1, interleaved: true },
  { scheme: "xor", groupData: 4, groupParity: 1, interleaved: true },
  { scheme: "rs", groupData: 20, groupParity: 2, interleaved: false },
  { scheme: "rs", groupData: 20, groupParity: 2, interleaved: true },
  { scheme: "rs", groupData: 20, groupParity: 3, interleaved: true },
  { scheme: "rs", groupData: 20, groupParity: 4, interleaved: true },
  { scheme: "rs", groupData: 10, groupParity: 2, interleaved: true },
  { scheme: "rs", groupData: 40, groupParity: 4, interleaved: true },
  { scheme: "rs", groupData: 40, groupParity: 6, interleaved: true },
];

function label(setting: FecSetting | null): string {
  if (setting === null) return "none";
  const layout = setting.interleaved ?? true ? "int" : "blk";
  return `${setting.scheme} ${setting.groupData}/${setting.groupParity} ${layout}`;
}

/** One frame's datagrams (data then parity) as templates; per frame only the sequence changes. */
function templateOf(setting: FecSetting | null, prng: Prng): Uint8Array[] {
  const frame = prng.bytes(FRAME_BYTES);
  const data = fragmentFrame(frame, { streamId: 1, frameSeq: 0, captureUs: 0 }, MAX_DATAGRAM_BYTES);
  return setting === null ? data : [...data, ...fecParityDatagrams(data, setting)];
}

function withSeq(template: Uint8Array, seq: number): Uint8Array {
  const copy = template.slice();
  new DataView(copy.buffer).setUint32(14, seq);
  return copy;
}

interface Outcome {
  intactPercent: number;
  overheadPercent: number;
  recoveredFragments: number;
}

function simulate(
  setting: FecSetting | null,
  scenario: Scenario,
  frames: number,
  seed: number,
): Outcome {
  const template = templateOf(setting, new Prng(seed));
  const dataBytes = template.slice(0, 40).reduce((sum, d) => sum + d.length, 0);
  const parityBytes = template.slice(40).reduce((sum, d) => sum + d.length, 0);
  const link = new FaultyLink<Uint8Array>(new FaultModel({ ...scenario.faults, seed }));
  const reassembler = new Reassembler();
  let intact = 0;
  for (let seq = 0; seq < frames; seq++) {
    const startMs = seq * FRAME_INTERVAL_MS;
    template.forEach((datagram, i) => {
      const nowMs = startMs + i * DATAGRAM_SPACING_MS;
      link.send(withSeq(datagram, seq), datagram.length, nowMs);
      for (const arrived of link.due(nowMs)) {
        if (reassembler.push(arrived, nowMs) !== null) intact++;
      }
    });
  }
  for (const arrived of link.flush()) if (reassembler.push(arrived, frames * 40) !== null) intact++;
  return {
    intactPercent: 100 * intact / frames,
    overheadPercent: 100 * parityBytes / dataBytes,
    recoveredFragments: reassembler.counters.recoveredByFec.fragments,
  };
}

function throughput(setting: FecSetting): { encodeMBps: number; decodeMBps: number } {
  const prng = new Prng(9);
  const shardBytes = 1170;
  const data = Array.from({ length: setting.groupData }, () => prng.bytes(shardBytes));
  const parity = encodeGroup(setting, data, shardBytes);
  const lost = data.map((shard, j) => (j < setting.groupParity ? null : shard));
  const groupBytes = setting.groupData * shardBytes;
  const timed = (fn: () => void) => {
    let rounds = 0;
    const start = performance.now();
    while (performance.now() - start < 300 && rounds < 100_000) {
      fn();
      rounds++;
    }
    return groupBytes * rounds / ((performance.now() - start) / 1000) / 1e6;
  };
  return {
    encodeMBps: timed(() => encodeGroup(setting, data, shardBytes)),
    // Worst case: M data shards lost, all parity used.
    decodeMBps: timed(() => recoverGroup(setting, lost, parity, shardBytes)),
  };
}

function main(): void {
  const args = parseArgs({
    args: Deno.args,
    strict: true,
    options: {
      frames: { type: "string", default: "2000" },
      seed: { type: "string", default: "1" },
    },
  });
  const frames = Number(args.values.frames);
  const seed = Number(args.values.seed);
  if (!Number.isInteger(frames) || frames < 1 || frames > 100_000 || !Number.isInteger(seed)) {
    console.error("Cannot run the simulation: --frames must be 1..100000 and --seed an integer.");
    Deno.exit(2);
  }

  console.log("FEC throughput on 1170-byte shards (one core, decode with M data shards lost):");
  for (
    const setting of [
      { scheme: "xor", groupData: 10, groupParity: 1 },
      { scheme: "rs", groupData: 20, groupParity: 2 },
      { scheme: "rs", groupData: 20, groupParity: 4 },
      { scheme: "rs", groupData: 40, groupParity: 6 },
    ] as FecSetting[]
  ) {
    const { encodeMBps, decodeMBps } = throughput(setting);
    console.log(
      `  ${label(setting).slice(0, -4).padEnd(10)} encode ${
        encodeMBps.toFixed(0).padStart(5)
      } MB/s` +
        `  decode ${decodeMBps.toFixed(0).padStart(5)} MB/s`,
    );
  }

  console.log(
    `\nFrames intact (%) of ${frames} frames of 40 x 1170 bytes, 30 fps, seed ${seed}; ` +
      "overhead = parity bytes / data bytes:",
  );
  const header = ["setting".padEnd(16), "overhead", ...SCENARIOS.map((s) => s.name.padStart(8))];
  console.log(header.join(" "));
  for (const setting of SETTINGS) {
    const outcomes = SCENARIOS.map((scenario) => simulate(setting, scenario, frames, seed));
    console.log(
      [
        label(setting).padEnd(16),
        `${outcomes[0].overheadPercent.toFixed(1)}%`.padStart(8),
        ...outcomes.map((o) => o.intactPercent.toFixed(2).padStart(8)),
      ].join(" "),
    );
  }
}

if (import.meta.main) main();
