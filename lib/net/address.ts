/**
 * Parses `host:port` strings as users type them: `127.0.0.1:12345`, `[::1]:12345`, `cam.local:9000`,
 * or a bare port.
 *
 * @module
 */

/** A UDP endpoint. */
export interface HostPort {
  /** IPv4 address, IPv6 address (without brackets) or host name. */
  hostname: string;
  /** UDP port, 0..65535 (0 means "any" when listening). */
  port: number;
}

/**
 * Parses `text` as `host:port`, `[ipv6]:port` or, when `defaultHost` is given, a bare port.
 * Returns an error message instead of throwing, so the caller can name the flag.
 *
 * @example Host and port, the default host, IPv6 in brackets, and a mistake
 * ```ts
 * import { parseHostPort } from "./address.ts";
 *
 * const parsed = parseHostPort("[::1]:5000");
 * if (typeof parsed === "string" || parsed.hostname !== "::1") throw new Error(String(parsed));
 * const defaulted = parseHostPort("5000", "127.0.0.1");
 * if (typeof defaulted === "string" || defaulted.hostname !== "127.0.0.1") throw new Error();
 * if (typeof parseHostPort("host:99999") !== "string") throw new Error("bad port accepted");
 * ```
 */
export function parseHostPort(text: string, defaultHost?: string): HostPort | string {
  const trimmed = text.trim();
  let hostname: string;
  let portText: string;
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(trimmed);
  if (bracketed) {
    [, hostname, portText] = bracketed;
  } else if (/^\d+$/.test(trimmed) && defaultHost !== undefined) {
    hostname = defaultHost;
    portText = trimmed;
  } else {
    const colon = trimmed.lastIndexOf(":");
    if (colon <= 0 || trimmed.indexOf(":") !== colon) {
      return `"${text}" is not HOST:PORT (write IPv6 addresses as [::1]:12345)`;
    }
    hostname = trimmed.slice(0, colon);
    portText = trimmed.slice(colon + 1);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    return `"${text}" has no valid port (0..65535)`;
  }
  if (!/^[A-Za-z0-9.\-:%_]+$/.test(hostname)) return `"${text}" has an invalid host "${hostname}"`;
  return { hostname, port: Number(portText) };
}

/** True when `hostname` is an IPv6 literal. */
export function isIpv6(hostname: string): boolean {
  return hostname.includes(":");
}

/** Formats an endpoint back into `host:port`, bracketing IPv6. */
export function formatHostPort({ hostname, port }: HostPort): string {
  return isIpv6(hostname) ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}
