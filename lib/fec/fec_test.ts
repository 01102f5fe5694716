import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { encodeGroup, gfInv, gfMul, recoverGroup } from "./codes.ts";
import { type FecSetting, fecSettingProblem, paddedFecSetting } from "./setting.ts";
import { groupCount, groupMembers, groupOf } from "./groups.ts";
import { Prng } from "../netsim/mod.ts";

/** Every subset of {0..n-1} with at most `most` elements, as bit lists. */
function* subsetsUpTo(
  n: number,
  most: number,
  from = 0,
  chosen: number[] = [],
): Generator<number[]> {
  yield chosen;
  if (chosen.length === most) return;
  for (let i = from; i < n; i++) yield* subsetsUpTo(n, most, i + 1, [...chosen, i]);
}

/** Data shards of `shardBytes`, the last one `lastBytes` long, like a frame's fragments. */
function shardsOf(prng: Prng, count: number, shardBytes: number, lastBytes: number) {
  return Array.from(
    { length: count },
    (_, j) => prng.bytes(j === count - 1 ? lastBytes : shardBytes),
  );
}

/** Drops the shards in `lost` (data first, then parity), recovers, checks the exact bytes. */
function checkPattern(
  setting: FecSetting,
  data: Uint8Array[],
  parity: Uint8Array[],
  lost: number[],
  shardBytes: number,
) {
  const lostSet = new Set(lost);
  const gotData = data.map((shard, j) => (lostSet.has(j) ? null : shard));
  const gotParity = parity.map((shard, p) => (lostSet.has(data.length + p) ? null : shard));
  const recovered = recoverGroup(setting, gotData, gotParity, shardBytes);
  const label = `${setting.scheme} K=${setting.groupData} M=${setting.groupParity} ` +
    `n=${data.length} lost=${lost}`;
  ok(recovered !== null, `${label}: not recovered`);
  const missing = data.map((_, j) => j).filter((j) => gotData[j] === null);
  equal(recovered.length, missing.length, label);
  missing.forEach((j, k) => {
    deepStrictEqual(recovered[k].subarray(0, data[j].length), data[j], label);
    ok(recovered[k].subarray(data[j].length).every((b) => b === 0), `${label}: padding`);
  });
}

Deno.test("GF(256) multiplication and inverse agree", () => {
  for (let a = 1; a < 256; a++) equal(gfMul(a, gfInv(a)), 1, `a=${a}`);
  equal(gfMul(0, 7), 0);
  equal(gfMul(2, 0x80), 0x1d); // x * x^7 = x^8 = x^4 + x^3 + x^2 + 1
  for (let a = 0; a < 256; a += 17) {
    for (let b = 0; b < 256; b += 13) equal(gfMul(a, b), gfMul(b, a));
  }
});

Deno.test("xor: every single loss in full and shortened groups is repaired", () => {
  const prng = new Prng(1);
  for (const groupData of [1, 2, 3, 7, 10, 20]) {
    const setting: FecSetting = { scheme: "xor", groupData, groupParity: 1 };
    for (const count of new Set([1, Math.max(1, groupData - 1), groupData])) {
      for (const lastBytes of [1, 17, 32]) {
        const data = shardsOf(prng, count, 32, lastBytes);
        const parity = encodeGroup(setting, data, 32);
        equal(parity.length, 1);
        for (const lost of subsetsUpTo(count + 1, 1)) checkPattern(setting, data, parity, lost, 32);
      }
    }
  }
});

Deno.test("rs: every loss pattern up to M among data and parity is repaired", () => {
  const prng = new Prng(2);
  for (const groupData of [1, 2, 4, 9, 16, 20]) {
    for (const groupParity of [1, 2, 3, 4]) {
      const setting: FecSetting = { scheme: "rs", groupData, groupParity };
      for (const count of new Set([Math.max(1, groupData - 3), groupData])) {
        const data = shardsOf(prng, count, 12, prng.int(1, 12));
        const parity = encodeGroup(setting, data, 12);
        equal(parity.length, groupParity);
        for (const lost of subsetsUpTo(count + groupParity, groupParity)) {
          checkPattern(setting, data, parity, lost, 12);
        }
      }
    }
  }
});

Deno.test("more losses than parities: recoverGroup returns null", () => {
  const prng = new Prng(3);
  const setting: FecSetting = { scheme: "rs", groupData: 8, groupParity: 2 };
  const data = shardsOf(prng, 8, 40, 40);
  const parity = encodeGroup(setting, data, 40);
  const got = data.map((shard, j) => (j < 2 ? null : shard));
  equal(recoverGroup(setting, got, [parity[0], null], 40), null);
  equal(recoverGroup({ ...setting, scheme: "xor", groupParity: 1 }, got, [parity[0]], 40), null);
  deepStrictEqual(recoverGroup(setting, data, [null, null], 40), []);
});

Deno.test("settings outside the code's limits are refused", () => {
  const table: [FecSetting, RegExp | null][] = [
    [{ scheme: "xor", groupData: 10, groupParity: 1 }, null],
    [{ scheme: "rs", groupData: 252, groupParity: 4 }, null],
    [{ scheme: "xor", groupData: 10, groupParity: 2 }, /exactly one/],
    [{ scheme: "rs", groupData: 253, groupParity: 4 }, /≤ 256/],
    [{ scheme: "rs", groupData: 0, groupParity: 1 }, /group size/],
    [{ scheme: "rs", groupData: 4, groupParity: 0 }, /parity count/],
    [{ scheme: "ldpc" as "rs", groupData: 4, groupParity: 1 }, /unknown scheme/],
  ];
  for (const [setting, problem] of table) {
    const got = fecSettingProblem(setting);
    if (problem === null) equal(got, null);
    else ok(got !== null && problem.test(got), `${JSON.stringify(setting)}: ${got}`);
  }
  throws(() => encodeGroup({ scheme: "rs", groupData: 2, groupParity: 1 }, [], 4), /Cannot/);
  const three = [new Uint8Array(1), new Uint8Array(1), new Uint8Array(1)];
  throws(() => encodeGroup({ scheme: "rs", groupData: 2, groupParity: 1 }, three, 4), /Cannot/);
});

Deno.test("group layouts cover every fragment exactly once", () => {
  for (const interleaved of [false, true]) {
    for (const [count, groupData] of [[1, 1], [1, 10], [40, 10], [41, 10], [39, 7], [100, 255]]) {
      const groups = Math.ceil(count / groupData);
      const seen: number[] = [];
      for (let group = 0; group < groups; group++) {
        const members = groupMembers(count, groupData, interleaved, group);
        ok(members.length >= 1 && members.length <= groupData, `${count}/${groupData}`);
        for (const index of members) equal(groupOf(count, groupData, interleaved, index), group);
        seen.push(...members);
      }
      deepStrictEqual(seen.sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i));
    }
  }
});

const xor = (k: number) => ({ scheme: "xor" as const, groupData: k, groupParity: 1 });

Deno.test("padding as parity: about the asked datagrams, at most three times the frame (table)", () => {
  const rs = (k: number, m: number) => ({ scheme: "rs" as const, groupData: k, groupParity: m });
  const cases: [
    name: string,
    fragments: number,
    base: FecSetting | null,
    extra: number,
    setting: FecSetting | null,
    parity: number,
  ][] = [
    ["nothing asked", 40, null, 0, null, 0],
    ["no FEC: XOR groups", 40, null, 10, { ...xor(4), interleaved: true }, 10],
    ["no FEC, as much as the frame: XOR of one", 5, null, 5, { ...xor(1), interleaved: true }, 5],
    ["no FEC, more than the frame: RS", 10, null, 25, { ...rs(10, 25), interleaved: true }, 25],
    ["no FEC, capped at three frames", 5, null, 50, { ...rs(5, 15), interleaved: true }, 15],
    ["no FEC, a big frame: groups of 255 at most", 2000, null, 2, {
      ...xor(255),
      interleaved: true,
    }, 8],
    ["no FEC, a big frame, much: RS groups of 64", 200, null, 300, {
      ...rs(64, 75),
      interleaved: true,
    }, 300],
    [
      "rs:20/3 on 40 fragments, 10 more",
      40,
      rs(20, 3),
      10,
      { ...rs(20, 8), interleaved: true },
      16,
    ],
    [
      "rs:20/3, capped at three frames",
      40,
      rs(20, 3),
      1000,
      { ...rs(20, 63), interleaved: true },
      126,
    ],
    ["xor:10 becomes rs:10/M", 40, xor(10), 8, { ...rs(10, 3), interleaved: true }, 12],
    ["rs:250/6: K + M stays within 256", 300, rs(250, 6), 100, rs(250, 6), 12],
  ];
  for (const [name, fragments, base, extra, setting, parity] of cases) {
    const got = paddedFecSetting(fragments, base, extra);
    deepStrictEqual(got, setting, name);
    if (got === null) continue;
    equal(fecSettingProblem(got), null, name);
    equal(groupCount(fragments, got.groupData) * got.groupParity, parity, name);
  }
});
