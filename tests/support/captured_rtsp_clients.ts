/**
 * What real RTSP clients sent to a capture server on this machine (loopback, port 18554), byte
 * for byte, for the parser, auth and state machine tests. The capture server answered OPTIONS with
 * a Public list, challenged everything else once (realm "udpcam", nonce
 * {@linkcode CAPTURE_NONCE}), then answered 200 with an SDP whose media control is "stream=0",
 * `Session: 12345678;timeout=6`, server ports 18600-18601 and SSRC 0x11223344, and streamed
 * RTP/JPEG at 10 fps with an RTCP SR every second.
 *
 * Credentials: user "udpcam", password "s3cret".
 *
 * The capture server was a throwaway script (not kept): it logged every request, interleaved
 * frame and UDP datagram the client sent. Debian's VLC 3.0.24 has no live555 module, so
 * `rtsp://` in VLC is tried by the SAT>IP module (a SETUP on the presentation URL with the
 * credentials left in the Request-URI, CSeq 0, no DESCRIBE, OPTIONS keep-alives each second) and
 * then by the RealRTSP module (an OPTIONS with a RealPlayer User-Agent); neither does Digest.
 *
 * @module
 */

/** The nonce the capture server challenged with. */
export const CAPTURE_NONCE = "0123456789abcdef0123456789abcdef";
/** The nonce the capture server sent with stale=true in the stale captures. */
export const CAPTURE_STALE_NONCE = "fedcba9876543210fedcba9876543210";
/** The session id the capture server handed out. */
export const CAPTURE_SESSION = "12345678";
/** The SSRC the capture server streamed with. */
export const CAPTURE_SSRC = 0x11223344;

/** One thing a client wrote into its RTSP connection. */
export type CapturedSegment = { request: string } | { interleavedHex: string };

/** One captured client run. */
export interface Capture {
  /** Client and version. */
  client: string;
  /** The command that ran it. */
  command: string;
  /** How the capture server challenged. */
  challenge: string;
  /** What the client wrote into each RTSP connection it opened, in order. */
  connections: CapturedSegment[][];
  /** UDP datagrams (hex) the client sent to the server's RTP port. */
  rtpPortDatagrams: string[];
  /** UDP datagrams (hex) the client sent to the server's RTCP port. */
  rtcpPortDatagrams: string[];
}

/** A request head from its lines, with the CRLF line ends and the empty line that ends it. */
function request(...lines: string[]): { request: string } {
  return { request: lines.join("\r\n") + "\r\n\r\n" };
}

/** The captured runs, by name. */
export const CAPTURES: Record<string, Capture> = {
  ffmpegUdp: {
    client: "ffmpeg 5.1.9 (Lavf59.27.100)",
    command:
      "ffmpeg -rtsp_transport udp -i rtsp://udpcam:s3cret@127.0.0.1:18554/udpcam -t 8 -f null -",
    challenge: "digest",
    connections: [
      [
        request(
          "OPTIONS rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 1",
          "User-Agent: Lavf59.27.100",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "Accept: application/sdp",
          "CSeq: 2",
          "User-Agent: Lavf59.27.100",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "Accept: application/sdp",
          "CSeq: 3",
          "User-Agent: Lavf59.27.100",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam", response="9af893c34be19ed85d8b7ad1cb700568", algorithm="MD5", qop="auth", cnonce="90f8c13f8fa97579", nc=00000001',
        ),
        request(
          "SETUP rtsp://127.0.0.1:18554/udpcam/stream=0 RTSP/1.0",
          "Transport: RTP/AVP/UDP;unicast;client_port=17520-17521",
          "CSeq: 4",
          "User-Agent: Lavf59.27.100",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/stream=0", response="7e8af24856addb873243d18b8fdd9077", algorithm="MD5", qop="auth", cnonce="e30ea20860be7c3d", nc=00000002',
        ),
        request(
          "PLAY rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "Range: npt=0.000-",
          "CSeq: 5",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="21e3210b3b026f4ae38c6939ccfea9de", algorithm="MD5", qop="auth", cnonce="53bf8dccdc5f053b", nc=00000003',
        ),
        request(
          "GET_PARAMETER rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 6",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="4be1ff633d621e8112bc97627960557e", algorithm="MD5", qop="auth", cnonce="c19cd53cd358545c", nc=00000004',
        ),
        request(
          "GET_PARAMETER rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 7",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="75d3748a8a5417b98dbbca1514a079f1", algorithm="MD5", qop="auth", cnonce="537d5f367491c39b", nc=00000005',
        ),
        request(
          "TEARDOWN rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 8",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="f95a5fc4c47248516b77a597b3cdca8b", algorithm="MD5", qop="auth", cnonce="be37f83a516d654c", nc=00000006',
        ),
      ],
    ],
    rtpPortDatagrams: ["800000000000000000000000"],
    rtcpPortDatagrams: [
      "80c9000100000000",
      "81c90007112233451122334400000000000004bd00000008cb521d700000b13981ca0003112233450102766d00000000",
      "81c900071122334511223344000000000000059500000006cb55251e000080ec81ca0003112233450102766d00000000",
    ],
  },
  ffmpegTcp: {
    client: "ffmpeg 5.1.9 (Lavf59.27.100)",
    command:
      "ffmpeg -rtsp_transport tcp -i rtsp://udpcam:s3cret@127.0.0.1:18554/udpcam -t 8 -f null -",
    challenge: "digest",
    connections: [
      [
        request(
          "OPTIONS rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 1",
          "User-Agent: Lavf59.27.100",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "Accept: application/sdp",
          "CSeq: 2",
          "User-Agent: Lavf59.27.100",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "Accept: application/sdp",
          "CSeq: 3",
          "User-Agent: Lavf59.27.100",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam", response="7682e23924fb544eaf961d49d3add4dd", algorithm="MD5", qop="auth", cnonce="8a901bc172b926ef", nc=00000001',
        ),
        request(
          "SETUP rtsp://127.0.0.1:18554/udpcam/stream=0 RTSP/1.0",
          "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
          "CSeq: 4",
          "User-Agent: Lavf59.27.100",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/stream=0", response="97bb38770d7b7547a67a176073d9012f", algorithm="MD5", qop="auth", cnonce="5a1b69970d9f4c0d", nc=00000002',
        ),
        request(
          "PLAY rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "Range: npt=0.000-",
          "CSeq: 5",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="4db6db543d542028854e4b806cf4bd5f", algorithm="MD5", qop="auth", cnonce="62c7f937f2b4552d", nc=00000003',
        ),
        request(
          "GET_PARAMETER rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 6",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="56353fafe4e6262c3a2377e4aa0a61f7", algorithm="MD5", qop="auth", cnonce="63d34209320805ff", nc=00000004',
        ),
        request(
          "GET_PARAMETER rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 7",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="e429a96cecc1c58f0e94d456ec127f0b", algorithm="MD5", qop="auth", cnonce="60bd5cbdb20f838e", nc=00000005',
        ),
        request(
          "TEARDOWN rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 8",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="b14b8eac06ed587303843b67a72362cb", algorithm="MD5", qop="auth", cnonce="440729fd6e6d64a0", nc=00000006',
        ),
      ],
    ],
    rtpPortDatagrams: [],
    rtcpPortDatagrams: [],
  },
  ffmpegStale: {
    client: "ffmpeg 5.1.9 (Lavf59.27.100)",
    command:
      "ffmpeg -rtsp_transport tcp -i rtsp://udpcam:s3cret@127.0.0.1:18554/udpcam -t 5 -f null -",
    challenge:
      "digest, the first GET_PARAMETER answered 401 stale=true with nonce fedcba9876543210fedcba9876543210",
    connections: [
      [
        request(
          "OPTIONS rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 1",
          "User-Agent: Lavf59.27.100",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "Accept: application/sdp",
          "CSeq: 2",
          "User-Agent: Lavf59.27.100",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "Accept: application/sdp",
          "CSeq: 3",
          "User-Agent: Lavf59.27.100",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam", response="e9f98d008c214ad3e301d39514e91507", algorithm="MD5", qop="auth", cnonce="2e009bacff505632", nc=00000001',
        ),
        request(
          "SETUP rtsp://127.0.0.1:18554/udpcam/stream=0 RTSP/1.0",
          "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
          "CSeq: 4",
          "User-Agent: Lavf59.27.100",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/stream=0", response="a508b9c599c5df1174d5103bd8355a01", algorithm="MD5", qop="auth", cnonce="3436bc015cecd15b", nc=00000002',
        ),
        request(
          "PLAY rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "Range: npt=0.000-",
          "CSeq: 5",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="e22893eedd850b3a4e4781876da4074a", algorithm="MD5", qop="auth", cnonce="259f51069cfca502", nc=00000003',
        ),
        request(
          "GET_PARAMETER rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 6",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="fdea452012ac6a554691734ccb9b0897", algorithm="MD5", qop="auth", cnonce="83c04386738a4ada", nc=00000004',
        ),
        request(
          "GET_PARAMETER rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 7",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="fedcba9876543210fedcba9876543210", uri="rtsp://127.0.0.1:18554/udpcam/", response="57dc973dd2e43cce3e0e27f850426565", algorithm="MD5", qop="auth", cnonce="139b45357d369ff8", nc=00000001',
        ),
        request(
          "TEARDOWN rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 8",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="fedcba9876543210fedcba9876543210", uri="rtsp://127.0.0.1:18554/udpcam/", response="43e0425f4357961ba6270551281c764d", algorithm="MD5", qop="auth", cnonce="6e008c19f2072922", nc=00000002',
        ),
      ],
    ],
    rtpPortDatagrams: [],
    rtcpPortDatagrams: [],
  },
  ffmpegBasic: {
    client: "ffmpeg 5.1.9 (Lavf59.27.100)",
    command:
      "ffmpeg -rtsp_transport tcp -i rtsp://udpcam:s3cret@127.0.0.1:18554/udpcam -t 1 -f null -",
    challenge: "basic",
    connections: [
      [
        request(
          "OPTIONS rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 1",
          "User-Agent: Lavf59.27.100",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "Accept: application/sdp",
          "CSeq: 2",
          "User-Agent: Lavf59.27.100",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "Accept: application/sdp",
          "CSeq: 3",
          "User-Agent: Lavf59.27.100",
          "Authorization: Basic dWRwY2FtOnMzY3JldA==",
        ),
        request(
          "SETUP rtsp://127.0.0.1:18554/udpcam/stream=0 RTSP/1.0",
          "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
          "CSeq: 4",
          "User-Agent: Lavf59.27.100",
          "Authorization: Basic dWRwY2FtOnMzY3JldA==",
        ),
        request(
          "PLAY rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "Range: npt=0.000-",
          "CSeq: 5",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          "Authorization: Basic dWRwY2FtOnMzY3JldA==",
        ),
        request(
          "TEARDOWN rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 6",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          "Authorization: Basic dWRwY2FtOnMzY3JldA==",
        ),
      ],
    ],
    rtpPortDatagrams: [],
    rtcpPortDatagrams: [],
  },
  ffmpegLegacy: {
    client: "ffmpeg 5.1.9 (Lavf59.27.100)",
    command:
      "ffmpeg -rtsp_transport tcp -i rtsp://udpcam:s3cret@127.0.0.1:18554/udpcam -t 1 -f null -",
    challenge: "digest-legacy",
    connections: [
      [
        request(
          "OPTIONS rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 1",
          "User-Agent: Lavf59.27.100",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "Accept: application/sdp",
          "CSeq: 2",
          "User-Agent: Lavf59.27.100",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "Accept: application/sdp",
          "CSeq: 3",
          "User-Agent: Lavf59.27.100",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam", response="c357f675b4ac32890f5c4c6eb0dbe06d"',
        ),
        request(
          "SETUP rtsp://127.0.0.1:18554/udpcam/stream=0 RTSP/1.0",
          "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
          "CSeq: 4",
          "User-Agent: Lavf59.27.100",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/stream=0", response="0900ede879088c69348cdf11ac68ff61"',
        ),
        request(
          "PLAY rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "Range: npt=0.000-",
          "CSeq: 5",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="11849d452fccbddc5677fb4412d273c5"',
        ),
        request(
          "TEARDOWN rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 6",
          "User-Agent: Lavf59.27.100",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="c7e8124b1f79de1aabc465a3082162dc"',
        ),
      ],
    ],
    rtpPortDatagrams: [],
    rtcpPortDatagrams: [],
  },
  gstUdp: {
    client: "GStreamer 1.22.0 rtspsrc",
    command:
      "gst-launch-1.0 -e rtspsrc location=rtsp://udpcam:s3cret@127.0.0.1:18554/udpcam protocols=udp ! fakesink (SIGINT after 9 s)",
    challenge: "digest",
    connections: [
      [
        request(
          "OPTIONS rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 1",
          "User-Agent: GStreamer/1.22.0",
          "Date: Wed, 02 Dec 2026 16:52:57 GMT",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 2",
          "User-Agent: GStreamer/1.22.0",
          "Accept: application/sdp",
          "Date: Wed, 02 Dec 2026 16:52:57 GMT",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 3",
          "User-Agent: GStreamer/1.22.0",
          "Accept: application/sdp",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam", response="c357f675b4ac32890f5c4c6eb0dbe06d"',
          "Date: Wed, 02 Dec 2026 16:52:57 GMT",
        ),
        request(
          "SETUP rtsp://127.0.0.1:18554/udpcam/stream=0 RTSP/1.0",
          "CSeq: 4",
          "User-Agent: GStreamer/1.22.0",
          "Transport: RTP/AVP;unicast;client_port=57856-57857",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/stream=0", response="0900ede879088c69348cdf11ac68ff61"',
          "Date: Wed, 02 Dec 2026 16:52:57 GMT",
        ),
        request(
          "PLAY rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 5",
          "User-Agent: GStreamer/1.22.0",
          "Range: npt=0-",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="11849d452fccbddc5677fb4412d273c5"',
          "Date: Wed, 02 Dec 2026 16:52:57 GMT",
        ),
        request(
          "GET_PARAMETER rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 6",
          "User-Agent: GStreamer/1.22.0",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="684816a41285dc0f28eba906270ba08b"',
          "Date: Wed, 02 Dec 2026 16:53:02 GMT",
        ),
        request(
          "PAUSE rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 7",
          "User-Agent: GStreamer/1.22.0",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="8a7ac5a920948af94b261673f9dbbf7e"',
          "Date: Wed, 02 Dec 2026 16:53:06 GMT",
        ),
        request(
          "TEARDOWN rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 8",
          "User-Agent: GStreamer/1.22.0",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="c7e8124b1f79de1aabc465a3082162dc"',
          "Date: Wed, 02 Dec 2026 16:53:06 GMT",
        ),
      ],
    ],
    rtpPortDatagrams: [
      "a370094554301501db6a33073089a02c0e441e6f3ddf4844b8811acd6e021c940e217d06c3cc32f3d779b4ff7e406ed92c7a788f8f2fcaed657ee528773790b679a532ad3b75e1df877044324dbe65533bbd277b0083e9399dfcf8dfb41247285ca6e6606953c91b7b2bd1d8b4068151ca748b1a3b15251ccd98fdffc89b577f0b291a1ae8de306467ec08c68f6941961b76882e7f79ba4693c8ec9151038784d7af9a62ecb5b11c97a97ead1898ea5e5fa00845b7dbededd40b11dc1f9636083e423469a360e8e3",
    ],
    rtcpPortDatagrams: [
      "81c900078043a42c1122334400ffffff000004bd00000009cb6bdc6a0000b04a81ca000c8043a42c011c757365723239333533313134373340686f73742d353933343736393706094753747265616d6572000000",
      "81c900078043a42c1122334400ffffff0000064f00000015cb71ed0e0000135c81ca000c8043a42c011c757365723239333533313134373340686f73742d353933343736393706094753747265616d6572000000",
    ],
  },
  gstTcp: {
    client: "GStreamer 1.22.0 rtspsrc",
    command:
      "gst-launch-1.0 -e rtspsrc location=rtsp://udpcam:s3cret@127.0.0.1:18554/udpcam protocols=tcp ! fakesink (SIGINT after 9 s)",
    challenge: "digest",
    connections: [
      [
        request(
          "OPTIONS rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 1",
          "User-Agent: GStreamer/1.22.0",
          "Date: Wed, 02 Dec 2026 16:53:07 GMT",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 2",
          "User-Agent: GStreamer/1.22.0",
          "Accept: application/sdp",
          "Date: Wed, 02 Dec 2026 16:53:07 GMT",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 3",
          "User-Agent: GStreamer/1.22.0",
          "Accept: application/sdp",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam", response="c357f675b4ac32890f5c4c6eb0dbe06d"',
          "Date: Wed, 02 Dec 2026 16:53:07 GMT",
        ),
        request(
          "SETUP rtsp://127.0.0.1:18554/udpcam/stream=0 RTSP/1.0",
          "CSeq: 4",
          "User-Agent: GStreamer/1.22.0",
          "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/stream=0", response="0900ede879088c69348cdf11ac68ff61"',
          "Date: Wed, 02 Dec 2026 16:53:07 GMT",
        ),
        request(
          "PLAY rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 5",
          "User-Agent: GStreamer/1.22.0",
          "Range: npt=0-",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="11849d452fccbddc5677fb4412d273c5"',
          "Date: Wed, 02 Dec 2026 16:53:07 GMT",
        ),
        {
          interleavedHex:
            "2401005481c90007ed1286f21122334400ffffff0000045c0000015acb74828f00005d4681ca000ced1286f2011c757365723332323633353537393840686f73742d366236666561633006094753747265616d6572000000",
        },
        {
          interleavedHex:
            "2401005481c90007ed1286f21122334400ffffff000005ed0000000bcb798f1a0000a78681ca000ced1286f2011c757365723332323633353537393840686f73742d366236666561633006094753747265616d6572000000",
        },
        request(
          "PAUSE rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 6",
          "User-Agent: GStreamer/1.22.0",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="8a7ac5a920948af94b261673f9dbbf7e"',
          "Date: Wed, 02 Dec 2026 16:53:16 GMT",
        ),
        request(
          "TEARDOWN rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 7",
          "User-Agent: GStreamer/1.22.0",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="c7e8124b1f79de1aabc465a3082162dc"',
          "Date: Wed, 02 Dec 2026 16:53:16 GMT",
        ),
      ],
    ],
    rtpPortDatagrams: [],
    rtcpPortDatagrams: [],
  },
  gstStaleUdp: {
    client: "GStreamer 1.22.0 rtspsrc",
    command:
      "gst-launch-1.0 -e rtspsrc location=rtsp://udpcam:s3cret@127.0.0.1:18554/udpcam protocols=udp ! fakesink (SIGINT after 10 s)",
    challenge:
      "digest, the first GET_PARAMETER answered 401 stale=true with nonce fedcba9876543210fedcba9876543210",
    connections: [
      [
        request(
          "OPTIONS rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 1",
          "User-Agent: GStreamer/1.22.0",
          "Date: Wed, 02 Dec 2026 16:54:38 GMT",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 2",
          "User-Agent: GStreamer/1.22.0",
          "Accept: application/sdp",
          "Date: Wed, 02 Dec 2026 16:54:38 GMT",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 3",
          "User-Agent: GStreamer/1.22.0",
          "Accept: application/sdp",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam", response="c357f675b4ac32890f5c4c6eb0dbe06d"',
          "Date: Wed, 02 Dec 2026 16:54:38 GMT",
        ),
        request(
          "SETUP rtsp://127.0.0.1:18554/udpcam/stream=0 RTSP/1.0",
          "CSeq: 4",
          "User-Agent: GStreamer/1.22.0",
          "Transport: RTP/AVP;unicast;client_port=39834-39835",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/stream=0", response="0900ede879088c69348cdf11ac68ff61"',
          "Date: Wed, 02 Dec 2026 16:54:38 GMT",
        ),
        request(
          "PLAY rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 5",
          "User-Agent: GStreamer/1.22.0",
          "Range: npt=0-",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="11849d452fccbddc5677fb4412d273c5"',
          "Date: Wed, 02 Dec 2026 16:54:38 GMT",
        ),
        request(
          "GET_PARAMETER rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 6",
          "User-Agent: GStreamer/1.22.0",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="0123456789abcdef0123456789abcdef", uri="rtsp://127.0.0.1:18554/udpcam/", response="684816a41285dc0f28eba906270ba08b"',
          "Date: Wed, 02 Dec 2026 16:54:43 GMT",
        ),
        request(
          "GET_PARAMETER rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 7",
          "User-Agent: GStreamer/1.22.0",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="fedcba9876543210fedcba9876543210", uri="rtsp://127.0.0.1:18554/udpcam/", response="9dac04b417fd145cf1d3c4482fcba323"',
          "Date: Wed, 02 Dec 2026 16:54:43 GMT",
        ),
        request(
          "PAUSE rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 8",
          "User-Agent: GStreamer/1.22.0",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="fedcba9876543210fedcba9876543210", uri="rtsp://127.0.0.1:18554/udpcam/", response="69b1231656cbe50771dbc4a7b6e4288b"',
          "Date: Wed, 02 Dec 2026 16:54:48 GMT",
        ),
        request(
          "TEARDOWN rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 9",
          "User-Agent: GStreamer/1.22.0",
          "Session: 12345678",
          'Authorization: Digest username="udpcam", realm="udpcam", nonce="fedcba9876543210fedcba9876543210", uri="rtsp://127.0.0.1:18554/udpcam/", response="1caf7d050c49e5e13d172331f5c9bcfc"',
          "Date: Wed, 02 Dec 2026 16:54:48 GMT",
        ),
      ],
    ],
    rtpPortDatagrams: [
      "933fc6fe37a1e1f439b10298394cbab5a994d1bf4c051d44c594bac9184c1c5b82645fe77c8fbad910a2b29e19c0b01227e1c24eea9866fdf647f8ab830dab73c6cb0f6666f6f7eac1aa8cb5b421e51d0f9df467ef0856286ba69c56222b302f39dae97956b7b332853d91c8caca2e7ce0d9dfb2815462bbb5f7db22ab9812a18b641f5eca2a42e4999eef83b34467583e898135e86ce2241d419796229574356e5dc0e330c4187409a623cab79bb30b4d5763d82ed3ba2db8b5c23f1fce963fe7f34eb99004da37",
    ],
    rtcpPortDatagrams: [
      "81c9000702ae831c1122334400ffffff0000047f0000000ecbcf2c080000f25781ca000c02ae831c011c757365723130353035323830313240686f73742d373265623334303506094753747265616d6572000000",
      "81c9000702ae831c1122334400ffffff0000063900000007cbd53c280000a68e81ca000c02ae831c011c757365723130353035323830313240686f73742d373265623334303506094753747265616d6572000000",
    ],
  },
  gstBasic: {
    client: "GStreamer 1.22.0 rtspsrc",
    command:
      "gst-launch-1.0 -e rtspsrc location=rtsp://udpcam:s3cret@127.0.0.1:18554/udpcam protocols=tcp ! fakesink",
    challenge: "basic",
    connections: [
      [
        request(
          "OPTIONS rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 1",
          "User-Agent: GStreamer/1.22.0",
          "Date: Wed, 02 Dec 2026 16:54:23 GMT",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 2",
          "User-Agent: GStreamer/1.22.0",
          "Accept: application/sdp",
          "Date: Wed, 02 Dec 2026 16:54:23 GMT",
        ),
        request(
          "DESCRIBE rtsp://127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 3",
          "User-Agent: GStreamer/1.22.0",
          "Accept: application/sdp",
          "Authorization: Basic dWRwY2FtOnMzY3JldA==",
          "Date: Wed, 02 Dec 2026 16:54:23 GMT",
        ),
        request(
          "SETUP rtsp://127.0.0.1:18554/udpcam/stream=0 RTSP/1.0",
          "CSeq: 4",
          "User-Agent: GStreamer/1.22.0",
          "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
          "Authorization: Basic dWRwY2FtOnMzY3JldA==",
          "Date: Wed, 02 Dec 2026 16:54:23 GMT",
        ),
        request(
          "PLAY rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 5",
          "User-Agent: GStreamer/1.22.0",
          "Range: npt=0-",
          "Session: 12345678",
          "Authorization: Basic dWRwY2FtOnMzY3JldA==",
          "Date: Wed, 02 Dec 2026 16:54:23 GMT",
        ),
        request(
          "TEARDOWN rtsp://127.0.0.1:18554/udpcam/ RTSP/1.0",
          "CSeq: 6",
          "User-Agent: GStreamer/1.22.0",
          "Session: 12345678",
          "Authorization: Basic dWRwY2FtOnMzY3JldA==",
          "Date: Wed, 02 Dec 2026 16:54:25 GMT",
        ),
      ],
    ],
    rtpPortDatagrams: [],
    rtcpPortDatagrams: [],
  },
  vlcDigest: {
    client: "VLC 3.0.24 (Debian: no live555 module; satip and access_realrtsp answer rtsp://)",
    command:
      "cvlc --intf dummy --run-time 8 rtsp://udpcam:s3cret@127.0.0.1:18554/udpcam vlc://quit (as user nobody)",
    challenge: "digest",
    connections: [
      [
        request(
          "SETUP rtsp://udpcam:s3cret@127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 0",
          "Transport: RTP/AVP;unicast;client_port=9130-9131",
        ),
      ],
      [
        request(
          "OPTIONS rtsp://127.0.0.1:18554 RTSP/1.0",
          "CSeq: 1",
          "User-Agent: RealMedia Player Version 6.0.9.1235 (linux-2.0-libc6-i386-gcc2.95)",
          "ClientChallenge: 9e26d33f2984236010ef6253fb1887f7",
          "PlayerStarttime: [28/03/2003:22:50:23 00:00]",
          "CompanyID: KnKV4M4I/B2FjJ1TToLycw==",
          "GUID: 00000000-0000-0000-0000-000000000000",
          "RegionData: 0",
          "ClientID: Linux_2.4_6.0.9.1235_play32_RN01_EN_586",
        ),
      ],
    ],
    rtpPortDatagrams: [],
    rtcpPortDatagrams: [],
  },
  vlcNoAuth: {
    client: "VLC 3.0.24 (Debian: no live555 module; satip and access_realrtsp answer rtsp://)",
    command:
      "cvlc --intf dummy --run-time 8 rtsp://udpcam:s3cret@127.0.0.1:18554/udpcam vlc://quit (as user nobody)",
    challenge: "none: every request answered 200",
    connections: [
      [
        request(
          "SETUP rtsp://udpcam:s3cret@127.0.0.1:18554/udpcam RTSP/1.0",
          "CSeq: 0",
          "Transport: RTP/AVP;unicast;client_port=9286-9287",
        ),
        request(
          "PLAY rtsp://127.0.0.1:18554/stream=0 RTSP/1.0",
          "CSeq: 1",
          "Session: 12345678",
        ),
        request(
          "OPTIONS rtsp://127.0.0.1:18554/stream=0 RTSP/1.0",
          "CSeq: 2",
          "Session: 12345678",
        ),
        request(
          "OPTIONS rtsp://127.0.0.1:18554/stream=0 RTSP/1.0",
          "CSeq: 3",
          "Session: 12345678",
        ),
        request(
          "OPTIONS rtsp://127.0.0.1:18554/stream=0 RTSP/1.0",
          "CSeq: 4",
          "Session: 12345678",
        ),
        request(
          "OPTIONS rtsp://127.0.0.1:18554/stream=0 RTSP/1.0",
          "CSeq: 5",
          "Session: 12345678",
        ),
        request(
          "OPTIONS rtsp://127.0.0.1:18554/stream=0 RTSP/1.0",
          "CSeq: 6",
          "Session: 12345678",
        ),
        request(
          "OPTIONS rtsp://127.0.0.1:18554/stream=0 RTSP/1.0",
          "CSeq: 7",
          "Session: 12345678",
        ),
        request(
          "OPTIONS rtsp://127.0.0.1:18554/stream=0 RTSP/1.0",
          "CSeq: 8",
          "Session: 12345678",
        ),
        request(
          "OPTIONS rtsp://127.0.0.1:18554/stream=0 RTSP/1.0",
          "CSeq: 9",
          "Session: 12345678",
        ),
        request(
          "OPTIONS rtsp://127.0.0.1:18554/stream=0 RTSP/1.0",
          "CSeq: 10",
          "Session: 12345678",
        ),
        request(
          "OPTIONS rtsp://127.0.0.1:18554/stream=0 RTSP/1.0",
          "CSeq: 11",
          "Session: 12345678",
        ),
        request(
          "OPTIONS rtsp://127.0.0.1:18554/stream=0 RTSP/1.0",
          "CSeq: 12",
          "Session: 12345678",
        ),
      ],
    ],
    rtpPortDatagrams: [],
    rtcpPortDatagrams: [],
  },
};
