/**
 * Writing RTSP/1.0 responses (RFC 2326 §7) and the interleaved frames (§10.12) that carry RTP and
 * RTCP inside the RTSP connection for RTP/AVP/TCP clients.
 *
 * ```text
 * RTSP/1.0 SP status SP reason CRLF
 * CSeq: n CRLF                         (echoed from the request, always second)
 * Name: value CRLF ...                 (Session, Transport, Public, RTP-Info, WWW-Authenticate...)
 * Content-Type: t CRLF                 (only with a body)
 * Content-Length: n CRLF               (only with a body)
 * CRLF
 * body
 *
 * interleaved frame: "$" (0x24) | channel | length (16 bits, big-endian) | payload
 * ```
 *
 * @module
 */

/** Reason phrases of the status codes this server sends (RFC 2326 §7.1.1, RFC 6585 for 431). */
export const RTSP_STATUS_TEXT: Readonly<Record<number, string>> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Request Entity Too Large",
  414: "Request-URI Too Large",
  431: "Request Header Fields Too Large",
  451: "Parameter Not Understood",
  453: "Not Enough Bandwidth",
  454: "Session Not Found",
  455: "Method Not Valid in This State",
  459: "Aggregate Operation Not Allowed",
  461: "Unsupported Transport",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "RTSP Version Not Supported",
  551: "Option not supported",
};

/** A response to write. */
export interface RtspResponse {
  /** Status code, 100..999. */
  status: number;
  /** The request's CSeq, echoed; null only when the request had none (then no CSeq line). */
  cseq: string | null;
  /** Further header lines, in order, after CSeq. Never Content-Length: it is computed. */
  headers?: readonly (readonly [name: string, value: string])[];
  /** Optional body; a string is sent as UTF-8. */
  body?: Uint8Array | string;
  /** Media type of the body, e.g. "application/sdp"; required with a body. */
  contentType?: string;
}

/** Most payload bytes one interleaved frame can carry (the length field is 16 bits). */
export const MAX_INTERLEAVED_PAYLOAD_BYTES = 0xffff;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function checkValue(name: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) {
      throw new RangeError(
        `Cannot write RTSP header ${name}: its value has control character 0x${
          code.toString(16).padStart(2, "0")
        }. Remove line breaks and control characters from it.`,
      );
    }
  }
}

/**
 * Encodes a response. Header values must not contain control characters (no header injection):
 * values taken from a request are safe, since the parser refuses such requests.
 *
 * @example A 200 to DESCRIBE
 * ```ts
 * import { writeResponse } from "./response.ts";
 *
 * const bytes = writeResponse({
 *   status: 200,
 *   cseq: "2",
 *   headers: [["Content-Base", "rtsp://camera:8554/udpcam/"]],
 *   body: "v=0\r\n",
 *   contentType: "application/sdp",
 * });
 * console.log(new TextDecoder().decode(bytes).split("\r\n")[0]); // RTSP/1.0 200 OK
 * ```
 *
 * @throws {RangeError} for a status outside 100..999, a header name that is not a token, a
 * value with a control character, a body without a content type, or a Content-Length header.
 */
export function writeResponse(response: RtspResponse): Uint8Array {
  const { status } = response;
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new RangeError(`Cannot write RTSP status ${status}: use 100..999.`);
  }
  const lines = [`RTSP/1.0 ${status} ${RTSP_STATUS_TEXT[status] ?? "Status"}`];
  if (response.cseq !== null) {
    checkValue("CSeq", response.cseq);
    lines.push(`CSeq: ${response.cseq}`);
  }
  for (const [name, value] of response.headers ?? []) {
    if (!TOKEN.test(name) || name.toLowerCase() === "content-length") {
      throw new RangeError(
        `Cannot write RTSP header ${JSON.stringify(name)}: use a token name other than ` +
          "Content-Length (it is computed from the body).",
      );
    }
    checkValue(name, value);
    lines.push(`${name}: ${value}`);
  }
  const body = typeof response.body === "string"
    ? new TextEncoder().encode(response.body)
    : response.body ?? new Uint8Array(0);
  if (body.length > 0 || response.body !== undefined) {
    if (response.contentType === undefined) {
      throw new RangeError("Cannot write an RTSP body without a content type. Pass contentType.");
    }
    checkValue("Content-Type", response.contentType);
    lines.push(`Content-Type: ${response.contentType}`, `Content-Length: ${body.length}`);
  }
  const head = new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n");
  if (body.length === 0) return head;
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** The Session header value: the id and, so clients know how often to keep alive, the timeout. */
export function sessionHeader(sessionId: string, timeoutMs: number): string {
  return `${sessionId};timeout=${Math.max(1, Math.floor(timeoutMs / 1000))}`;
}

/**
 * The RTP-Info header value (RFC 2326 §12.33) for one stream: its URL and the sequence number
 * and RTP timestamp of the first packet the client will get, so it can map RTP time to the play
 * range before the first RTCP SR.
 */
export function rtpInfoHeader(url: string, sequence: number, rtpTime: number): string {
  return `url=${url};seq=${sequence & 0xffff};rtptime=${rtpTime >>> 0}`;
}

/**
 * One interleaved frame: "$", the channel, the 16-bit length, then `payload` (an RTP packet or
 * RTCP compound).
 *
 * @throws {RangeError} for a channel outside 0..255 or a payload over 65535 bytes.
 */
export function writeInterleavedFrame(channel: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(channel) || channel < 0 || channel > 255) {
    throw new RangeError(`Cannot write an interleaved frame on channel ${channel}: use 0..255.`);
  }
  if (payload.length > MAX_INTERLEAVED_PAYLOAD_BYTES) {
    throw new RangeError(
      `Cannot interleave a ${payload.length}-byte packet: the limit is ` +
        `${MAX_INTERLEAVED_PAYLOAD_BYTES}. Use smaller datagrams.`,
    );
  }
  const frame = new Uint8Array(4 + payload.length);
  frame[0] = 0x24;
  frame[1] = channel;
  frame[2] = payload.length >> 8;
  frame[3] = payload.length & 0xff;
  frame.set(payload, 4);
  return frame;
}
