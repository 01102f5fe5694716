/**
 * Reads HTTP/1.x request heads (request line and header fields, RFC 9112) from a connection's
 * bytes, in chunks of any size, for the receiver's HTTP view.
 *
 * The view only answers GET and HEAD without a body, so a head is all a request is; what follows
 * a head is the next request (pipelining). Everything a client controls is capped: the head's
 * bytes (a trickling or endless head is refused once it passes the cap, whatever the timing) and
 * the number of header fields. A head that breaks the grammar is refused with the status to
 * answer and a reason to count, never guessed at: the fields that matter for safety (Host,
 * Content-Length, Transfer-Encoding) must be unambiguous.
 *
 * Pure: bytes in, heads or refusals out; the caller owns the socket and the clock.
 *
 * @module
 */

/** Why a head was refused, each counted apart. */
export type BadRequestReason =
  /** The head passed {@linkcode RequestHeadLimits.maxHeadBytes} before its blank line. */
  | "headTooLarge"
  /** More than {@linkcode RequestHeadLimits.maxHeaderFields} header fields. */
  | "tooManyHeaders"
  /** The request line is not `METHOD SP TARGET SP HTTP/1.x`. */
  | "badRequestLine"
  /** A version other than HTTP/1.0 and HTTP/1.1. */
  | "badVersion"
  /** A header line that is not `name: value` (or is an obsolete folded line). */
  | "badHeader"
  /** HTTP/1.1 without a Host field (RFC 9112 section 3.2 says to answer 400). */
  | "missingHost"
  /** More than one Host, Content-Length or Transfer-Encoding field. */
  | "duplicateHeader"
  /** A body (Content-Length above 0, or Transfer-Encoding): the view takes none. */
  | "hasBody";

/** Every {@linkcode BadRequestReason}, in the order counters list them. */
export const BAD_REQUEST_REASONS: readonly BadRequestReason[] = [
  "headTooLarge",
  "tooManyHeaders",
  "badRequestLine",
  "badVersion",
  "badHeader",
  "missingHost",
  "duplicateHeader",
  "hasBody",
];

/** A parsed request head. */
export interface RequestHead {
  /** The method, as sent (methods are case-sensitive). */
  method: string;
  /** The request target: `/path?query` (origin form), or an absolute URL, or `*`. */
  target: string;
  /** The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minorVersion: 0 | 1;
  /** Header fields in order, names lower-cased, values without surrounding whitespace. */
  fields: [string, string][];
}

/** What {@linkcode RequestHeadReader.push} found. */
export type HeadReadResult =
  | { kind: "incomplete" }
  | { kind: "head"; head: RequestHead }
  | { kind: "bad"; status: 400 | 431 | 505; reason: BadRequestReason };

/** Caps of a {@linkcode RequestHeadReader}. */
export interface RequestHeadLimits {
  /** Most bytes of one head, request line to blank line included. */
  maxHeadBytes: number;
  /** Most header fields in one head. */
  maxHeaderFields: number;
}

/** Defaults: 8 KiB (what many servers allow) and 64 fields; browsers send about 1 KiB and 15. */
export const DEFAULT_REQUEST_HEAD_LIMITS: RequestHeadLimits = {
  maxHeadBytes: 8192,
  maxHeaderFields: 64,
};

/** RFC 9110 token characters (methods and field names). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value: visible characters, spaces and tabs, and obs-text (bytes 0x80-0xff). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** A request target: visible ASCII only (no spaces, controls or raw bytes above 0x7e). */
const VISIBLE_ASCII = /^[!-~]+$/;
/** Fields that must not appear twice: a second one could make two parsers disagree. */
const SINGLE_FIELDS = new Set(["host", "content-length", "transfer-encoding"]);

/**
 * The value of field `name` (lower case) in `head`, or null; for a field listed twice, the first.
 */
export function headerValue(head: RequestHead, name: string): string | null {
  return head.fields.find(([field]) => field === name)?.[1] ?? null;
}

/**
 * Whether the connection stays open after the response (RFC 9112 section 9.3): HTTP/1.1 unless
 * the client says `Connection: close`; HTTP/1.0 closes (the view does not offer 1.0 keep-alive).
 */
export function keepsAlive(head: RequestHead): boolean {
  if (head.minorVersion === 0) return false;
  const connection = headerValue(head, "connection");
  return connection === null ||
    !connection.toLowerCase().split(",").some((option) => option.trim() === "close");
}

/**
 * Collects bytes until a whole head has arrived, then parses it; see the module doc.
 *
 * @example A head in two chunks, then the next request already behind it
 * ```ts
 * import { RequestHeadReader } from "./request_head.ts";
 *
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * const reader = new RequestHeadReader();
 * if (reader.push(bytes("GET /frame.jpg HTTP/1.1\r\nHo")).kind !== "incomplete") {
 *   throw new Error("a head without its blank line is not complete");
 * }
 * const first = reader.push(bytes("st: localhost:8080\r\n\r\nGET / HTTP/1.1\r\n"));
 * if (first.kind !== "head" || first.head.target !== "/frame.jpg") throw new Error("no head");
 * if (reader.bufferedBytes !== 16) throw new Error("the next request was not kept");
 * ```
 */
export class RequestHeadReader {
  readonly #limits: RequestHeadLimits;
  #buffer = new Uint8Array(0);
  /** Where the search for the blank line resumes (bytes before it hold none). */
  #scanFrom = 0;

  /** A reader with `limits` (default {@linkcode DEFAULT_REQUEST_HEAD_LIMITS}). */
  constructor(limits: RequestHeadLimits = DEFAULT_REQUEST_HEAD_LIMITS) {
    this.#limits = limits;
  }

  /** Bytes held: a head still incomplete, or what followed the last head. */
  get bufferedBytes(): number {
    return this.#buffer.length;
  }

  /**
   * Adds `bytes` (an empty array just looks again at what is held) and returns the next head,
   * a refusal, or `incomplete`. After a head, what followed it stays for the next call; after a
   * refusal the reader is spent (the caller answers and closes).
   */
  push(bytes: Uint8Array): HeadReadResult {
    if (bytes.length > 0) {
      // Never hold more than the cap plus one chunk: past the cap the head is refused anyway.
      const joined = new Uint8Array(this.#buffer.length + bytes.length);
      joined.set(this.#buffer);
      joined.set(bytes, this.#buffer.length);
      this.#buffer = joined;
    }
    this.#skipLeadingEmptyLines();
    const end = this.#findHeadEnd();
    if (end === null) {
      if (this.#buffer.length > this.#limits.maxHeadBytes) return this.#refuse(431, "headTooLarge");
      return { kind: "incomplete" };
    }
    if (end.headBytes > this.#limits.maxHeadBytes) return this.#refuse(431, "headTooLarge");
    const text = latin1(this.#buffer.subarray(0, end.headBytes));
    this.#buffer = this.#buffer.slice(end.headBytes);
    this.#scanFrom = 0;
    return this.#parse(text);
  }

  /** RFC 9112 section 2.2: a server should ignore empty lines before the request line. */
  #skipLeadingEmptyLines(): void {
    let at = 0;
    while (at < this.#buffer.length && (this.#buffer[at] === 0x0d || this.#buffer[at] === 0x0a)) {
      at++;
    }
    if (at > 0) {
      this.#buffer = this.#buffer.slice(at);
      this.#scanFrom = 0;
    }
  }

  /** The end of the head (after its blank line), accepting CRLF or bare LF line ends. */
  #findHeadEnd(): { headBytes: number } | null {
    const buffer = this.#buffer;
    for (let i = Math.max(0, this.#scanFrom - 1); i < buffer.length; i++) {
      if (buffer[i] !== 0x0a) continue;
      // A line feed followed by CRLF or LF ends the head.
      if (buffer[i + 1] === 0x0a) return { headBytes: i + 2 };
      if (buffer[i + 1] === 0x0d && buffer[i + 2] === 0x0a) return { headBytes: i + 3 };
    }
    // The last two bytes may begin the blank line: look at them again next time.
    this.#scanFrom = Math.max(0, buffer.length - 2);
    return null;
  }

  #parse(text: string): HeadReadResult {
    const lines = text.split(/\r?\n/);
    // The head ends with a line break and a blank line: two empty strings at the end.
    lines.length -= 2;
    const requestLine = /^([^ ]+) ([^ ]+) HTTP\/(\d)\.(\d)$/.exec(lines[0]);
    if (
      !requestLine || !TOKEN.test(requestLine[1]) || !VISIBLE_ASCII.test(requestLine[2])
    ) {
      return this.#refuse(400, "badRequestLine");
    }
    if (requestLine[3] !== "1" || (requestLine[4] !== "0" && requestLine[4] !== "1")) {
      return this.#refuse(505, "badVersion");
    }
    if (lines.length - 1 > this.#limits.maxHeaderFields) {
      return this.#refuse(431, "tooManyHeaders");
    }
    const fields: [string, string][] = [];
    const seen = new Set<string>();
    for (const line of lines.slice(1)) {
      // No whitespace before the colon (RFC 9112 section 5.1), no folded continuation lines.
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
      if (colon <= 0 || !TOKEN.test(name) || !FIELD_VALUE.test(value)) {
        return this.#refuse(400, "badHeader");
      }
      if (SINGLE_FIELDS.has(name)) {
        if (seen.has(name)) return this.#refuse(400, "duplicateHeader");
        seen.add(name);
      }
      fields.push([name, value]);
    }
    const minorVersion = requestLine[4] === "1" ? 1 : 0;
    const head: RequestHead = {
      method: requestLine[1],
      target: requestLine[2],
      minorVersion,
      fields,
    };
    if (minorVersion === 1 && !seen.has("host")) return this.#refuse(400, "missingHost");
    const length = headerValue(head, "content-length");
    if (seen.has("transfer-encoding") || (length !== null && !/^0+$/.test(length))) {
      return this.#refuse(400, "hasBody");
    }
    return { kind: "head", head };
  }

  #refuse(status: 400 | 431 | 505, reason: BadRequestReason): HeadReadResult {
    this.#buffer = new Uint8Array(0);
    this.#scanFrom = 0;
    return { kind: "bad", status, reason };
  }
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return text;
}
