/**
 * The Host check of the HTTP view: without a token, a request is served only when its Host header
 * names this receiver (one of its addresses or names, or `localhost`).
 *
 * Why: a web page on any site can make the visitor's browser resolve its own name (say
 * `attacker.example`) to 127.0.0.1 after the page has loaded (DNS rebinding). Its scripts then
 * read `http://attacker.example:PORT/frame.jpg` as their own origin: the browser connects to the
 * receiver and sends `Host: attacker.example:PORT`. The browser always sends the name the page
 * used, so refusing names that are not this receiver's stops the page; a token (which the page
 * does not know) stops it too, so with a token any Host is served.
 *
 * Pure: the caller passes the names and addresses it knows (lib/io/http_viewer.ts asks the OS).
 *
 * @module
 */

/**
 * A Host value as browsers and HTTP clients send it: a name or IPv4 address, or an IPv6 address in
 * brackets, with an optional port. Nothing else (no user info, path or zone id).
 */
const HOST_SYNTAX =
  /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?)(?::\d{1,5})?$/;

/**
 * The host of a Host header value, canonical (lower case, no trailing dot, IPv4 and IPv6 written
 * as the WHATWG URL standard writes them, IPv6 without brackets), or null when it is not a valid
 * Host value.
 */
export function hostOfHeader(value: string): string | null {
  if (!HOST_SYNTAX.test(value)) return null;
  return canonicalHost(
    value.startsWith("[") ? value.slice(0, value.indexOf("]") + 1) : value.replace(/:\d+$/, ""),
  );
}

/**
 * `name` (a host name, an IPv4 address, or an IPv6 address with or without brackets) in the form
 * {@linkcode hostOfHeader} returns, or null when the URL standard does not take it as a host.
 */
export function canonicalHost(name: string): string | null {
  const bracketed = name.includes(":") && !name.startsWith("[") ? `[${name}]` : name;
  let hostname: string;
  try {
    hostname = new URL(`http://${bracketed}/`).hostname;
  } catch {
    return null;
  }
  if (hostname === "") return null;
  const bare = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  return bare.endsWith(".") ? bare.slice(0, -1) : bare;
}

/** True for names and addresses that only ever reach this machine: `localhost`, 127/8, ::1. */
export function isLoopbackHost(name: string): boolean {
  const host = canonicalHost(name);
  if (host === null) return false;
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host) ||
    /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
}

/**
 * The names and addresses a Host header may carry: see the module doc.
 *
 * @example A rebinding page's Host is refused, the receiver's own are served
 * ```ts
 * import { HostAllowList } from "./host_check.ts";
 *
 * const hosts = new HostAllowList(["camera-pc", "192.168.1.20", "fd00::2"]);
 * if (hosts.allows("attacker.example:8080")) throw new Error("a foreign name was allowed");
 * for (const host of ["localhost:8080", "127.0.0.1:8080", "camera-pc:8080", "[fd00::2]:8080"]) {
 *   if (!hosts.allows(host)) throw new Error(`${host} was refused`);
 * }
 * ```
 */
export class HostAllowList {
  readonly #hosts = new Set<string>(["localhost", "127.0.0.1", "::1"]);

  /** `names`: this receiver's names and addresses (invalid ones are left out). */
  constructor(names: Iterable<string>) {
    this.add(names);
  }

  /** Adds more names or addresses (an interface that came up). */
  add(names: Iterable<string>): void {
    for (const name of names) {
      const host = canonicalHost(name);
      if (host !== null) this.#hosts.add(host);
    }
  }

  /** Whether a request with this Host header value (with its port, if any) may be served. */
  allows(hostHeader: string): boolean {
    const host = hostOfHeader(hostHeader);
    return host !== null && this.#hosts.has(host);
  }

  /** The canonical names and addresses, for messages and tests. */
  get hosts(): string[] {
    return [...this.#hosts];
  }
}
