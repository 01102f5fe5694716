import { equal, throws } from "node:assert/strict";
import { writeSdp } from "./sdp.ts";

Deno.test("writeSdp: the exact text for an IPv4 receiver, CRLF line ends", () => {
  equal(
    writeSdp({ host: "127.0.0.1", port: 5004, framesPerSecond: 30 }),
    [
      "v=0",
      "o=- 0 0 IN IP4 127.0.0.1",
      "s=udpcam",
      "c=IN IP4 127.0.0.1",
      "t=0 0",
      "m=video 5004 RTP/AVP 26",
      "a=rtpmap:26 JPEG/90000",
      "a=framerate:30",
      "a=recvonly",
      "",
    ].join("\r\n"),
  );
});

Deno.test("writeSdp: IPv6 hosts, other payload types, bad values refused", () => {
  const sdp = writeSdp({ host: "[::1]", port: 6000, payloadType: 96, sessionName: "a\nb" });
  equal(sdp.includes("c=IN IP6 ::1\r\n"), true);
  equal(sdp.includes("m=video 6000 RTP/AVP 96\r\na=rtpmap:96 JPEG/90000\r\n"), true);
  equal(sdp.includes("s=a b\r\n"), true);
  throws(() => writeSdp({ host: "127.0.0.1", port: 0 }), RangeError);
  throws(() => writeSdp({ host: "127.0.0.1", port: 5004, payloadType: 128 }), RangeError);
});
