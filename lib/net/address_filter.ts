/**
 * `--allow-from ADDR[/PREFIX]`: which source addresses a receiver takes datagrams from. Pure:
 * addresses are parsed into 16 bytes (IPv4 as IPv4-mapped IPv6, so `::ffff:10.0.0.1` from a
 * dual-stack socket matches a rule for `10.0.0.0/8`).
 *
 * @module
 */

/** One `ADDR/PREFIX` rule, as 16 bytes and a prefix length in bits over them. */
export interface AddressRule {
  /** The rule as written, for messages. */
  text: string;
  /** The network address, 16 bytes. */
  bytes: Uint8Array;
  /** Leading bits of `bytes` that must match, 0..128. */
  prefixBits: number;
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseIpv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    out.push(value);
  }
  return out;
}

function parseIpv6(text: string): number[] | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = parseIpv4(part);
        if (v4 === null) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) out.push(parseInt(part, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...new Array(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes: number[] = [];
  for (const group of all) bytes.push(group >> 8, group & 0xff);
  return bytes;
}

/**
 * Parses an IPv4 or IPv6 address (brackets and a `%zone` are allowed and ignored) into 16 bytes,
 * or returns null.
 */
export function parseAddressBytes(text: string): Uint8Array | null {
  const bare = text.trim().replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  const v4 = parseIpv4(bare);
  if (v4 !== null) return new Uint8Array([...V4_MAPPED_PREFIX, ...v4]);
  if (!bare.includes(":")) return null;
  const v6 = parseIpv6(bare);
  return v6 === null ? null : new Uint8Array(v6);
}

/** Parses `ADDR` or `ADDR/PREFIX`; returns the rule or why it is not one. */
export function parseAddressRule(text: string): AddressRule | string {
  const slash = text.lastIndexOf("/");
  const address = slash >= 0 ? text.slice(0, slash) : text;
  const bytes = parseAddressBytes(address);
  if (bytes === null) {
    return `"${text}" is not an IPv4 or IPv6 address (examples: 192.168.1.20, 10.0.0.0/8, fd00::/8)`;
  }
  const isV4 = parseIpv4(address.trim()) !== null;
  const maxBits = isV4 ? 32 : 128;
  let bits = maxBits;
  if (slash >= 0) {
    const prefix = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > maxBits) {
      return `"${text}": the prefix after / must be 0..${maxBits}`;
    }
    bits = Number(prefix);
  }
  return { text, bytes, prefixBits: isV4 ? 96 + bits : bits };
}

/** True when `address` (16 bytes) is inside `rule`. */
function ruleMatches(rule: AddressRule, address: Uint8Array): boolean {
  const full = rule.prefixBits >> 3;
  for (let i = 0; i < full; i++) if (rule.bytes[i] !== address[i]) return false;
  const rest = rule.prefixBits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (rule.bytes[full] & mask) === (address[full] & mask);
}

/**
 * Decides quickly whether a source may send. Remembers the verdict for the last few source
 * strings, since a stream comes from one address: memory is bounded by `maxCached` entries.
 */
export class AddressFilter {
  readonly #rules: AddressRule[];
  readonly #cache = new Map<string, boolean>();
  readonly #maxCached: number;

  /**
   * Makes a filter over `rules` that remembers up to `maxCached` verdicts.
   *
   * @param rules Allowed networks; a source matching any is allowed.
   * @param maxCached Most source addresses whose verdict is remembered.
   */
  constructor(rules: AddressRule[], maxCached = 64) {
    this.#rules = rules;
    this.#maxCached = maxCached;
  }

  /** True when `hostname` (as the socket reports it) matches a rule. */
  allows(hostname: string): boolean {
    const cached = this.#cache.get(hostname);
    if (cached !== undefined) return cached;
    const bytes = parseAddressBytes(hostname);
    const verdict = bytes !== null && this.#rules.some((rule) => ruleMatches(rule, bytes));
    // A flood of spoofed sources must not grow the cache: forget everything past the bound.
    if (this.#cache.size >= this.#maxCached) this.#cache.clear();
    this.#cache.set(hostname, verdict);
    return verdict;
  }
}
