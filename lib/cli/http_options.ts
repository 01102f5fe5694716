/**
 * The receiver's HTTP view flags: `--http`, the token (`--http-token`, `--http-token-file`, the
 * `UDPCAM_HTTP_TOKEN` environment variable), `--show-token`, `--http-host` and `--http-open`.
 *
 * The file and the variable exist so the token need not sit in shell history or `ps` output; for
 * the same reason the receiver prints the view's address without the token unless `--show-token`
 * asks for it.
 *
 * Serving beyond this machine (any address but loopback) without a token is refused unless
 * `--http-open` says it is meant: a camera open to the whole network by a typo is worse than a
 * start that asks for one more flag.
 *
 * @module
 */

import { formatHostPort, type HostPort, parseHostPort } from "../net/mod.ts";
import { canonicalHost, isLoopbackHost, validateHttpToken } from "../http/mod.ts";
import { readSecretFileSync } from "../io/secret_file.ts";
import { usageError } from "./flags.ts";

/** Environment variable read for the token when neither token flag is given. */
export const HTTP_TOKEN_ENV = "UDPCAM_HTTP_TOKEN";
/** Most bytes read from `--http-token-file` (a token, not a document). */
export const MAX_HTTP_TOKEN_FILE_BYTES = 4096;

/** The flags, for the receiver's parseFlags table. */
export const HTTP_FLAGS = {
  http: { type: "string" },
  "http-token": { type: "string" },
  "http-token-file": { type: "string" },
  "show-token": { type: "boolean" },
  "http-host": { type: "string", multiple: true },
  "http-open": { type: "boolean" },
} as const;

/** `--help` lines for the HTTP flags (the receiver's Output section). */
export const HTTP_HELP =
  `  --http [HOST:]PORT    also serve the stream to browsers: a page at /, MJPEG at /stream.mjpeg,
                        the latest frame at /frame.jpg, stats at /stats.json (host 127.0.0.1
                        unless given: use 0.0.0.0:PORT for the LAN, with a token)
  --http-token-file FILE
                        require ?token=TOKEN on every HTTP request, TOKEN being the first line
                        of FILE (default: environment variable ${HTTP_TOKEN_ENV}, if set)
  --http-token TOKEN    the same with the token on the command line (visible in ps)
  --show-token          print the browser view's address with its ?token= (by default the
                        token is not printed)
  --http-host NAME      without a token, requests are served only when their Host is this
                        machine's name or address (or localhost): also answer to NAME, e.g. a
                        DNS name or a reverse proxy's (repeatable)
  --http-open           serve beyond this machine (an --http address other than 127.0.0.1,
                        ::1 or localhost) without a token: anyone who can reach it can watch`;

/** What the HTTP flags ask for. */
export interface ReceiverHttpOptions {
  /** Serve the stream to browsers here (page, MJPEG, snapshot, stats), or null. */
  http: HostPort | null;
  /** Required as ?token= on every HTTP request when set. */
  httpToken: string | null;
  /** Where the token came from (`--http-token-file FILE`, ...), for messages; null without one. */
  httpTokenFrom: string | null;
  /** Print the view's address with the token. */
  showToken: boolean;
  /** `--http-host`: more names a request's Host may carry when there is no token. */
  httpHosts: string[];
  /** `--http-open`: serving beyond loopback without a token is meant. */
  httpOpen: boolean;
}

/** The HTTP flags' values as parseFlags returns them. */
export interface HttpFlagValues {
  /** `--http`. */
  http?: string;
  /** `--http-token`. */
  "http-token"?: string;
  /** `--http-token-file`. */
  "http-token-file"?: string;
  /** `--show-token`. */
  "show-token"?: boolean;
  /** `--http-host`, each time given. */
  "http-host"?: string[];
  /** `--http-open`. */
  "http-open"?: boolean;
}

/**
 * Checks the HTTP flags and reads the token from wherever it was given.
 *
 * @throws {UserError} (usage) naming the flag: a bad address, both token flags, a token flag
 * without `--http`, an unreadable or unusable token file, a token that is not printable ASCII.
 */
export function receiverHttpOptions(
  program: string,
  flags: HttpFlagValues,
  env: (name: string) => string | undefined,
): ReceiverHttpOptions {
  let http: HostPort | null = null;
  if (flags.http !== undefined) {
    const parsed = parseHostPort(flags.http, "127.0.0.1");
    if (typeof parsed === "string") throw usageError(program, `--http ${parsed}`);
    http = parsed;
  }
  const given = flags["http-token"] !== undefined
    ? "--http-token"
    : flags["http-token-file"] !== undefined
    ? "--http-token-file"
    : flags["show-token"]
    ? "--show-token"
    : flags["http-host"] !== undefined
    ? "--http-host"
    : flags["http-open"]
    ? "--http-open"
    : null;
  if (given !== null && http === null) {
    throw usageError(program, `${given} only applies with --http`);
  }
  if (flags["http-token"] !== undefined && flags["http-token-file"] !== undefined) {
    throw usageError(program, "give the token once: --http-token or --http-token-file, not both");
  }
  let httpToken: string | null = null;
  let httpTokenFrom: string | null = null;
  if (flags["http-token"] !== undefined) {
    httpToken = flags["http-token"];
    httpTokenFrom = "--http-token";
  } else if (flags["http-token-file"] !== undefined) {
    const path = flags["http-token-file"];
    httpTokenFrom = `--http-token-file ${path}`;
    httpToken = readTokenFile(program, path);
  } else if (http !== null) {
    const fromEnv = env(HTTP_TOKEN_ENV);
    if (fromEnv !== undefined && fromEnv !== "") {
      httpToken = fromEnv;
      httpTokenFrom = HTTP_TOKEN_ENV;
    }
  }
  if (httpToken !== null) {
    const problem = validateHttpToken(httpToken);
    if (problem !== null) throw usageError(program, `the token from ${httpTokenFrom}: ${problem}`);
  }
  const httpHosts = (flags["http-host"] ?? []).map((name) => {
    if (canonicalHost(name) === null || /[\s/@]/.test(name)) {
      throw usageError(program, `--http-host needs a host name or address, got "${name}"`);
    }
    return name;
  });
  const httpOpen = flags["http-open"] ?? false;
  if (http !== null && httpToken === null && !httpOpen && !isLoopbackHost(http.hostname)) {
    throw usageError(
      program,
      `--http ${formatHostPort(http)} serves the camera beyond this machine without a token: ` +
        `anyone who can reach it could watch. Give a token (--http-token-file FILE or ` +
        `${HTTP_TOKEN_ENV}), or add --http-open to serve it without one`,
    );
  }
  return {
    http,
    httpToken,
    httpTokenFrom,
    showToken: flags["show-token"] ?? false,
    httpHosts,
    httpOpen,
  };
}

/** The first line of `--http-token-file`, read as lib/io/secret_file.ts reads. */
function readTokenFile(program: string, path: string): string {
  const read = readSecretFileSync(path, MAX_HTTP_TOKEN_FILE_BYTES);
  if (!(read instanceof Uint8Array)) {
    switch (read.kind) {
      case "unreadable":
        throw usageError(program, `Cannot read --http-token-file ${path}`, { cause: read.cause });
      case "notRegular":
        throw usageError(
          program,
          `Cannot read --http-token-file ${path}: it is not a regular file (a FIFO, device or ` +
            "folder). Put the token in a file",
        );
      case "tooLarge":
        throw usageError(
          program,
          `Cannot read --http-token-file ${path}: it is over ${read.maxBytes} bytes. Put only ` +
            "the token in it",
        );
    }
  }
  // Bytes as they are: a token is printable ASCII, so anything else is refused, not decoded.
  const text = String.fromCharCode(...read);
  // The first line, without its line ending: editors and `echo` add one.
  return text.split(/\r?\n/)[0];
}

/**
 * The warning to print when the view serves beyond this machine without a token (`--http-open`),
 * or null.
 */
export function httpOpenWarning(options: ReceiverHttpOptions): string | null {
  if (options.http === null || options.httpToken !== null) return null;
  if (isLoopbackHost(options.http.hostname)) return null;
  return `warning: the browser view on ${formatHostPort(options.http)} has no token ` +
    "(--http-open): anyone who can reach this machine can watch the camera";
}

/**
 * The line to print after the view's addresses when they leave the token out, or null (no token,
 * or `--show-token`).
 */
export function httpTokenNote(options: ReceiverHttpOptions): string | null {
  if (options.httpToken === null || options.showToken) return null;
  return `the browser view needs ?token=TOKEN (TOKEN from ${options.httpTokenFrom}) after the ` +
    "address; --show-token prints the address with it";
}
