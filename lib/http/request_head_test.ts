import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { Prng } from "../netsim/mod.ts";
import {
  BAD_REQUEST_REASONS,
  headerValue,
  type HeadReadResult,
  keepsAlive,
  type RequestHead,
  RequestHeadReader,
} from "./request_head.ts";
import { responseHead } from "./response_head.ts";

const bytes = (text: string) => new Uint8Array([...text].map((c) => c.charCodeAt(0)));

function head(result: HeadReadResult): RequestHead {
  if (result.kind !== "head") throw new Error(`expected a head, got ${JSON.stringify(result)}`);
  return result.head;
}

/** What Chromium sends for the page's stream (trimmed). */
const CHROMIUM_GET = "GET /stream.mjpeg?token=t HTTP/1.1\r\n" +
  "Host: 127.0.0.1:8080\r\n" +
  "Connection: keep-alive\r\n" +
  "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0.0.0 Safari/537.36\r\n" +
  "Accept: image/avif,image/webp,*/*;q=0.8\r\n" +
  "Referer: http://127.0.0.1:8080/?token=t\r\n" +
  "\r\n";

Deno.test("RequestHeadReader reads a browser's head, fields in order and lower-cased", () => {
  const request = head(new RequestHeadReader().push(bytes(CHROMIUM_GET)));
  equal(request.method, "GET");
  equal(request.target, "/stream.mjpeg?token=t");
  equal(request.minorVersion, 1);
  deepStrictEqual(request.fields.map(([name]) => name), [
    "host",
    "connection",
    "user-agent",
    "accept",
    "referer",
  ]);
  equal(headerValue(request, "host"), "127.0.0.1:8080");
  equal(headerValue(request, "cookie"), null);
  equal(keepsAlive(request), true);
});

Deno.test("RequestHeadReader: any chunking gives the same heads, pipelined ones too (seeded)", () => {
  const stream = bytes(
    "\r\n" + CHROMIUM_GET + "HEAD /frame.jpg HTTP/1.0\n\n" +
      "GET /stats.json HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n",
  );
  for (let seed = 1; seed <= 50; seed++) {
    const prng = new Prng(seed);
    const reader = new RequestHeadReader();
    const heads: RequestHead[] = [];
    for (let from = 0; from < stream.length;) {
      const to = Math.min(stream.length, from + 1 + Math.floor(prng.next() * 40));
      let result = reader.push(stream.subarray(from, to));
      // Heads already held are taken before more bytes come.
      while (result.kind === "head") {
        heads.push(result.head);
        result = reader.push(new Uint8Array(0));
      }
      equal(result.kind, "incomplete", `seed ${seed}`);
      from = to;
    }
    deepStrictEqual(heads.map((h) => [h.method, h.target, h.minorVersion, keepsAlive(h)]), [
      ["GET", "/stream.mjpeg?token=t", 1, true],
      ["HEAD", "/frame.jpg", 0, false],
      ["GET", "/stats.json", 1, false],
    ], `seed ${seed}`);
    equal(reader.bufferedBytes, 0);
  }
});

Deno.test("RequestHeadReader refuses what breaks the grammar, with a status and a reason", () => {
  const host = "Host: localhost\r\n";
  const table: [string, number, string][] = [
    ["GET /\r\n\r\n", 400, "badRequestLine"],
    ["GET  / HTTP/1.1\r\n\r\n", 400, "badRequestLine"],
    ["G(T / HTTP/1.1\r\n\r\n", 400, "badRequestLine"],
    ["GET /a\x01b HTTP/1.1\r\n\r\n", 400, "badRequestLine"],
    ["GET / HTTP/2.0\r\n\r\n", 505, "badVersion"],
    ["GET / HTTP/1.2\r\n\r\n", 505, "badVersion"],
    [`GET / HTTP/1.1\r\n${host}Bad Header: x\r\n\r\n`, 400, "badHeader"],
    [`GET / HTTP/1.1\r\n${host}Name : x\r\n\r\n`, 400, "badHeader"],
    [`GET / HTTP/1.1\r\n${host}NoColon\r\n\r\n`, 400, "badHeader"],
    [`GET / HTTP/1.1\r\n${host}X: a\r\n folded\r\n\r\n`, 400, "badHeader"],
    [`GET / HTTP/1.1\r\n${host}X: a\rb\r\n\r\n`, 400, "badHeader"],
    [`GET / HTTP/1.1\r\n${host}: empty name\r\n\r\n`, 400, "badHeader"],
    ["GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400, "missingHost"],
    [`GET / HTTP/1.1\r\n${host}${host}\r\n`, 400, "duplicateHeader"],
    [
      `GET / HTTP/1.1\r\n${host}Content-Length: 0\r\nContent-Length: 0\r\n\r\n`,
      400,
      "duplicateHeader",
    ],
    [`POST / HTTP/1.1\r\n${host}Content-Length: 5\r\n\r\nhello`, 400, "hasBody"],
    [`GET / HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\n`, 400, "hasBody"],
    [`GET / HTTP/1.1\r\n${host}Content-Length: +0\r\n\r\n`, 400, "hasBody"],
  ];
  for (const [text, status, reason] of table) {
    deepStrictEqual(
      new RequestHeadReader().push(bytes(text)),
      { kind: "bad", status, reason },
      text,
    );
  }
  // What is allowed: no Host in HTTP/1.0, an empty body, spaces around values.
  const fine = [
    "GET / HTTP/1.0\r\n\r\n",
    `GET / HTTP/1.1\r\n${host}Content-Length: 0\r\n\r\n`,
    "GET / HTTP/1.1\r\nHost:localhost  \r\n\r\n",
    `GET http://localhost/x HTTP/1.1\r\n${host}\r\n`,
  ];
  for (const text of fine) equal(new RequestHeadReader().push(bytes(text)).kind, "head", text);
  equal(headerValue(head(new RequestHeadReader().push(bytes(fine[2]))), "host"), "localhost");
  equal(BAD_REQUEST_REASONS.length, 8);
});

Deno.test("RequestHeadReader caps the head however it trickles in", () => {
  const limits = { maxHeadBytes: 256, maxHeaderFields: 4 };
  // An endless head, one byte at a time: refused once it passes the cap, holding at most that.
  const reader = new RequestHeadReader(limits);
  const endless = bytes("GET / HTTP/1.1\r\nX-Long: " + "a".repeat(1000));
  let result: HeadReadResult = { kind: "incomplete" };
  let pushed = 0;
  for (; pushed < endless.length && result.kind === "incomplete"; pushed++) {
    result = reader.push(endless.subarray(pushed, pushed + 1));
    equal(reader.bufferedBytes <= 257, true);
  }
  deepStrictEqual(result, { kind: "bad", status: 431, reason: "headTooLarge" });
  equal(pushed, 257);
  equal(reader.bufferedBytes, 0);
  // A whole head in one chunk that is over the cap.
  const big = `GET / HTTP/1.1\r\nHost: h\r\nX: ${"b".repeat(300)}\r\n\r\n`;
  deepStrictEqual(new RequestHeadReader(limits).push(bytes(big)).kind, "bad");
  const many = `GET / HTTP/1.1\r\nHost: h\r\n${"X: 1\r\n".repeat(4)}\r\n`;
  deepStrictEqual(new RequestHeadReader(limits).push(bytes(many)), {
    kind: "bad",
    status: 431,
    reason: "tooManyHeaders",
  });
  // Endless blank lines before a request hold nothing.
  const blanks = new RequestHeadReader(limits);
  for (let i = 0; i < 1000; i++) equal(blanks.push(bytes("\r\n")).kind, "incomplete");
  equal(blanks.bufferedBytes, 0);
});

Deno.test("keepsAlive: HTTP/1.1 unless Connection: close; HTTP/1.0 never", () => {
  const table: [string, boolean][] = [
    ["GET / HTTP/1.1\r\nHost: h\r\n\r\n", true],
    ["GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n", false],
    ["GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, close\r\n\r\n", false],
    ["GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false],
  ];
  for (const [text, want] of table) {
    equal(keepsAlive(head(new RequestHeadReader().push(bytes(text)))), want, text);
  }
});

Deno.test("responseHead writes the status line and plain fields only", () => {
  equal(
    new TextDecoder().decode(responseHead(503, { "Retry-After": "5", "Connection": "close" })),
    "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n\r\n",
  );
  throws(() => responseHead(200, { "X-A": "1\r\nX-B: 2" }), /not a plain ASCII header/);
  throws(() => responseHead(299, {}), /no reason phrase/);
});
