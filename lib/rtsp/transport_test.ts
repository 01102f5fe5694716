import { deepStrictEqual, equal } from "node:assert/strict";
import {
  chooseTransport,
  formatTransport,
  freeChannelPair,
  MAX_TRANSPORT_SPECS,
  parseTransportHeader,
  type TransportChoice,
} from "./transport.ts";
import { CAPTURES } from "../../tests/support/captured_rtsp_clients.ts";

const udp = (clientRtpPort: number, clientRtcpPort: number): TransportChoice => ({
  ok: true,
  transport: { lower: "udp", clientRtpPort, clientRtcpPort },
});
const tcp = (channels: { rtp: number; rtcp: number } | null): TransportChoice => ({
  ok: true,
  transport: { lower: "tcp", channels },
});
const refused = (reason: string) => ({ ok: false, reason });

Deno.test("the Transport headers the captured clients sent are all served", () => {
  const seen = new Map<string, string>();
  for (const [name, capture] of Object.entries(CAPTURES)) {
    for (const segment of capture.connections.flat()) {
      if (!("request" in segment)) continue;
      const match = /\r\nTransport: ([^\r]*)/.exec(segment.request);
      if (match) seen.set(match[1], name);
    }
  }
  const expected: Record<string, TransportChoice> = {
    "RTP/AVP/UDP;unicast;client_port=17520-17521": udp(17520, 17521), // ffmpeg
    "RTP/AVP/TCP;unicast;interleaved=0-1": tcp({ rtp: 0, rtcp: 1 }), // ffmpeg, GStreamer
    "RTP/AVP;unicast;client_port=57856-57857": udp(57856, 57857), // GStreamer
  };
  for (const [header, name] of seen) {
    const choice = chooseTransport(header, { udp: true });
    if (header in expected) deepStrictEqual(choice, expected[header], `${name}: ${header}`);
    else equal(choice.ok, true, `${name}: ${header}`);
  }
  for (const header of Object.keys(expected)) equal(seen.has(header), true, header);
});

Deno.test("transport specs: accepted forms and refusals, table", () => {
  const table: [string, TransportChoice | ReturnType<typeof refused>][] = [
    ["RTP/AVP;unicast;client_port=5000-5001", udp(5000, 5001)],
    ["rtp/avp/udp;UNICAST;CLIENT_PORT=5000-5001", udp(5000, 5001)],
    ["RTP/AVP;unicast;client_port=5000", udp(5000, 5001)], // lone port: RTCP is next
    ["RTP/AVP;client_port=5000-5001", udp(5000, 5001)], // no unicast: still unicast here
    [" RTP/AVP ; unicast ; client_port = 5000-5001 ", udp(5000, 5001)],
    ["RTP/AVP;unicast;client_port=5000-5001;mode=play", udp(5000, 5001)],
    ['RTP/AVP;unicast;client_port=5000-5001;mode="PLAY"', udp(5000, 5001)],
    ["RTP/AVP;unicast;client_port=5000-5001;ssrc=1234ABCD;x-future=1", udp(5000, 5001)],
    // destination is ignored: the stream goes to the RTSP peer.
    ["RTP/AVP;unicast;destination=10.9.9.9;client_port=5000-5001", udp(5000, 5001)],
    ["RTP/AVP/TCP;unicast;interleaved=4-5", tcp({ rtp: 4, rtcp: 5 })],
    ["RTP/AVP/TCP;unicast;interleaved=7", tcp({ rtp: 7, rtcp: 8 })],
    ["RTP/AVP/TCP;unicast", tcp(null)], // the server picks channels
    ["RTP/AVP/TCP;interleaved=254-255", tcp({ rtp: 254, rtcp: 255 })],
    // A client's preference order: the first servable spec wins.
    ["RTP/AVP;multicast, RTP/AVP/TCP;unicast;interleaved=0-1", tcp({ rtp: 0, rtcp: 1 })],
    [
      "RTP/AVP/TCP;unicast;interleaved=2-3,RTP/AVP;unicast;client_port=9-10",
      tcp({ rtp: 2, rtcp: 3 }),
    ],
    ["RTP/AVP;multicast;destination=224.2.0.1;port=3456-3457;ttl=16", refused("multicast")],
    ["RTP/AVP;unicast;client_port=5000-5001;mode=record", refused("mode")],
    ['RTP/AVP;unicast;client_port=5000-5001;mode="PLAY,RECORD"', refused("mode")],
    ["RTP/AVPF;unicast;client_port=5000-5001", refused("profile")],
    ["RTP/SAVP;unicast;client_port=5000-5001", refused("profile")],
    ["RAW/RAW/UDP;unicast;client_port=5000-5001", refused("profile")],
    ["RTP/AVP;unicast", refused("clientPort")],
    ["RTP/AVP;unicast;client_port=0-1", refused("clientPort")],
    ["RTP/AVP;unicast;client_port=65535", refused("clientPort")], // RTCP would be 65536
    ["RTP/AVP;unicast;client_port=70000-70001", refused("clientPort")],
    ["RTP/AVP;unicast;client_port=5000-", refused("clientPort")],
    ["RTP/AVP;unicast;client_port=-5000", refused("clientPort")],
    ["RTP/AVP/TCP;unicast;interleaved=255", refused("channels")],
    ["RTP/AVP/TCP;unicast;interleaved=1-256", refused("channels")],
    ["RTP/AVP/TCP;unicast;interleaved=a-b", refused("channels")],
    ["garbage", refused("syntax")],
    ["", refused("missing")],
    [" , ,", refused("missing")],
    // The first refusal is the one reported when nothing is servable.
    ["RTP/AVP;multicast, RTP/AVP;unicast;mode=record", refused("multicast")],
  ];
  for (const [header, expected] of table) {
    deepStrictEqual(chooseTransport(header, { udp: true }), expected, header);
  }
});

Deno.test("a server without UDP ports refuses UDP-only offers and takes TCP", () => {
  deepStrictEqual(
    chooseTransport("RTP/AVP;unicast;client_port=5000-5001", { udp: false }),
    refused("udpDisabled"),
  );
  deepStrictEqual(
    chooseTransport("RTP/AVP;unicast;client_port=5000-5001,RTP/AVP/TCP;unicast", { udp: false }),
    tcp(null),
  );
});

Deno.test("at most MAX_TRANSPORT_SPECS specs are read", () => {
  const header = Array.from({ length: 100 }, () => "RTP/AVP;multicast").join(",") +
    ",RTP/AVP/TCP;unicast";
  equal(parseTransportHeader(header).length, MAX_TRANSPORT_SPECS);
  deepStrictEqual(chooseTransport(header, { udp: true }), refused("multicast"));
});

Deno.test("SETUP reply Transport values", () => {
  equal(
    formatTransport({
      lower: "udp",
      clientRtpPort: 17520,
      clientRtcpPort: 17521,
      serverRtpPort: 8000,
      serverRtcpPort: 8001,
    }, 0x0011_2233),
    "RTP/AVP;unicast;client_port=17520-17521;server_port=8000-8001;ssrc=00112233",
  );
  equal(
    formatTransport({ lower: "tcp", rtpChannel: 0, rtcpChannel: 1 }, 0xdead_beef),
    "RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=DEADBEEF",
  );
});

Deno.test("free channel pairs: lowest even pair, none when all are used", () => {
  deepStrictEqual(freeChannelPair(new Set()), { rtp: 0, rtcp: 1 });
  deepStrictEqual(freeChannelPair(new Set([0, 1, 3])), { rtp: 4, rtcp: 5 });
  equal(freeChannelPair(new Set(Array.from({ length: 256 }, (_, i) => i))), null);
});
