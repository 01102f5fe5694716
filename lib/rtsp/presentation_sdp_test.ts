import { equal } from "node:assert/strict";
import { TRACK_CONTROL, writePresentationSdp } from "./presentation_sdp.ts";

Deno.test("DESCRIBE's SDP: every line, CRLF ends, control URLs", () => {
  equal(
    writePresentationSdp({
      originHost: "192.0.2.10",
      sessionId: 7,
      sessionVersion: 2,
      framesPerSecond: 30,
      widthPx: 1280,
      heightPx: 720,
    }),
    [
      "v=0",
      "o=- 7 2 IN IP4 192.0.2.10",
      "s=udpcam",
      "c=IN IP4 0.0.0.0",
      "t=0 0",
      "a=control:*",
      "a=range:npt=0-",
      "m=video 0 RTP/AVP 26",
      "a=rtpmap:26 JPEG/90000",
      "a=framerate:30",
      "a=x-dimensions:1280,720",
      "a=control:stream=0",
      "",
    ].join("\r\n"),
  );
  equal(TRACK_CONTROL, "stream=0");
});

Deno.test("DESCRIBE's SDP: IPv6 origin, unknown or unusable media figures left out", () => {
  const table: [string, Parameters<typeof writePresentationSdp>[0], string[], string[]][] = [
    [
      "IPv6 in brackets",
      { originHost: "[2001:db8::1]", sessionId: 1, sessionVersion: 1 },
      ["o=- 1 1 IN IP6 2001:db8::1", "c=IN IP6 ::"],
      ["a=framerate", "a=x-dimensions"],
    ],
    [
      "NTSC rate, odd size",
      {
        originHost: "h",
        sessionId: 1,
        sessionVersion: 1,
        framesPerSecond: 30000 / 1001,
        widthPx: 641,
        heightPx: 481,
      },
      ["a=framerate:29.97", "a=x-dimensions:641,481"],
      [],
    ],
    [
      "NaN rate, one dimension only",
      { originHost: "h", sessionId: 1, sessionVersion: 1, framesPerSecond: NaN, widthPx: 640 },
      [],
      ["a=framerate", "a=x-dimensions"],
    ],
    [
      "line breaks in the name",
      { originHost: "h", sessionId: 1, sessionVersion: 1, sessionName: "a\r\nm=audio" },
      ["s=a  m=audio"],
      ["\r\nm=audio"],
    ],
  ];
  for (const [name, options, present, absent] of table) {
    const sdp = writePresentationSdp(options);
    for (const line of present) equal(sdp.includes(line + "\r\n"), true, `${name}: ${line}`);
    for (const text of absent) equal(sdp.includes(text), false, `${name}: ${text}`);
  }
});
