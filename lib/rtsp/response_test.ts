import { deepStrictEqual, equal, throws } from "node:assert/strict";
import {
  rtpInfoHeader,
  RTSP_STATUS_TEXT,
  sessionHeader,
  writeInterleavedFrame,
  writeResponse,
} from "./response.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("responses: status line, CSeq second, headers in order, computed length", () => {
  const table: [string, Parameters<typeof writeResponse>[0], string][] = [
    [
      "bare 200",
      { status: 200, cseq: "1" },
      "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n",
    ],
    [
      "no CSeq to echo",
      { status: 400, cseq: null },
      "RTSP/1.0 400 Bad Request\r\n\r\n",
    ],
    [
      "SETUP reply",
      {
        status: 200,
        cseq: "4",
        headers: [
          ["Session", sessionHeader("a1b2c3d4e5f60718", 60_000)],
          ["Transport", "RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=11223344"],
        ],
      },
      "RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: a1b2c3d4e5f60718;timeout=60\r\n" +
      "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=11223344\r\n\r\n",
    ],
    [
      "DESCRIBE reply with a UTF-8 body",
      { status: 200, cseq: "2", body: "s=café\r\n", contentType: "application/sdp" },
      "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 9\r\n\r\n" +
      "s=café\r\n",
    ],
    [
      "empty body still says its length",
      { status: 200, cseq: "3", body: "", contentType: "text/parameters" },
      "RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Type: text/parameters\r\nContent-Length: 0\r\n\r\n",
    ],
    [
      "unknown status",
      { status: 299, cseq: "5" },
      "RTSP/1.0 299 Status\r\nCSeq: 5\r\n\r\n",
    ],
  ];
  for (const [name, response, expected] of table) {
    equal(decode(writeResponse(response)), expected, name);
  }
});

Deno.test("responses: every status the server sends has its RFC reason phrase", () => {
  const expected: Record<number, string> = {
    401: "Unauthorized",
    454: "Session Not Found",
    455: "Method Not Valid in This State",
    459: "Aggregate Operation Not Allowed",
    461: "Unsupported Transport",
    505: "RTSP Version Not Supported",
  };
  for (const [status, text] of Object.entries(expected)) {
    equal(RTSP_STATUS_TEXT[Number(status)], text);
  }
});

Deno.test("responses: header injection and malformed input are refused", () => {
  const bad: [string, Parameters<typeof writeResponse>[0]][] = [
    ["CR LF in a value", { status: 200, cseq: "1", headers: [["X", "a\r\nSet: b"]] }],
    ["LF in CSeq", { status: 200, cseq: "1\nX: y" }],
    ["NUL in a value", { status: 200, cseq: "1", headers: [["X", "a\x00"]] }],
    ["space in a name", { status: 200, cseq: "1", headers: [["Bad Name", "v"]] }],
    ["Content-Length given", { status: 200, cseq: "1", headers: [["content-length", "3"]] }],
    ["body without type", { status: 200, cseq: "1", body: "x" }],
    ["status 99", { status: 99, cseq: "1" }],
    ["status 1000", { status: 1000, cseq: "1" }],
  ];
  for (const [name, response] of bad) throws(() => writeResponse(response), RangeError, name);
  // A tab is a legal character in a value.
  equal(
    decode(writeResponse({ status: 200, cseq: "1", headers: [["X", "a\tb"]] })).includes("a\tb"),
    true,
  );
});

Deno.test("header values: Session timeout in seconds, RTP-Info wraps its numbers", () => {
  equal(sessionHeader("abc", 60_000), "abc;timeout=60");
  equal(sessionHeader("abc", 65_999), "abc;timeout=65");
  equal(sessionHeader("abc", 10), "abc;timeout=1"); // never 0: clients would keep alive in a loop
  equal(
    rtpInfoHeader("rtsp://h/udpcam/stream=0", 0x1_0005, 0x1_0000_0007),
    "url=rtsp://h/udpcam/stream=0;seq=5;rtptime=7",
  );
});

Deno.test("interleaved frames: golden bytes and bounds", () => {
  deepStrictEqual(
    writeInterleavedFrame(1, Uint8Array.of(0x80, 0xc9, 0x00, 0x01)),
    Uint8Array.of(
      0x24, // "$"
      0x01, // channel 1 (RTCP of interleaved=0-1)
      0x00,
      0x04, // length 4, big-endian
      0x80,
      0xc9,
      0x00,
      0x01, // payload
    ),
  );
  equal(writeInterleavedFrame(255, new Uint8Array(0xffff)).length, 0xffff + 4);
  throws(() => writeInterleavedFrame(256, new Uint8Array(1)), RangeError);
  throws(() => writeInterleavedFrame(-1, new Uint8Array(1)), RangeError);
  throws(() => writeInterleavedFrame(0, new Uint8Array(0x1_0000)), RangeError);
});
