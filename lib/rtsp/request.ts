/**
 * An incremental parser for what an RTSP client writes into its TCP connection (RFC 2326 §6 and
 * §10.12): requests (request line, headers, a Content-Length body) and, between them, interleaved
 * binary frames, which is how a client on RTP/AVP/TCP sends its RTCP receiver reports.
 *
 * ```text
 * request:      METHOD SP Request-URI SP RTSP/1.0 CRLF
 *               Name: value CRLF                        (at most maxHeaders lines)
 *               CRLF                                    (head at most maxHeadBytes)
 *               body                                    (Content-Length bytes, at most maxBodyBytes)
 * interleaved:  "$" (0x24) | channel (1 byte) | length (2 bytes, big-endian) | length bytes
 * ```
 *
 * What it accepts and refuses:
 * - header names are matched case-insensitively ({@linkcode headerValue}); values are trimmed;
 * - lone LF line ends are accepted as well as CRLF (as HTTP parsers do); a bare CR inside a line
 *   is refused, and so is a folded header (a line starting with a space or tab: obsolete and a
 *   smuggling vector), a control character in a value, and a head that is not UTF-8;
 * - empty lines between messages are skipped;
 * - a version other than RTSP/1.0 gets 505;
 * - an interleaved frame longer than `maxInterleavedBytes` is skipped without being buffered
 *   (counted), since its length field still says where the next message starts.
 *
 * Over any other cap, or on any malformed request, {@linkcode RtspRequestParser.push} returns an
 * `error` item carrying the status to answer with (400, 413, 431 or 505); the parser then stays
 * failed and discards everything after, because the stream can no longer be framed: the caller
 * answers and closes the connection. It never throws, and it holds at most
 * `maxHeadBytes + maxBodyBytes` bytes.
 *
 * @module
 */

/** One header line of a request, the name as the client spelled it. */
export interface RtspHeader {
  /** Header name, as sent (compare case-insensitively). */
  name: string;
  /** Value with surrounding spaces and tabs removed. */
  value: string;
}

/** A complete RTSP request. */
export interface RtspRequest {
  /** Method, case-sensitive as RFC 2326 §6.1 says: "OPTIONS", "DESCRIBE", ... */
  method: string;
  /** The Request-URI exactly as sent: an absolute rtsp:// URL, or "*". */
  uri: string;
  /** Header lines in the order they came. */
  headers: RtspHeader[];
  /** The body (Content-Length bytes); empty without Content-Length. */
  body: Uint8Array;
}

/** The first value of header `name` (case-insensitive), or null when absent. */
export function headerValue(request: RtspRequest, name: string): string | null {
  const wanted = name.toLowerCase();
  for (const header of request.headers) {
    if (header.name.toLowerCase() === wanted) return header.value;
  }
  return null;
}

/** Every value of header `name` (case-insensitive), in order. */
export function headerValues(request: RtspRequest, name: string): string[] {
  const wanted = name.toLowerCase();
  return request.headers.filter((h) => h.name.toLowerCase() === wanted).map((h) => h.value);
}

/** Why the byte stream could not be parsed. */
export const RTSP_PARSE_ERROR_REASONS = [
  "requestLine",
  "version",
  "headerLine",
  "folding",
  "encoding",
  "headTooLarge",
  "tooManyHeaders",
  "contentLength",
  "bodyTooLarge",
] as const;
/** A reason the byte stream could not be parsed. */
export type RtspParseErrorReason = typeof RTSP_PARSE_ERROR_REASONS[number];

/** The status each parse error is answered with. */
export const RTSP_PARSE_ERROR_STATUS: Record<RtspParseErrorReason, number> = {
  requestLine: 400,
  version: 505,
  headerLine: 400,
  folding: 400,
  encoding: 400,
  // RTSP has no code for this; RFC 6585's 431 says it exactly, and the connection closes anyway.
  headTooLarge: 431,
  tooManyHeaders: 431,
  contentLength: 400,
  bodyTooLarge: 413,
};

/** A request the parser gave up on. */
export interface RtspParseError {
  /** What was wrong. */
  reason: RtspParseErrorReason;
  /** The status to answer with before closing. */
  status: number;
  /** The CSeq of the failed request when its headers could be read, to echo; otherwise null. */
  cseq: string | null;
  /** What happened and what the client should do, for a log line. */
  message: string;
}

/** One thing taken from the byte stream. */
export type RtspStreamItem =
  | { type: "request"; request: RtspRequest }
  | { type: "interleaved"; channel: number; payload: Uint8Array }
  | { type: "error"; error: RtspParseError };

/** Caps of a {@linkcode RtspRequestParser}. */
export interface RtspRequestParserOptions {
  /** Longest request head (request line, headers and the empty line); past it: 431. */
  maxHeadBytes: number;
  /** Most header lines in one request; past it: 431. */
  maxHeaders: number;
  /** Longest body; a larger Content-Length: 413. */
  maxBodyBytes: number;
  /** Longest interleaved frame payload kept; longer ones are skipped and counted. */
  maxInterleavedBytes: number;
}

/** Defaults: real clients' requests are well under 1 KiB; an RTCP compound under 200 bytes. */
export const DEFAULT_RTSP_PARSER_OPTIONS: RtspRequestParserOptions = {
  maxHeadBytes: 8 * 1024,
  maxHeaders: 64,
  maxBodyBytes: 16 * 1024,
  maxInterleavedBytes: 4 * 1024,
};

/** Everything a {@linkcode RtspRequestParser} counted since it was made. */
export interface RtspParserCounters {
  /** Bytes pushed. */
  bytesReceived: number;
  /** Requests parsed. */
  requests: number;
  /** Bytes of those requests, head and body. */
  requestBytes: number;
  /** Interleaved frames delivered. */
  interleavedFrames: number;
  /** Interleaved frames skipped for exceeding `maxInterleavedBytes`. */
  interleavedSkipped: number;
  /** Bytes of all interleaved frames, delivered or skipped, 4-byte prefix included. */
  interleavedBytes: number;
  /** Bytes of empty lines between messages. */
  emptyLineBytes: number;
  /** Errors by reason (at most one: the parser stops at the first). */
  errors: Record<RtspParseErrorReason, number>;
  /** Bytes thrown away after an error, including what was buffered when it happened. */
  bytesDiscarded: number;
}

const CR = 0x0d;
const LF = 0x0a;
const DOLLAR = 0x24;
/** RFC 2326 §15.1 token characters (RFC 2616 token), for methods and header names. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** True when `text` has a control character (below 0x20, or DEL); a tab passes if `tabOk`. */
function hasControl(text: string, tabOk: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && !(tabOk && code === 0x09)) || code === 0x7f) return true;
  }
  return false;
}
const utf8 = new TextDecoder("utf-8", { fatal: true });

function emptyCounters(): RtspParserCounters {
  return {
    bytesReceived: 0,
    requests: 0,
    requestBytes: 0,
    interleavedFrames: 0,
    interleavedSkipped: 0,
    interleavedBytes: 0,
    emptyLineBytes: 0,
    errors: Object.fromEntries(RTSP_PARSE_ERROR_REASONS.map((r) => [r, 0])) as Record<
      RtspParseErrorReason,
      number
    >,
    bytesDiscarded: 0,
  };
}

type HeadResult =
  | { ok: true; request: Omit<RtspRequest, "body">; contentLength: number }
  | { ok: false; reason: RtspParseErrorReason; cseq: string | null; message: string };

/**
 * Splits a TCP byte stream into RTSP requests and interleaved frames, incrementally: push bytes as
 * they arrive, in any chunking, and take the items that became complete.
 *
 * @example Parse a request that arrives in two pieces, with an RTCP frame in between
 * ```ts
 * import { RtspRequestParser } from "./request.ts";
 *
 * const parser = new RtspRequestParser();
 * const text = new TextEncoder();
 * console.log(parser.push(text.encode("OPTIONS * RTSP/1.0\r\nCSe")).length); // 0
 * const items = parser.push(
 *   Uint8Array.of(...text.encode("q: 1\r\n\r\n"), 0x24, 1, 0, 2, 0xaa, 0xbb),
 * );
 * console.log(items.map((item) => item.type)); // ["request", "interleaved"]
 * ```
 */
export class RtspRequestParser {
  readonly #options: RtspRequestParserOptions;
  #buffer = new Uint8Array(0);
  /** Bytes of the pending buffer already searched for the end of the head. */
  #headScanned = 0;
  /** Bytes of an oversized interleaved frame still to skip. */
  #skipRemaining = 0;
  #failed: RtspParseError | null = null;
  readonly #counters = emptyCounters();

  /**
   * A parser at the start of a connection's stream.
   *
   * @param options Caps; missing ones take {@linkcode DEFAULT_RTSP_PARSER_OPTIONS}.
   */
  constructor(options: Partial<RtspRequestParserOptions> = {}) {
    this.#options = { ...DEFAULT_RTSP_PARSER_OPTIONS, ...options };
  }

  /** Bytes held while waiting for the rest of a message. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }

  /** The error the parser stopped at, or null while it still parses. */
  get failure(): RtspParseError | null {
    return this.#failed;
  }

  /** Counters since construction (a copy). */
  get counters(): RtspParserCounters {
    return { ...this.#counters, errors: { ...this.#counters.errors } };
  }

  /**
   * Takes the next bytes of the stream; returns the requests and frames they complete, in order,
   * ending with at most one `error` item. Never throws. The parser keeps no reference to `chunk`.
   */
  push(chunk: Uint8Array): RtspStreamItem[] {
    this.#counters.bytesReceived += chunk.length;
    if (this.#failed !== null) {
      this.#counters.bytesDiscarded += chunk.length;
      return [];
    }
    let data: Uint8Array;
    if (this.#buffer.length === 0) {
      data = chunk;
    } else {
      data = new Uint8Array(this.#buffer.length + chunk.length);
      data.set(this.#buffer);
      data.set(chunk, this.#buffer.length);
    }
    const items: RtspStreamItem[] = [];
    let at = 0;
    while (at < data.length) {
      if (this.#skipRemaining > 0) {
        const take = Math.min(this.#skipRemaining, data.length - at);
        this.#skipRemaining -= take;
        this.#counters.interleavedBytes += take;
        at += take;
        continue;
      }
      const first = data[at];
      if (first === CR || first === LF) {
        this.#counters.emptyLineBytes++;
        at++;
        continue;
      }
      if (first === DOLLAR) {
        if (data.length - at < 4) break;
        const channel = data[at + 1];
        const length = (data[at + 2] << 8) | data[at + 3];
        if (length > this.#options.maxInterleavedBytes) {
          this.#counters.interleavedSkipped++;
          this.#counters.interleavedBytes += 4;
          this.#skipRemaining = length;
          at += 4;
          continue;
        }
        if (data.length - at < 4 + length) break;
        items.push({
          type: "interleaved",
          channel,
          payload: data.slice(at + 4, at + 4 + length),
        });
        this.#counters.interleavedFrames++;
        this.#counters.interleavedBytes += 4 + length;
        at += 4 + length;
        continue;
      }
      const consumed = this.#takeRequest(data, at, items);
      if (this.#failed !== null) {
        // The failed request and everything after it.
        this.#counters.bytesDiscarded += data.length - at;
        this.#buffer = new Uint8Array(0);
        return items;
      }
      if (consumed === 0) break;
      at += consumed;
      this.#headScanned = 0;
    }
    // Keep only the unparsed tail (one incomplete message), copied so the caller may reuse
    // `chunk`. `#headScanned` stays relative to its start.
    this.#buffer = at === data.length ? new Uint8Array(0) : data.slice(at);
    return items;
  }

  /**
   * Parses the request starting at `start`: returns the bytes it took after pushing a request
   * item, or 0 when more bytes are needed or when it pushed an error item (then `#failed` is set).
   */
  #takeRequest(data: Uint8Array, start: number, items: RtspStreamItem[]): number {
    const available = data.length - start;
    const headEnd = this.#findHeadEnd(data, start);
    if (headEnd < 0) {
      if (available >= this.#options.maxHeadBytes) {
        return this.#fail(items, {
          reason: "headTooLarge",
          cseq: null,
          message: `Cannot read the RTSP request: its head passed ${this.#options.maxHeadBytes} ` +
            "bytes without an empty line. Send shorter requests.",
        });
      }
      return 0;
    }
    const headBytes = headEnd - start;
    if (headBytes > this.#options.maxHeadBytes) {
      return this.#fail(items, {
        reason: "headTooLarge",
        cseq: null,
        message: `Cannot read the RTSP request: its head is ${headBytes} bytes, over the ` +
          `${this.#options.maxHeadBytes}-byte limit. Send shorter requests.`,
      });
    }
    const head = this.#parseHead(data.subarray(start, headEnd));
    if (!head.ok) {
      return this.#fail(items, { reason: head.reason, cseq: head.cseq, message: head.message });
    }
    if (head.contentLength > available - headBytes) return 0;
    const total = headBytes + head.contentLength;
    items.push({
      type: "request",
      request: { ...head.request, body: data.slice(headEnd, headEnd + head.contentLength) },
    });
    this.#counters.requests++;
    this.#counters.requestBytes += total;
    return total;
  }

  #fail(
    items: RtspStreamItem[],
    error: { reason: RtspParseErrorReason; cseq: string | null; message: string },
  ): 0 {
    const failure: RtspParseError = { ...error, status: RTSP_PARSE_ERROR_STATUS[error.reason] };
    this.#failed = failure;
    this.#counters.errors[error.reason]++;
    items.push({ type: "error", error: failure });
    return 0;
  }

  /** Index just past the empty line that ends the head, or -1 if it has not arrived. */
  #findHeadEnd(data: Uint8Array, start: number): number {
    const limit = Math.min(data.length, start + this.#options.maxHeadBytes + 2);
    // Resume where the previous push stopped looking (minus one byte: a CR may precede the LF).
    let i = Math.max(start, start + this.#headScanned - 1);
    for (; i < limit; i++) {
      if (data[i] !== LF) continue;
      // A line end: the head ends if the next line is empty (LF or CR LF).
      if (i + 1 < data.length && data[i + 1] === LF) return i + 2;
      if (i + 2 < data.length && data[i + 1] === CR && data[i + 2] === LF) return i + 3;
    }
    // Lines ending at the last two bytes may still become the end: look at them again next time.
    this.#headScanned = Math.max(0, i - start - 2);
    return -1;
  }

  #parseHead(bytes: Uint8Array): HeadResult {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return {
        ok: false,
        reason: "encoding",
        cseq: null,
        message: "Cannot read the RTSP request: its head is not UTF-8. Send UTF-8 (RFC 2326 §15).",
      };
    }
    const lines = text.split("\n").map((line) => line.endsWith("\r") ? line.slice(0, -1) : line);
    // The head ends with an empty line, so the split leaves two empty strings at the end.
    lines.length -= 2;
    const requestLine = lines[0];
    const parts = requestLine.split(" ");
    if (
      parts.length !== 3 || !TOKEN.test(parts[0]) || parts[1] === "" ||
      hasControl(requestLine, false)
    ) {
      return {
        ok: false,
        reason: "requestLine",
        cseq: null,
        message: `Cannot read the RTSP request line ${JSON.stringify(requestLine.slice(0, 80))}: ` +
          "expected METHOD URI RTSP/1.0. Check the client speaks RTSP.",
      };
    }
    const [method, uri, version] = parts;
    const headers: RtspHeader[] = [];
    let cseq: string | null = null;
    let contentLength: string | null = null;
    const headerFailure = (
      reason: RtspParseErrorReason,
      message: string,
    ): HeadResult => ({ ok: false, reason, cseq, message });
    for (let n = 1; n < lines.length; n++) {
      const line = lines[n];
      if (line[0] === " " || line[0] === "\t") {
        return headerFailure(
          "folding",
          `Cannot read RTSP header line ${n}: it is folded onto the previous one. Send each ` +
            "header on one line.",
        );
      }
      const colon = line.indexOf(":");
      const name = colon < 0 ? "" : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
      if (!TOKEN.test(name) || hasControl(value, true)) {
        return headerFailure(
          "headerLine",
          `Cannot read RTSP header line ${n} ${JSON.stringify(line.slice(0, 80))}: expected ` +
            "Name: value without control characters.",
        );
      }
      if (headers.length === this.#options.maxHeaders) {
        return headerFailure(
          "tooManyHeaders",
          `Cannot read the RTSP request: it has more than ${this.#options.maxHeaders} headers. ` +
            "Send fewer headers.",
        );
      }
      headers.push({ name, value });
      const lower = name.toLowerCase();
      if (lower === "cseq" && cseq === null) cseq = value;
      if (lower === "content-length") {
        if (!/^[0-9]+$/.test(value) || (contentLength !== null && contentLength !== value)) {
          return headerFailure(
            "contentLength",
            `Cannot read the RTSP request: Content-Length ${JSON.stringify(value)} is not one ` +
              "decimal number. Send a single Content-Length.",
          );
        }
        contentLength = value;
      }
    }
    if (version !== "RTSP/1.0") {
      return headerFailure(
        "version",
        `Cannot serve ${JSON.stringify(version.slice(0, 20))}: this server speaks RTSP/1.0 ` +
          "only. Use an RTSP/1.0 client.",
      );
    }
    // Leading zeros are fine; more digits than the cap has are too large without parsing.
    const digits = contentLength?.replace(/^0+(?=.)/, "") ?? "0";
    const length = digits.length > 15 ? Infinity : Number(digits);
    if (length > this.#options.maxBodyBytes) {
      return headerFailure(
        "bodyTooLarge",
        `Cannot take an RTSP body of ${
          digits.length > 15 ? digits.slice(0, 15) + "..." : digits
        } ` +
          `bytes: the limit is ${this.#options.maxBodyBytes}. Send a smaller body.`,
      );
    }
    return { ok: true, request: { method, uri, headers }, contentLength: length };
  }
}
