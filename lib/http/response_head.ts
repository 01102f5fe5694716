/**
 * Writes HTTP/1.1 response heads (status line and header fields) for the receiver's HTTP view.
 *
 * @module
 */

/** Reason phrases of the statuses the view answers with. */
const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

const encoder = new TextEncoder();

/**
 * The head of a response: `HTTP/1.1 STATUS REASON`, each field, a blank line. Field names must be
 * tokens and values single-line printable ASCII: a value from elsewhere can never add a field.
 *
 * @example
 * ```ts
 * import { responseHead } from "./response_head.ts";
 *
 * const head = new TextDecoder().decode(responseHead(404, { "Content-Length": "0" }));
 * if (head !== "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n") throw new Error(head);
 * ```
 *
 * @throws {RangeError} for a status without a reason phrase here, or a field that is not plain.
 */
export function responseHead(status: number, fields: Record<string, string>): Uint8Array {
  const reason = REASONS[status];
  if (reason === undefined) throw new RangeError(`Cannot write status ${status}: no reason phrase`);
  let head = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (const [name, value] of Object.entries(fields)) {
    if (!/^[A-Za-z0-9-]+$/.test(name) || !/^[\x20-\x7e]*$/.test(value)) {
      throw new RangeError(`Cannot write the response header "${name}": not a plain ASCII header`);
    }
    head += `${name}: ${value}\r\n`;
  }
  return encoder.encode(`${head}\r\n`);
}
