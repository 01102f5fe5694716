/**
 * The one wording of "this port cannot be bound", for every socket udpcam listens on (UDP for
 * frames, TCP for the HTTP viewer): what failed, why in words a user acts on, and which flag picks
 * another address. The OS's error stays the `cause` (lib/errors.ts prints it where no better
 * words exist).
 *
 * Ports below {@linkcode UNPRIVILEGED_PORT_START} need privileges: that is Linux's default
 * `net.ipv4.ip_unprivileged_port_start` (1024), and the BSDs' and macOS's reserved range ends at
 * 1023 too. So the advice is "1024 or above", not "above 1024".
 *
 * @example Wording a port another program holds
 * ```ts
 * import { bindError } from "./bind_error.ts";
 *
 * const taken = Object.assign(new Error("Address in use (os error 98)"), { name: "AddrInUse" });
 * const error = bindError(
 *   { action: "listen on", address: { hostname: "0.0.0.0", port: 5000 }, flag: "--listen" },
 *   taken,
 * );
 * if (!error.message.startsWith("Cannot listen on 0.0.0.0:5000: the port is in use.")) {
 *   throw new Error(error.message);
 * }
 * ```
 *
 * @module
 */

import { UserError } from "../errors.ts";
import { formatHostPort, type HostPort } from "./address.ts";

/** The lowest port an unprivileged program may bind (Linux's ip_unprivileged_port_start). */
export const UNPRIVILEGED_PORT_START = 1024;

/** The advice for a port that needs privileges: the flag names where to pick another. */
export function unprivilegedPortAdvice(flag: string): string {
  return `use a port of ${UNPRIVILEGED_PORT_START} or above with ${flag}`;
}

/** Why a bind failed, as far as the advice differs. */
export type BindFailure = "inUse" | "notAvailable" | "denied" | "other";

/**
 * Which {@linkcode BindFailure} `error` is, from the error's name as Deno gives it
 * (`Deno.errors.AddrInUse` is named "AddrInUse", and so on).
 */
export function bindFailureOf(error: unknown): BindFailure {
  const name = error instanceof Error ? error.name : "";
  return name === "AddrInUse"
    ? "inUse"
    : name === "AddrNotAvailable"
    ? "notAvailable"
    : name === "PermissionDenied"
    ? "denied"
    : "other";
}

/** What was being bound, for the message. */
export interface BindTarget {
  /** The verb phrase before the address: "listen on", "serve HTTP on". */
  readonly action: string;
  /** The address and port asked for. */
  readonly address: HostPort;
  /** The flag that picks the address: "--listen", "--http". */
  readonly flag: string;
  /** Who likely holds a port in use, e.g. "another udpcam-recv?"; shown in brackets. */
  readonly likelyHolder?: string;
}

/**
 * The {@linkcode UserError} for failing to bind `target`, with `error` (the OS's error) as its
 * cause: "Cannot ACTION HOST:PORT: why. What to do with FLAG."
 */
export function bindError(target: BindTarget, error: unknown): UserError {
  const head = `Cannot ${target.action} ${formatHostPort(target.address)}`;
  const { flag } = target;
  const options = { cause: error };
  switch (bindFailureOf(error)) {
    case "inUse": {
      const holder = target.likelyHolder ? ` (${target.likelyHolder})` : "";
      return new UserError(
        `${head}: the port is in use${holder}. Stop that program or pick another port with ${flag}.`,
        1,
        options,
      );
    }
    case "notAvailable":
      return new UserError(
        `${head}: that address is not on this machine. Give one of its addresses, or 0.0.0.0 ` +
          `(all IPv4) or [::] (all IPv6), with ${flag}.`,
        1,
        options,
      );
    case "denied":
      return new UserError(
        target.address.port < UNPRIVILEGED_PORT_START
          ? `${head}: permission denied (ports below ${UNPRIVILEGED_PORT_START} need ` +
            `privileges). ${capitalized(unprivilegedPortAdvice(flag))}.`
          : `${head}: permission denied. Check what this machine's security policy allows, or ` +
            `pick another port with ${flag}.`,
        1,
        options,
      );
    case "other":
      return new UserError(`${head}.`, 1, options);
  }
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
