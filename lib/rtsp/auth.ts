/**
 * RTSP authentication: HTTP Basic (RFC 7617) and Digest with MD5 (RFC 2617 / RFC 7616), the way
 * ffmpeg, GStreamer and VLC send them: `qop=auth` with a nonce count (ffmpeg), and the legacy
 * RFC 2069 form without qop (GStreamer 1.22 ignores the offered qop).
 *
 * ```text
 * challenge: WWW-Authenticate: Digest realm="udpcam", nonce="<32 hex>", algorithm=MD5, qop="auth"
 *            [, stale=true]   and/or   WWW-Authenticate: Basic realm="udpcam"
 * answer:    Authorization: Digest username="u", realm="udpcam", nonce="...", uri="<Request-URI>",
 *            response="<32 hex>"[, qop=auth, nc=00000001, cnonce="..."][, algorithm=MD5]
 * HA1 = MD5(username ":" realm ":" password)       HA2 = MD5(method ":" uri)
 * response = MD5(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)   with qop
 *          = MD5(HA1 ":" nonce ":" HA2)                            without (legacy)
 * ```
 *
 * Nonces: made from randomness the caller passes in (so this module stays pure), kept in a
 * table of at most `maxNonces` (the least recently used is forgotten first), each bound to the
 * host it was issued to, and forgotten after `nonceIdleMs` without a successful use. An idle
 * limit rather than a fixed lifetime, because a playing client's keep-alive must never be refused:
 * ffmpeg does not retry a refused keep-alive, and over TCP it sends no RTCP, so one refusal would
 * cost it its session. Replays are refused another way: with qop, the nonce count must grow with
 * every request (a replayed request repeats an old count); without qop, the binding to the
 * client's host keeps a sniffed request from working from anywhere else.
 *
 * A request with a correct response but an unknown, expired, foreign-host or replayed nonce gets
 * 401 with `stale=true`: the client knows the password, so it may retry at once with the new
 * nonce without asking its user (ffmpeg switches nonce, GStreamer retries immediately). Responses
 * are compared in constant time; an unknown user is checked against a dummy password so the
 * timing does not tell which user names exist.
 *
 * MD5 comes from `node:crypto` (Deno's built-in Node compatibility), since WebCrypto has none.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** One account allowed to watch. */
export interface RtspCredentials {
  /** User name: no colon (Basic cannot carry one), no control characters. */
  username: string;
  /** Password. */
  password: string;
}

/** Settings of a {@linkcode RtspAuthenticator}. */
export interface RtspAuthOptions {
  /** The accounts; at least one. */
  users: readonly RtspCredentials[];
  /** Realm shown to the user and mixed into HA1; default "udpcam". */
  realm?: string;
  /** Offer Digest; default true. */
  digest?: boolean;
  /** Offer Basic (the password crosses the network readable); default false. */
  basic?: boolean;
  /** Accept Digest answers without qop (RFC 2069), as GStreamer 1.22 sends; default true. */
  allowLegacyDigest?: boolean;
  /** Most nonces remembered; default {@linkcode DEFAULT_MAX_NONCES}. */
  maxNonces?: number;
  /** A nonce is forgotten this long after its last successful use; default 5 minutes. */
  nonceIdleMs?: number;
  /** Fills `bytes` random bytes for a nonce, e.g. `(n) => crypto.getRandomValues(new Uint8Array(n))`. */
  random: (bytes: number) => Uint8Array;
}

/** Nonces remembered by default: room for many more clients than the server admits. */
export const DEFAULT_MAX_NONCES = 256;
/** Default idle lifetime of a nonce. */
export const DEFAULT_NONCE_IDLE_MS = 5 * 60_000;
/** Random bytes in a nonce (written as twice as many hex digits). */
export const NONCE_BYTES = 16;
/** Most parameters read from one Authorization header. */
export const MAX_AUTH_PARAMS = 32;

/** Why a request was not authenticated. */
export const RTSP_AUTH_FAILURES = [
  "missing",
  "scheme",
  "malformed",
  "realm",
  "algorithm",
  "uri",
  "legacy",
  "user",
  "response",
  "staleNonce",
  "replay",
] as const;
/** A reason a request was not authenticated. */
export type RtspAuthFailure = typeof RTSP_AUTH_FAILURES[number];

/** The outcome of {@linkcode RtspAuthenticator.verify}. */
export type RtspAuthResult =
  | { ok: true; username: string; scheme: "basic" | "digest" }
  | {
    ok: false;
    reason: RtspAuthFailure;
    /** Answer with `stale=true`: the password was right, only the nonce was not. */
    stale: boolean;
  };

/** Counters of an authenticator. */
export interface RtspAuthCounters {
  /** Requests verified and accepted. */
  accepted: number;
  /** Requests refused, by reason. */
  refused: Record<RtspAuthFailure, number>;
  /** Nonces issued. */
  noncesIssued: number;
  /** Nonces forgotten to make room (least recently used first). */
  noncesEvicted: number;
  /** Nonces forgotten for being idle. */
  noncesExpired: number;
}

/** The lowercase hex MD5 of `text` encoded as UTF-8. */
export function md5Hex(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}

/** The inputs of a Digest response. */
export interface DigestInputs {
  /** User name. */
  username: string;
  /** Realm. */
  realm: string;
  /** Password. */
  password: string;
  /** Request method. */
  method: string;
  /** The digest `uri` parameter (the Request-URI). */
  uri: string;
  /** Server nonce. */
  nonce: string;
  /** With qop=auth: the quality of protection, the nonce count (8 hex digits), the client nonce. */
  qop?: { qop: string; nc: string; cnonce: string };
}

/** The Digest MD5 `response` value (RFC 2617 §3.2.2.1), with or without qop. */
export function digestResponse(inputs: DigestInputs): string {
  const ha1 = md5Hex(`${inputs.username}:${inputs.realm}:${inputs.password}`);
  const ha2 = md5Hex(`${inputs.method}:${inputs.uri}`);
  if (inputs.qop === undefined) return md5Hex(`${ha1}:${inputs.nonce}:${ha2}`);
  const { qop, nc, cnonce } = inputs.qop;
  return md5Hex(`${ha1}:${inputs.nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
}

/** Compares two strings in time that depends only on their lengths (which are not secret). */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/**
 * Parses the parameters after a scheme: `name=token` or `name="quoted \" string"`, separated by
 * commas. Names are lowercased. Returns null when malformed.
 */
export function parseAuthParams(text: string): Map<string, string> | null {
  const params = new Map<string, string>();
  let at = 0;
  const skipSpace = () => {
    while (at < text.length && (text[at] === " " || text[at] === "\t")) at++;
  };
  while (at < text.length) {
    skipSpace();
    if (text[at] === ",") {
      at++;
      continue;
    }
    if (at >= text.length) break;
    const nameMatch = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/.exec(text.slice(at, at + 64));
    if (nameMatch === null) return null;
    const name = nameMatch[0].toLowerCase();
    at += nameMatch[0].length;
    skipSpace();
    if (text[at] !== "=") return null;
    at++;
    skipSpace();
    let value = "";
    if (text[at] === '"') {
      at++;
      for (;;) {
        if (at >= text.length) return null; // unterminated
        const char = text[at++];
        if (char === '"') break;
        if (char === "\\") {
          if (at >= text.length) return null;
          value += text[at++];
        } else value += char;
      }
    } else {
      const tokenMatch = /^[^\s,"]*/.exec(text.slice(at));
      value = tokenMatch?.[0] ?? "";
      at += value.length;
    }
    if (params.has(name) || params.size === MAX_AUTH_PARAMS) return null;
    params.set(name, value);
    skipSpace();
    if (at < text.length && text[at] !== ",") return null;
  }
  return params;
}

interface NonceEntry {
  peerHost: string;
  lastUsedMs: number;
  /** Highest nonce count accepted with qop; 0 before the first. */
  highestCount: number;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Stands in for an unknown user's password so refusing takes as long as for a known one. */
const DUMMY_PASSWORD = "\u0000udpcam-no-such-user\u0000";

/**
 * Challenges and verifies RTSP requests; holds the nonce table. Pure: the caller passes the time,
 * the peer's host and (at construction) a source of random bytes.
 *
 * @example Challenge, then accept GStreamer's legacy Digest answer
 * ```ts
 * import { md5Hex, RtspAuthenticator } from "./auth.ts";
 *
 * const auth = new RtspAuthenticator({
 *   users: [{ username: "udpcam", password: "s3cret" }],
 *   random: (n) => crypto.getRandomValues(new Uint8Array(n)),
 * });
 * const [challenge] = auth.challenge("192.0.2.7", 0, false);
 * const nonce = /nonce="([^"]+)"/.exec(challenge)![1];
 * const uri = "rtsp://camera:8554/udpcam";
 * const ha1 = md5Hex("udpcam:udpcam:s3cret");
 * const response = md5Hex(`${ha1}:${nonce}:${md5Hex(`DESCRIBE:${uri}`)}`);
 * const authorization = `Digest username="udpcam", realm="udpcam", nonce="${nonce}", ` +
 *   `uri="${uri}", response="${response}"`;
 * const result = auth.verify({ method: "DESCRIBE", uri, authorization }, "192.0.2.7", 10);
 * console.log(result.ok); // true
 * ```
 */
export class RtspAuthenticator {
  readonly #users: Map<string, string>;
  readonly #realm: string;
  readonly #digest: boolean;
  readonly #basic: boolean;
  readonly #allowLegacy: boolean;
  readonly #maxNonces: number;
  readonly #nonceIdleMs: number;
  readonly #random: (bytes: number) => Uint8Array;
  /** In order of last use: the first entry is the least recently used. */
  readonly #nonces = new Map<string, NonceEntry>();
  readonly #counters: RtspAuthCounters = {
    accepted: 0,
    refused: Object.fromEntries(RTSP_AUTH_FAILURES.map((r) => [r, 0])) as Record<
      RtspAuthFailure,
      number
    >,
    noncesIssued: 0,
    noncesEvicted: 0,
    noncesExpired: 0,
  };

  /**
   * An authenticator with an empty nonce table.
   *
   * @throws {RangeError} without users or schemes, for a user name with a colon or control
   * characters, or a realm with a quote, backslash or control character.
   */
  constructor(options: RtspAuthOptions) {
    this.#realm = options.realm ?? "udpcam";
    this.#digest = options.digest ?? true;
    this.#basic = options.basic ?? false;
    this.#allowLegacy = options.allowLegacyDigest ?? true;
    this.#maxNonces = Math.max(1, Math.floor(options.maxNonces ?? DEFAULT_MAX_NONCES));
    this.#nonceIdleMs = options.nonceIdleMs ?? DEFAULT_NONCE_IDLE_MS;
    this.#random = options.random;
    if (!this.#digest && !this.#basic) {
      throw new RangeError("Cannot authenticate RTSP with no scheme. Enable Digest or Basic.");
    }
    if (options.users.length === 0) {
      throw new RangeError("Cannot authenticate RTSP without users. Give at least one user.");
    }
    // deno-lint-ignore no-control-regex
    if (/["\\\x00-\x1f\x7f]/.test(this.#realm)) {
      throw new RangeError(
        `Cannot use RTSP realm ${JSON.stringify(this.#realm)}: remove quotes, backslashes and ` +
          "control characters.",
      );
    }
    this.#users = new Map();
    for (const { username, password } of options.users) {
      // deno-lint-ignore no-control-regex
      if (username === "" || /[:\x00-\x1f\x7f]/.test(username)) {
        throw new RangeError(
          `Cannot use RTSP user name ${JSON.stringify(username)}: it must be non-empty, without ` +
            "colons or control characters.",
        );
      }
      this.#users.set(username, password);
    }
  }

  /** Nonces currently remembered. */
  get noncesHeld(): number {
    return this.#nonces.size;
  }

  /** Counters since construction (a copy). */
  get counters(): RtspAuthCounters {
    return { ...this.#counters, refused: { ...this.#counters.refused } };
  }

  /**
   * The WWW-Authenticate values for a 401 to `peerHost` (Digest first, the stronger), issuing a
   * fresh nonce. `stale` marks the Digest challenge `stale=true`.
   */
  challenge(peerHost: string, nowMs: number, stale: boolean): string[] {
    const values: string[] = [];
    if (this.#digest) {
      const nonce = hex(this.#random(NONCE_BYTES).subarray(0, NONCE_BYTES));
      this.#remember(nonce, { peerHost, lastUsedMs: nowMs, highestCount: 0 });
      this.#counters.noncesIssued++;
      values.push(
        `Digest realm="${this.#realm}", nonce="${nonce}", algorithm=MD5, qop="auth"` +
          (stale ? ", stale=true" : ""),
      );
    }
    if (this.#basic) values.push(`Basic realm="${this.#realm}"`);
    return values;
  }

  /** Forgets nonces idle for longer than `nonceIdleMs`; call it now and then (e.g. each tick). */
  prune(nowMs: number): void {
    for (const [nonce, entry] of this.#nonces) {
      // Entries are in order of last use, so the first one still fresh ends the scan.
      if (nowMs - entry.lastUsedMs <= this.#nonceIdleMs) break;
      this.#nonces.delete(nonce);
      this.#counters.noncesExpired++;
    }
  }

  /**
   * Checks the Authorization header of a request from `peerHost`. `uri` is the Request-URI and
   * must equal the Digest `uri` parameter. Never throws.
   */
  verify(
    request: { method: string; uri: string; authorization: string | null },
    peerHost: string,
    nowMs: number,
  ): RtspAuthResult {
    const result = this.#verify(request, peerHost, nowMs);
    if (result.ok) this.#counters.accepted++;
    else this.#counters.refused[result.reason]++;
    return result;
  }

  #verify(
    request: { method: string; uri: string; authorization: string | null },
    peerHost: string,
    nowMs: number,
  ): RtspAuthResult {
    const header = request.authorization;
    if (header === null) return { ok: false, reason: "missing", stale: false };
    const space = header.indexOf(" ");
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const rest = space < 0 ? "" : header.slice(space + 1).trim();
    if (scheme === "basic" && this.#basic) return this.#verifyBasic(rest);
    if (scheme === "digest" && this.#digest) {
      return this.#verifyDigest(request.method, request.uri, rest, peerHost, nowMs);
    }
    return { ok: false, reason: "scheme", stale: false };
  }

  #verifyBasic(token: string): RtspAuthResult {
    let decoded: string;
    try {
      decoded = new TextDecoder("utf-8", { fatal: true }).decode(
        Uint8Array.from(atob(token), (char) => char.charCodeAt(0)),
      );
    } catch {
      return { ok: false, reason: "malformed", stale: false };
    }
    const colon = decoded.indexOf(":");
    if (colon < 0) return { ok: false, reason: "malformed", stale: false };
    const username = decoded.slice(0, colon);
    const password = this.#users.get(username);
    // Hash both sides so the comparison takes the same time whatever the lengths.
    const given = md5Hex(`${this.#realm}:${decoded}`);
    const expected = md5Hex(`${this.#realm}:${username}:${password ?? DUMMY_PASSWORD}`);
    if (!constantTimeEqual(given, expected) || password === undefined) {
      return { ok: false, reason: password === undefined ? "user" : "response", stale: false };
    }
    return { ok: true, username, scheme: "basic" };
  }

  #verifyDigest(
    method: string,
    uri: string,
    paramText: string,
    peerHost: string,
    nowMs: number,
  ): RtspAuthResult {
    const params = parseAuthParams(paramText);
    const username = params?.get("username");
    const nonce = params?.get("nonce");
    const response = params?.get("response")?.toLowerCase();
    const digestUri = params?.get("uri");
    if (
      params == null || username === undefined || nonce === undefined ||
      response === undefined || digestUri === undefined
    ) {
      return { ok: false, reason: "malformed", stale: false };
    }
    if (params.get("realm") !== this.#realm) return { ok: false, reason: "realm", stale: false };
    const algorithm = params.get("algorithm")?.toUpperCase() ?? "MD5";
    if (algorithm !== "MD5") return { ok: false, reason: "algorithm", stale: false };
    if (digestUri !== uri) return { ok: false, reason: "uri", stale: false };
    const qop = params.get("qop");
    let qopInputs: DigestInputs["qop"];
    let count = 0;
    if (qop !== undefined) {
      const nc = params.get("nc");
      const cnonce = params.get("cnonce");
      if (
        qop.toLowerCase() !== "auth" || nc === undefined || cnonce === undefined ||
        !/^[0-9a-f]{8}$/i.test(nc)
      ) {
        return { ok: false, reason: "malformed", stale: false };
      }
      // Hashed as sent: the client hashed its own spelling.
      qopInputs = { qop, nc, cnonce };
      count = parseInt(nc, 16);
    } else if (!this.#allowLegacy) {
      return { ok: false, reason: "legacy", stale: false };
    }
    const password = this.#users.get(username);
    const expected = digestResponse({
      username,
      realm: this.#realm,
      password: password ?? DUMMY_PASSWORD,
      method,
      uri: digestUri,
      nonce,
      qop: qopInputs,
    });
    const correct = constantTimeEqual(response, expected);
    if (password === undefined) return { ok: false, reason: "user", stale: false };
    if (!correct) return { ok: false, reason: "response", stale: false };
    // The password is right; now the nonce must be one we issued to this host, still fresh.
    const entry = this.#nonces.get(nonce);
    if (entry !== undefined && nowMs - entry.lastUsedMs > this.#nonceIdleMs) {
      this.#nonces.delete(nonce);
      this.#counters.noncesExpired++;
      return { ok: false, reason: "staleNonce", stale: true };
    }
    if (entry === undefined || entry.peerHost !== peerHost) {
      return { ok: false, reason: "staleNonce", stale: true };
    }
    if (qop !== undefined) {
      if (count <= entry.highestCount) return { ok: false, reason: "replay", stale: true };
      entry.highestCount = count;
    }
    entry.lastUsedMs = nowMs;
    this.#remember(nonce, entry);
    return { ok: true, username, scheme: "digest" };
  }

  /** Stores `entry` as the most recently used, evicting the least recently used past the cap. */
  #remember(nonce: string, entry: NonceEntry): void {
    this.#nonces.delete(nonce);
    this.#nonces.set(nonce, entry);
    while (this.#nonces.size > this.#maxNonces) {
      const oldest = this.#nonces.keys().next().value as string;
      this.#nonces.delete(oldest);
      this.#counters.noncesEvicted++;
    }
  }
}
