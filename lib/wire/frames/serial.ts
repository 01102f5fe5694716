/**
 * Serial-number arithmetic (RFC 1982) for the 32-bit frame sequences and RTP timestamps every wire
 * format orders frames by.
 *
 * @module
 */

/** True when 32-bit sequence number `a` comes after `b` (RFC 1982 serial arithmetic). */
export function seqIsNewer(a: number, b: number): boolean {
  const distance = (a - b) >>> 0;
  return distance !== 0 && distance < 0x8000_0000;
}
