/**
 * Forward error correction over groups of equal-length shards: XOR parity (one repair per group)
 * and systematic Reed-Solomon over GF(256) (M repairs per group). Pure: bytes in, bytes out.
 *
 * A group holds up to K data shards; each is treated as zero-padded to `shardBytes`, so a frame's
 * short last fragment can share a group with full-size ones. Reed-Solomon uses a Cauchy matrix:
 * parity `p` is `sum_j C[p][j] * data_j` with `C[p][j] = 1 / (x_p + y_j)`, `x_p = K + p`,
 * `y_j = j` (addition is XOR). Every square submatrix of a Cauchy matrix is invertible, so any K of
 * the K + M shards rebuild the data. Shortened groups (fewer than K data shards) use the first
 * columns, which is the same as sending zero shards for the rest.
 *
 * @module
 */

/** FEC schemes by name, as the sender's settings spell them. */

import { FecSetting, fecSettingProblem } from "./setting.ts";

// GF(256) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d) and generator 2. Tables are built
// on first use so importing this module costs nothing.
let gfExp: Uint8Array | null = null;

let gfLog: Uint8Array | null = null;

let gfMulTable: Uint8Array | null = null;

function tables(): { exp: Uint8Array; log: Uint8Array; mul: Uint8Array } {
  if (gfMulTable === null) {
    const exp = new Uint8Array(512);
    const log = new Uint8Array(256);
    let value = 1;
    for (let power = 0; power < 255; power++) {
      exp[power] = value;
      log[value] = power;
      value <<= 1;
      if (value & 0x100) value ^= 0x11d;
    }
    // Doubling the exp table spares a modulo in every multiplication.
    for (let power = 255; power < 512; power++) exp[power] = exp[power - 255];
    const mul = new Uint8Array(256 * 256);
    for (let a = 1; a < 256; a++) {
      for (let b = 1; b < 256; b++) mul[a * 256 + b] = exp[log[a] + log[b]];
    }
    gfExp = exp;
    gfLog = log;
    gfMulTable = mul;
  }
  return { exp: gfExp!, log: gfLog!, mul: gfMulTable };
}

/** Product of `a` and `b` in GF(256). */
export function gfMul(a: number, b: number): number {
  return tables().mul[a * 256 + b];
}

/** Multiplicative inverse of `a` (non-zero) in GF(256). */
export function gfInv(a: number): number {
  const { exp, log } = tables();
  return exp[255 - log[a]];
}

/** The Cauchy coefficient of data shard `j` in parity `p` for groups of `groupData`. */
function cauchy(groupData: number, p: number, j: number): number {
  return gfInv((groupData + p) ^ j);
}

/** `target ^= coefficient * source`, over the first `source.length` bytes. */
function mulAddInto(target: Uint8Array, source: Uint8Array, coefficient: number): void {
  if (coefficient === 0) return;
  const length = Math.min(source.length, target.length);
  if (coefficient === 1) {
    for (let i = 0; i < length; i++) target[i] ^= source[i];
    return;
  }
  const row = tables().mul.subarray(coefficient * 256, coefficient * 256 + 256);
  for (let i = 0; i < length; i++) target[i] ^= row[source[i]];
}

function checkGroup(setting: FecSetting, dataShards: number, shardBytes: number): void {
  const problem = fecSettingProblem(setting);
  if (problem !== null) throw new RangeError(`Cannot use FEC setting: ${problem}`);
  if (dataShards < 1 || dataShards > setting.groupData) {
    throw new RangeError(
      `Cannot code a group of ${dataShards} data shards: the group size is ${setting.groupData}`,
    );
  }
  if (!Number.isInteger(shardBytes) || shardBytes < 1) {
    throw new RangeError(`Cannot code shards of ${shardBytes} bytes: need a positive integer`);
  }
}

/**
 * Returns the `groupParity` parity shards (each `shardBytes` long) of one group.
 *
 * @param data The group's data shards, at most `groupData` of them, none longer than `shardBytes`
 *   (shorter ones count as zero-padded).
 * @throws {RangeError} on an unusable setting, group or shard length.
 */
export function encodeGroup(
  setting: FecSetting,
  data: readonly Uint8Array[],
  shardBytes: number,
): Uint8Array[] {
  checkGroup(setting, data.length, shardBytes);
  const parity: Uint8Array[] = [];
  for (let p = 0; p < setting.groupParity; p++) {
    const shard = new Uint8Array(shardBytes);
    data.forEach((source, j) => {
      mulAddInto(shard, source, setting.scheme === "xor" ? 1 : cauchy(setting.groupData, p, j));
    });
    parity.push(shard);
  }
  return parity;
}

/**
 * Rebuilds the missing data shards of one group, or returns null when too few shards arrived.
 *
 * @param data One entry per data shard of the group, null where it is missing.
 * @param parity One entry per parity index (`groupParity` entries), null where it is missing.
 * @returns The missing data shards in the order they appear in `data`, each `shardBytes` long
 *   (the caller trims a short last fragment). Empty when nothing is missing.
 * @throws {RangeError} on an unusable setting, group or shard length.
 *
 * @example Reed-Solomon with 2 parities: any 2 lost data shards of a group come back
 * ```ts
 * import { encodeGroup, recoverGroup } from "./codes.ts";
 *
 * const setting = { scheme: "rs" as const, groupData: 4, groupParity: 2 };
 * const data = [1, 2, 3, 4].map((n) => new Uint8Array(8).fill(n));
 * const parity = encodeGroup(setting, data, 8);
 * const rebuilt = recoverGroup(setting, [data[0], null, data[2], null], parity, 8);
 * if (rebuilt?.length !== 2 || rebuilt[0][0] !== 2 || rebuilt[1][0] !== 4) {
 *   throw new Error("not rebuilt");
 * }
 * ```
 */
export function recoverGroup(
  setting: FecSetting,
  data: readonly (Uint8Array | null)[],
  parity: readonly (Uint8Array | null)[],
  shardBytes: number,
): Uint8Array[] | null {
  checkGroup(setting, data.length, shardBytes);
  const lost: number[] = [];
  data.forEach((shard, j) => {
    if (shard === null) lost.push(j);
  });
  if (lost.length === 0) return [];
  const usable: number[] = [];
  for (let p = 0; p < Math.min(parity.length, setting.groupParity); p++) {
    if (parity[p] !== null && usable.length < lost.length) usable.push(p);
  }
  if (usable.length < lost.length) return null;

  const coefficient = (p: number, j: number) =>
    setting.scheme === "xor" ? 1 : cauchy(setting.groupData, p, j);
  // Syndromes: each usable parity minus the contribution of the data that did arrive.
  const syndromes = usable.map((p) => {
    const syndrome = parity[p]!.slice(0, shardBytes);
    data.forEach((shard, j) => {
      if (shard !== null) mulAddInto(syndrome, shard, coefficient(p, j));
    });
    return syndrome;
  });
  if (lost.length === 1 && setting.scheme === "xor") return syndromes;

  // Solve A x = syndromes with A[i][k] = C[usable_i][lost_k]: invert A by Gauss-Jordan.
  const size = lost.length;
  const matrix = usable.map((p) => lost.map((j) => coefficient(p, j)));
  const inverse = usable.map((_, i) => lost.map((_, k): number => (i === k ? 1 : 0)));
  for (let column = 0; column < size; column++) {
    let pivot = column;
    while (pivot < size && matrix[pivot][column] === 0) pivot++;
    if (pivot === size) return null; // Unreachable for a Cauchy matrix; kept as a guard.
    [matrix[column], matrix[pivot]] = [matrix[pivot], matrix[column]];
    [inverse[column], inverse[pivot]] = [inverse[pivot], inverse[column]];
    const scale = gfInv(matrix[column][column]);
    for (let k = 0; k < size; k++) {
      matrix[column][k] = gfMul(matrix[column][k], scale);
      inverse[column][k] = gfMul(inverse[column][k], scale);
    }
    for (let row = 0; row < size; row++) {
      const factor = matrix[row][column];
      if (row === column || factor === 0) continue;
      for (let k = 0; k < size; k++) {
        matrix[row][k] ^= gfMul(factor, matrix[column][k]);
        inverse[row][k] ^= gfMul(factor, inverse[column][k]);
      }
    }
  }
  return lost.map((_, k) => {
    const shard = new Uint8Array(shardBytes);
    syndromes.forEach((syndrome, i) => mulAddInto(shard, syndrome, inverse[k][i]));
    return shard;
  });
}
