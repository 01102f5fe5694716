import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  DEFAULT_RTSP_PARSER_OPTIONS,
  headerValue,
  headerValues,
  RTSP_PARSE_ERROR_REASONS,
  type RtspParseErrorReason,
  type RtspParserCounters,
  RtspRequestParser,
  type RtspStreamItem,
} from "./request.ts";
import { type CapturedSegment, CAPTURES } from "../../tests/support/captured_rtsp_clients.ts";
import { Prng } from "../netsim/mod.ts";

const text = new TextEncoder();

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (byte) => parseInt(byte, 16));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function segmentBytes(segment: CapturedSegment): Uint8Array {
  return "request" in segment ? text.encode(segment.request) : fromHex(segment.interleavedHex);
}

/** Pushes `bytes` cut at the given chunk sizes (cycled); returns every item. */
function pushInChunks(
  parser: RtspRequestParser,
  bytes: Uint8Array,
  sizes: number[],
): RtspStreamItem[] {
  const items: RtspStreamItem[] = [];
  for (let at = 0, n = 0; at < bytes.length; n++) {
    const size = sizes[n % sizes.length];
    items.push(...parser.push(bytes.subarray(at, at + size)));
    at += size;
  }
  return items;
}

/** received = requests + interleaved + empty lines + discarded + pending: every byte once. */
function assertAccounted(parser: RtspRequestParser, what: string) {
  const c: RtspParserCounters = parser.counters;
  equal(
    c.requestBytes + c.interleavedBytes + c.emptyLineBytes + c.bytesDiscarded +
      parser.pendingBytes,
    c.bytesReceived,
    `${what}: ${JSON.stringify(c)} pending ${parser.pendingBytes}`,
  );
}

function only(items: RtspStreamItem[]): RtspStreamItem {
  equal(items.length, 1, JSON.stringify(items));
  return items[0];
}

function errorOf(input: string, options = {}): { reason: RtspParseErrorReason; status: number } {
  const parser = new RtspRequestParser(options);
  const item = parser.push(text.encode(input)).at(-1);
  ok(item?.type === "error", `expected an error for ${JSON.stringify(input.slice(0, 60))}`);
  assertAccounted(parser, input.slice(0, 30));
  return { reason: item.error.reason, status: item.error.status };
}

Deno.test("every captured client stream parses identically in any chunking", () => {
  for (const [name, capture] of Object.entries(CAPTURES)) {
    for (const [index, segments] of capture.connections.entries()) {
      const stream = concat(segments.map(segmentBytes));
      for (const sizes of [[stream.length], [1], [2, 3, 5, 7], [4, 1, 100], [64]]) {
        const parser = new RtspRequestParser();
        const items = pushInChunks(parser, stream, sizes);
        const what = `${name} connection ${index} in chunks of ${sizes}`;
        equal(items.length, segments.length, what);
        for (const [i, segment] of segments.entries()) {
          const item = items[i];
          if ("request" in segment) {
            ok(item.type === "request", what);
            const [requestLine, ...headerLines] = segment.request.split("\r\n").slice(0, -2);
            equal(`${item.request.method} ${item.request.uri} RTSP/1.0`, requestLine, what);
            deepStrictEqual(
              item.request.headers.map((h) => `${h.name}: ${h.value}`),
              headerLines,
              what,
            );
            equal(item.request.body.length, 0);
          } else {
            ok(item.type === "interleaved", what);
            const frame = fromHex(segment.interleavedHex);
            equal(item.channel, frame[1]);
            deepStrictEqual(item.payload, frame.subarray(4));
          }
        }
        equal(parser.pendingBytes, 0, what);
        equal(parser.failure, null, what);
        assertAccounted(parser, what);
      }
    }
  }
});

Deno.test("captured requests: what ffmpeg, GStreamer and VLC put in them", () => {
  const requestsOf = (name: string, connection = 0) =>
    CAPTURES[name].connections[connection].flatMap((segment) => {
      if (!("request" in segment)) return [];
      const item = only(new RtspRequestParser().push(text.encode(segment.request)));
      return item.type === "request" ? [item.request] : [];
    });
  const ffmpeg = requestsOf("ffmpegUdp");
  deepStrictEqual(ffmpeg.map((r) => r.method), [
    "OPTIONS",
    "DESCRIBE",
    "DESCRIBE",
    "SETUP",
    "PLAY",
    "GET_PARAMETER",
    "GET_PARAMETER",
    "TEARDOWN",
  ]);
  // ffmpeg SETUPs the track URL from Content-Base + a=control, then PLAYs Content-Base itself,
  // trailing slash included; the transport names /UDP explicitly.
  equal(ffmpeg[3].uri, "rtsp://127.0.0.1:18554/udpcam/stream=0");
  equal(headerValue(ffmpeg[3], "transport"), "RTP/AVP/UDP;unicast;client_port=17520-17521");
  equal(ffmpeg[4].uri, "rtsp://127.0.0.1:18554/udpcam/");
  equal(headerValue(ffmpeg[0], "USER-AGENT"), "Lavf59.27.100");
  const gst = requestsOf("gstUdp");
  // GStreamer keeps alive with GET_PARAMETER too, and sends PAUSE before TEARDOWN.
  deepStrictEqual(gst.map((r) => r.method).slice(-3), ["GET_PARAMETER", "PAUSE", "TEARDOWN"]);
  ok(headerValue(gst[0], "date")?.endsWith(" GMT"));
  // GStreamer over TCP sends no keep-alive request at all: only its RTCP keeps the session.
  deepStrictEqual(requestsOf("gstTcp").map((r) => r.method), [
    "OPTIONS",
    "DESCRIBE",
    "DESCRIBE",
    "SETUP",
    "PLAY",
    "PAUSE",
    "TEARDOWN",
  ]);
  // VLC's SAT>IP module: CSeq 0, credentials inside the Request-URI, no User-Agent.
  const [satip] = requestsOf("vlcDigest", 0);
  equal(satip.method, "SETUP");
  equal(satip.uri, "rtsp://udpcam:s3cret@127.0.0.1:18554/udpcam");
  equal(headerValue(satip, "cseq"), "0");
  const [real] = requestsOf("vlcDigest", 1);
  equal(real.uri, "rtsp://127.0.0.1:18554");
  ok(headerValue(real, "user-agent")?.startsWith("RealMedia Player"));
  deepStrictEqual(headerValues(real, "cseq"), ["1"]);
});

Deno.test("bodies, LF line ends, empty lines and interleaved frames between requests", () => {
  const parser = new RtspRequestParser();
  const stream = concat([
    text.encode("\r\n\r\n"), // stray empty lines are skipped
    text.encode("SET_PARAMETER rtsp://h/udpcam RTSP/1.0\nCSeq: 9\ncontent-length: 005\n\nab"),
    text.encode("cde"),
    Uint8Array.of(0x24, 3, 0, 0), // an empty interleaved frame on channel 3
    text.encode("GET_PARAMETER * RTSP/1.0\r\nCSeq:10\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n"),
  ]);
  const items = pushInChunks(parser, stream, [3]);
  equal(items.length, 3);
  const [setParameter, frame, getParameter] = items;
  ok(setParameter.type === "request");
  deepStrictEqual(setParameter.request.body, text.encode("abcde"));
  equal(headerValue(setParameter.request, "Content-Length"), "005");
  deepStrictEqual(frame, { type: "interleaved", channel: 3, payload: new Uint8Array(0) });
  ok(getParameter.type === "request");
  deepStrictEqual(getParameter.request.headers, [
    { name: "CSeq", value: "10" },
    { name: "X-Empty", value: "" },
    { name: "Content-Length", value: "0" },
  ]);
  equal(headerValue(getParameter.request, "missing"), null);
  equal(parser.counters.emptyLineBytes, 4);
  assertAccounted(parser, "mixed stream");
});

Deno.test("malformed requests: each reason and its status", () => {
  const table: [string, string, RtspParseErrorReason, number][] = [
    ["two words", "OPTIONS *\r\n\r\n", "requestLine", 400],
    ["four words", "OPTIONS * RTSP/1.0 x\r\n\r\n", "requestLine", 400],
    ["double space", "OPTIONS  * RTSP/1.0\r\n\r\n", "requestLine", 400],
    ["method not a token", "OPT(IONS * RTSP/1.0\r\n\r\n", "requestLine", 400],
    ["control in URI", "OPTIONS rtsp://h/\x01 RTSP/1.0\r\n\r\n", "requestLine", 400],
    ["bare CR in request line", "OPTIONS * RTSP/1.0\rX\r\n\r\n", "requestLine", 400],
    ["RTSP/2.0", "OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n", "version", 505],
    ["HTTP", "GET / HTTP/1.1\r\nHost: h\r\n\r\n", "version", 505],
    ["no colon", "OPTIONS * RTSP/1.0\r\nCSeq 1\r\n\r\n", "headerLine", 400],
    ["space before colon", "OPTIONS * RTSP/1.0\r\nCSeq : 1\r\n\r\n", "headerLine", 400],
    ["empty name", "OPTIONS * RTSP/1.0\r\n: 1\r\n\r\n", "headerLine", 400],
    ["NUL in value", "OPTIONS * RTSP/1.0\r\nX: a\x00b\r\n\r\n", "headerLine", 400],
    ["bare CR in value", "OPTIONS * RTSP/1.0\r\nX: a\rb\r\n\r\n", "headerLine", 400],
    ["folded header", "OPTIONS * RTSP/1.0\r\nX: a\r\n b\r\n\r\n", "folding", 400],
    ["folded with tab", "OPTIONS * RTSP/1.0\r\nX: a\r\n\tb\r\n\r\n", "folding", 400],
    [
      "negative length",
      "SET_PARAMETER * RTSP/1.0\r\nContent-Length: -1\r\n\r\n",
      "contentLength",
      400,
    ],
    [
      "two lengths",
      "OPTIONS * RTSP/1.0\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "contentLength",
      400,
    ],
    ["body over cap", "OPTIONS * RTSP/1.0\r\nContent-Length: 16385\r\n\r\n", "bodyTooLarge", 413],
    [
      "absurd length",
      `OPTIONS * RTSP/1.0\r\nContent-Length: ${"9".repeat(40)}\r\n\r\n`,
      "bodyTooLarge",
      413,
    ],
  ];
  for (const [name, input, reason, status] of table) {
    deepStrictEqual(errorOf(input), { reason, status }, name);
  }
  // A head that is not UTF-8.
  const parser = new RtspRequestParser();
  const item = only(
    parser.push(Uint8Array.of(...text.encode("OPTIONS * RTSP/1.0\r\nX: "), 0xff, 13, 10, 13, 10)),
  );
  ok(item.type === "error");
  equal(item.error.reason, "encoding");
  equal(item.error.status, 400);
});

Deno.test("errors carry the CSeq when it was read, and a message saying what to do", () => {
  const parser = new RtspRequestParser();
  const item = only(
    parser.push(text.encode("PLAY * RTSP/1.0\r\nCSeq: 42\r\nContent-Length: 99999\r\n\r\n")),
  );
  ok(item.type === "error");
  equal(item.error.cseq, "42");
  ok(item.error.message.startsWith("Cannot take an RTSP body of 99999 bytes"), item.error.message);
  const noCseq = only(new RtspRequestParser().push(text.encode("PLAY\r\n\r\n")));
  ok(noCseq.type === "error");
  equal(noCseq.error.cseq, null);
});

Deno.test("caps: head bytes, header count, body bytes: at the cap passes, one over fails", () => {
  const maxHeadBytes = DEFAULT_RTSP_PARSER_OPTIONS.maxHeadBytes;
  const headOf = (bytes: number) => {
    const start = "OPTIONS * RTSP/1.0\r\nX: ";
    return start + "a".repeat(bytes - start.length - 4) + "\r\n\r\n";
  };
  equal(text.encode(headOf(maxHeadBytes)).length, maxHeadBytes);
  equal(only(new RtspRequestParser().push(text.encode(headOf(maxHeadBytes)))).type, "request");
  deepStrictEqual(errorOf(headOf(maxHeadBytes + 1)), { reason: "headTooLarge", status: 431 });
  // Without an empty line at all, it fails as soon as the cap is reached, holding no more.
  const endless = new RtspRequestParser();
  for (let i = 0; i < 100 && endless.failure === null; i++) {
    endless.push(text.encode("X-Filler: " + "b".repeat(200) + "\r\n"));
    ok(endless.pendingBytes < maxHeadBytes);
  }
  equal(endless.failure?.reason, "headTooLarge");
  assertAccounted(endless, "endless head");

  const headers = (count: number) =>
    "OPTIONS * RTSP/1.0\r\n" + Array.from({ length: count }, (_, i) => `H${i}: v\r\n`).join("") +
    "\r\n";
  equal(only(new RtspRequestParser().push(text.encode(headers(64)))).type, "request");
  deepStrictEqual(errorOf(headers(65)), { reason: "tooManyHeaders", status: 431 });

  const body = (bytes: number) => `SET_PARAMETER * RTSP/1.0\r\nContent-Length: ${bytes}\r\n\r\n`;
  const atCap = new RtspRequestParser({ maxBodyBytes: 10 });
  const item = only(atCap.push(text.encode(body(10) + "0123456789")));
  ok(item.type === "request");
  equal(item.request.body.length, 10);
  deepStrictEqual(errorOf(body(11), { maxBodyBytes: 10 }), { reason: "bodyTooLarge", status: 413 });
});

Deno.test("an oversized interleaved frame is skipped unbuffered; the next request still parses", () => {
  const parser = new RtspRequestParser({ maxInterleavedBytes: 8 });
  const stream = concat([
    Uint8Array.of(0x24, 1, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8), // at the cap: delivered
    Uint8Array.of(0x24, 1, 0xff, 0xff), // 65535 bytes: skipped
    new Uint8Array(65535),
    text.encode("OPTIONS * RTSP/1.0\r\nCSeq: 2\r\n\r\n"),
  ]);
  const items = pushInChunks(parser, stream, [1000]);
  deepStrictEqual(items.map((item) => item.type), ["interleaved", "request"]);
  equal(parser.counters.interleavedSkipped, 1);
  equal(parser.counters.interleavedFrames, 1);
  equal(parser.counters.interleavedBytes, 12 + 4 + 65535);
  assertAccounted(parser, "skip");
});

Deno.test("after an error everything is discarded and counted", () => {
  const parser = new RtspRequestParser();
  const items = parser.push(
    text.encode("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\nBROKEN\r\n\r\nOPTIONS * RTSP/1.0\r\n\r\n"),
  );
  deepStrictEqual(items.map((item) => item.type), ["request", "error"]);
  equal(parser.failure?.reason, "requestLine");
  deepStrictEqual(parser.push(text.encode("OPTIONS * RTSP/1.0\r\n\r\n")), []);
  equal(parser.counters.errors.requestLine, 1);
  equal(parser.pendingBytes, 0);
  ok(parser.counters.bytesDiscarded > 0);
  assertAccounted(parser, "after error");
});

Deno.test("fuzz: random and mutated streams never throw, stay within caps, account every byte", () => {
  const prng = new Prng(0x2326);
  const options = {
    maxHeadBytes: 1024,
    maxHeaders: 16,
    maxBodyBytes: 256,
    maxInterleavedBytes: 64,
  };
  const maxPending = options.maxHeadBytes + 2 + options.maxBodyBytes;
  const seeds = Object.values(CAPTURES).flatMap((capture) =>
    capture.connections.map((segments) => concat(segments.map(segmentBytes)))
  );
  let requests = 0;
  const errors = new Set<string>();
  for (let round = 0; round < 400; round++) {
    const parser = new RtspRequestParser(options);
    let stream: Uint8Array;
    const kind = round % 4;
    if (kind === 0) {
      stream = prng.bytes(prng.int(0, 3000));
    } else {
      stream = seeds[prng.int(0, seeds.length - 1)].slice();
      for (let flips = prng.int(0, kind * 3); flips > 0 && stream.length > 0; flips--) {
        const at = prng.int(0, stream.length - 1);
        // Mostly characters that matter to the grammar.
        stream[at] = [0x0d, 0x0a, 0x20, 0x3a, 0x24, 0x09, 0x00, prng.int(0, 255)][prng.int(0, 7)];
      }
    }
    for (let at = 0; at < stream.length;) {
      const size = prng.int(1, 300);
      for (const item of parser.push(stream.subarray(at, at + size))) {
        if (item.type === "request") {
          requests++;
          ok(item.request.headers.length <= options.maxHeaders);
          ok(item.request.body.length <= options.maxBodyBytes);
        } else if (item.type === "interleaved") {
          ok(item.payload.length <= options.maxInterleavedBytes);
        } else {
          errors.add(item.error.reason);
        }
      }
      ok(parser.pendingBytes <= maxPending, `pending ${parser.pendingBytes}`);
      at += size;
    }
    assertAccounted(parser, `round ${round}`);
    const counted = RTSP_PARSE_ERROR_REASONS.reduce((n, r) => n + parser.counters.errors[r], 0);
    equal(counted, parser.failure === null ? 0 : 1);
  }
  ok(requests > 100, `only ${requests} requests survived`);
  ok(errors.size >= 3, `errors seen: ${[...errors]}`);
});
