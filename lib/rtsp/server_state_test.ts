import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { RtspAuthenticator } from "./auth.ts";
import {
  CLOSE_REASONS,
  type RtspAction,
  type RtspServerOptions,
  RtspServerState,
  SESSION_DROP_REASONS,
} from "./server_state.ts";
import {
  type Capture,
  CAPTURE_NONCE,
  CAPTURE_SESSION,
  CAPTURE_SSRC,
  CAPTURE_STALE_NONCE,
  CAPTURES,
} from "../../tests/support/captured_rtsp_clients.ts";
import { Prng } from "../netsim/mod.ts";

const HOST = "127.0.0.1";
const text = new TextEncoder();

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (byte) => parseInt(byte, 16));
}

/** Randomness that hands out `queue` (hex) first, then seeded bytes. */
function randomFrom(queue: string[], seed = 7): (bytes: number) => Uint8Array {
  const left = queue.map(fromHex);
  const prng = new Prng(seed);
  return (bytes) => left.shift() ?? prng.bytes(bytes);
}

interface Response {
  status: number;
  headers: [string, string][];
  body: string;
}

function header(response: Response, name: string): string | null {
  return response.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1] ?? null;
}

function parseResponse(bytes: Uint8Array): Response {
  const all = new TextDecoder().decode(bytes);
  const end = all.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = all.slice(0, end).split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  ok(statusLine.startsWith("RTSP/1.0 "), statusLine);
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  return { status, headers, body: all.slice(end + 4) };
}

const responsesOf = (actions: RtspAction[]) =>
  actions.flatMap((a) => a.type === "send" ? [parseResponse(a.bytes)] : []);

function server(options: Partial<RtspServerOptions> = {}): RtspServerState {
  return new RtspServerState({
    random: randomFrom([]),
    ssrc: CAPTURE_SSRC,
    udpPorts: { rtpPort: 18600, rtcpPort: 18601 },
    ...options,
  });
}

function auth(
  nonces: string[],
  extra: Partial<ConstructorParameters<typeof RtspAuthenticator>[0]> = {},
) {
  return new RtspAuthenticator({
    users: [{ username: "udpcam", password: "s3cret" }],
    random: randomFrom(nonces),
    ...extra,
  });
}

/** A client on one connection: writes requests, reads the replies. */
class Client {
  readonly id: number;
  actions: RtspAction[] = [];
  cseq = 0;
  constructor(readonly server: RtspServerState, nowMs = 0, peerHost = HOST) {
    const opened = server.open({ peerHost, localHost: HOST }, nowMs);
    this.id = opened.connectionId;
    this.actions.push(...opened.actions);
  }

  write(bytes: Uint8Array | string, nowMs = 0): RtspAction[] {
    const actions = this.server.receive(
      this.id,
      typeof bytes === "string" ? text.encode(bytes) : bytes,
      nowMs,
    );
    this.actions.push(...actions);
    return actions;
  }

  /** Sends one request with a fresh CSeq; returns its single reply and the other actions. */
  ask(
    method: string,
    uri: string,
    headers: Record<string, string> = {},
    nowMs = 0,
    body = "",
  ): { response: Response; actions: RtspAction[] } {
    const lines = [`${method} ${uri} RTSP/1.0`, `CSeq: ${++this.cseq}`];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    if (body !== "") lines.push(`Content-Length: ${text.encode(body).length}`);
    const actions = this.write(lines.join("\r\n") + "\r\n\r\n" + body, nowMs);
    const responses = responsesOf(actions);
    equal(responses.length, 1, `${method}: ${JSON.stringify(responses)}`);
    equal(header(responses[0], "CSeq"), String(this.cseq), "CSeq echoed");
    return { response: responses[0], actions: actions.filter((a) => a.type !== "send") };
  }
}

const URL = "rtsp://127.0.0.1:8554/udpcam";
const TRACK = `${URL}/stream=0`;

function setUp(client: Client, transport = "RTP/AVP/TCP;unicast;interleaved=0-1", nowMs = 0) {
  const { response } = client.ask("SETUP", TRACK, { Transport: transport }, nowMs);
  equal(response.status, 200, JSON.stringify(response));
  return /^[0-9a-f]{16}/.exec(header(response, "Session") ?? "")![0];
}

interface Replay {
  statuses: number[][];
  responses: Response[];
  actions: RtspAction[];
}

/**
 * Feeds a capture's connections, request by request, into `state`, swapping the capture server's
 * session id for the one this server gave; RTCP datagrams to the server port go in after PLAY.
 */
function replay(state: RtspServerState, capture: Capture, timeOf = (i: number) => i * 100): Replay {
  const result: Replay = { statuses: [], responses: [], actions: [] };
  let sessionId: string | null = null;
  let step = 0;
  for (const segments of capture.connections) {
    const client = new Client(state, timeOf(step));
    const statuses: number[] = [];
    for (const segment of segments) {
      const nowMs = timeOf(step++);
      const bytes = "request" in segment
        ? text.encode(
          sessionId === null ? segment.request : segment.request.replace(
            `Session: ${CAPTURE_SESSION}`,
            `Session: ${sessionId}`,
          ),
        )
        : fromHex(segment.interleavedHex);
      const actions = client.write(bytes, nowMs);
      for (const response of responsesOf(actions)) {
        statuses.push(response.status);
        result.responses.push(response);
        const session = header(response, "Session");
        if (session !== null) sessionId = session.split(";")[0];
      }
      result.actions.push(...actions.filter((a) => a.type !== "send"));
      if ("request" in segment && segment.request.startsWith("PLAY ")) {
        for (const hex of capture.rtcpPortDatagrams) {
          // ffmpeg and GStreamer send from the RTCP port they named in SETUP.
          const port = /client_port=\d+-(\d+)/.exec(
            capture.connections.flat().map((s) => "request" in s ? s.request : "").join(),
          )?.[1];
          result.actions.push(...state.receiveUdpRtcp(HOST, Number(port), fromHex(hex), nowMs));
        }
      }
    }
    result.actions.push(...state.closed(client.id));
    result.statuses.push(statuses);
  }
  return result;
}

Deno.test("replayed ffmpeg over UDP: 401 then 200s, play to its ports, RTCP tracked, teardown", () => {
  const state = server({ auth: auth([CAPTURE_NONCE]) });
  const { statuses, responses, actions } = replay(state, CAPTURES.ffmpegUdp);
  deepStrictEqual(statuses, [[200, 401, 200, 200, 200, 200, 200, 200]]);
  const challenge = header(responses[1], "WWW-Authenticate");
  equal(challenge, `Digest realm="udpcam", nonce="${CAPTURE_NONCE}", algorithm=MD5, qop="auth"`);
  equal(header(responses[2], "Content-Base"), "rtsp://127.0.0.1:18554/udpcam/");
  equal(header(responses[2], "Content-Type"), "application/sdp");
  ok(responses[2].body.includes("a=control:stream=0\r\n"));
  const transport = header(responses[3], "Transport");
  equal(transport, "RTP/AVP;unicast;client_port=17520-17521;server_port=18600-18601;ssrc=11223344");
  ok(header(responses[3], "Session")?.endsWith(";timeout=60"));
  const sessionId = header(responses[3], "Session")!.split(";")[0];
  deepStrictEqual(actions, [
    {
      type: "play",
      sessionId,
      transport: { lower: "udp", host: HOST, rtpPort: 17520, rtcpPort: 17521 },
    },
    { type: "drop", sessionId, reason: "teardown" },
  ]);
  const counters = state.counters;
  equal(counters.rtcpReceived, 3); // the empty punch RR, then two real RRs
  equal(counters.sessionsDropped.teardown, 1);
  equal(counters.requests.GET_PARAMETER, 2);
});

Deno.test("replayed ffmpeg over TCP and GStreamer over UDP and TCP", () => {
  const table: [string, number[], string[]][] = [
    ["ffmpegTcp", [200, 401, 200, 200, 200, 200, 200, 200], ["play", "drop"]],
    ["gstUdp", [200, 401, 200, 200, 200, 200, 200, 200], ["play", "pause", "drop"]],
    ["gstTcp", [200, 401, 200, 200, 200, 200, 200], ["play", "pause", "drop"]],
  ];
  for (const [name, expected, actionTypes] of table) {
    const state = server({ auth: auth([CAPTURE_NONCE]) });
    const { statuses, actions } = replay(state, CAPTURES[name]);
    deepStrictEqual(statuses, [expected], name);
    deepStrictEqual(actions.map((a) => a.type), actionTypes, name);
    const play = actions[0];
    ok(play.type === "play");
    if (name.endsWith("Tcp")) {
      deepStrictEqual(play.transport, {
        lower: "tcp",
        connectionId: 1,
        rtpChannel: 0,
        rtcpChannel: 1,
      });
    }
  }
});

Deno.test("GStreamer's interleaved RTCP keeps its TCP session alive and is summarised", () => {
  const state = server({ auth: auth([CAPTURE_NONCE]), sessionTimeoutMs: 1000 });
  const capture = CAPTURES.gstTcp;
  const client = new Client(state);
  // Everything up to PLAY, then only RTCP for 10 s: the session must survive on RTCP alone.
  const segments = capture.connections[0];
  const playAt = segments.findIndex((s) => "request" in s && s.request.startsWith("PLAY "));
  let sessionId = "";
  for (const segment of segments.slice(0, playAt + 1)) {
    ok("request" in segment);
    const request = sessionId === ""
      ? segment.request
      : segment.request.replace(`Session: ${CAPTURE_SESSION}`, `Session: ${sessionId}`);
    for (const response of responsesOf(client.write(request))) {
      sessionId = header(response, "Session")?.split(";")[0] ?? sessionId;
    }
  }
  const rtcp = segments.find((s) => "interleavedHex" in s);
  ok(rtcp && "interleavedHex" in rtcp);
  for (let t = 500; t <= 10_000; t += 500) {
    client.write(fromHex(rtcp.interleavedHex), t);
    deepStrictEqual(state.tick(t), []);
  }
  const [info] = state.sessions();
  equal(info.id, sessionId);
  equal(info.state, "playing");
  equal(info.reception?.cumulativeLost, -1);
  equal(info.reception?.fractionLost, 0);
  equal(info.receiverReports, 20);
  equal(state.counters.rtcpReceived, 20);
  // Silence: dropped just after the timeout, not before.
  deepStrictEqual(state.tick(11_000), []);
  deepStrictEqual(state.tick(11_001), [{ type: "drop", sessionId, reason: "timeout" }]);
});

Deno.test("replayed stale nonces: ffmpeg switches nonce, GStreamer retries at once", () => {
  const table: [string, number[]][] = [
    ["ffmpegStale", [200, 401, 200, 200, 200, 401, 200, 200]],
    ["gstStaleUdp", [200, 401, 200, 200, 200, 401, 200, 200, 200]],
  ];
  for (const [name, expected] of table) {
    const state = server({
      auth: auth([CAPTURE_NONCE, CAPTURE_STALE_NONCE], { nonceIdleMs: 10_000 }),
    });
    // The sixth request (the first keep-alive) comes 20 s after the fifth.
    const { statuses, responses } = replay(state, CAPTURES[name], (i) => i < 5 ? i : 20_000 + i);
    deepStrictEqual(statuses, [expected], name);
    equal(
      header(responses[5], "WWW-Authenticate"),
      `Digest realm="udpcam", nonce="${CAPTURE_STALE_NONCE}", algorithm=MD5, qop="auth", stale=true`,
    );
    equal(state.sessions().length, 0, `${name}: torn down`);
    equal(state.counters.sessionsDropped.teardown, 1);
  }
});

Deno.test("replayed VLC (Debian build, no live555): SAT>IP SETUP and RealRTSP OPTIONS", () => {
  // With authentication: the SETUP is challenged, the OPTIONS answered.
  const guarded = replay(server({ auth: auth([CAPTURE_NONCE]) }), CAPTURES.vlcDigest);
  deepStrictEqual(guarded.statuses, [[401], [200]]);
  // Without: SETUP on the presentation URL is 459; PLAY on /stream=0 (not under our path) 404;
  // its OPTIONS keep-alives are answered. CSeq 0 is a valid CSeq.
  const open = replay(server(), CAPTURES.vlcNoAuth);
  equal(open.statuses.length, 1);
  const [first, second, ...rest] = open.statuses[0];
  deepStrictEqual([first, second], [459, 404]);
  ok(rest.length > 3 && rest.every((status) => status === 200), JSON.stringify(rest));
  equal(open.responses[0].headers[0][1], "0");
});

Deno.test("replayed Basic from ffmpeg and GStreamer", () => {
  for (const name of ["ffmpegBasic", "gstBasic"]) {
    const state = server({ auth: auth([], { basic: true, digest: false }) });
    const { statuses, responses } = replay(state, CAPTURES[name]);
    deepStrictEqual(statuses[0].slice(0, 3), [200, 401, 200], name);
    equal(header(responses[1], "WWW-Authenticate"), 'Basic realm="udpcam"');
  }
});

Deno.test("status codes: one table, one fresh server per row", () => {
  const big = "x".repeat(2000);
  const table: [string, (c: Client) => Response, number, [string, string][]][] = [
    ["OPTIONS on any URL", (c) => c.ask("OPTIONS", "*").response, 200, [[
      "Public",
      "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER",
    ]]],
    ["DESCRIBE", (c) => c.ask("DESCRIBE", URL).response, 200, [["Content-Base", `${URL}/`]]],
    ["DESCRIBE, trailing slash", (c) => c.ask("DESCRIBE", `${URL}/`).response, 200, []],
    [
      "DESCRIBE, credentials in the URL are not echoed",
      (c) => c.ask("DESCRIBE", "rtsp://u:p@127.0.0.1:8554/udpcam").response,
      200,
      [["Content-Base", `${URL}/`]],
    ],
    ["wrong path", (c) => c.ask("DESCRIBE", "rtsp://127.0.0.1:8554/other").response, 404, []],
    ["path prefix only", (c) => c.ask("DESCRIBE", "rtsp://127.0.0.1/udpcamx").response, 404, []],
    ["not an rtsp URL", (c) => c.ask("DESCRIBE", "http://127.0.0.1/udpcam").response, 404, []],
    ["bad percent escape", (c) => c.ask("DESCRIBE", "rtsp://h/%zz").response, 404, []],
    ["URI over the cap", (c) => c.ask("DESCRIBE", `${URL}/${big}`).response, 414, []],
    ["unknown method", (c) => c.ask("FOO", URL).response, 501, []],
    ["methods are case-sensitive", (c) => c.ask("options", URL).response, 501, []],
    ["RECORD", (c) => c.ask("RECORD", URL).response, 405, [[
      "Allow",
      "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER",
    ]]],
    ["ANNOUNCE", (c) => c.ask("ANNOUNCE", URL).response, 405, []],
    ["Require", (c) => c.ask("DESCRIBE", URL, { Require: "play.basic" }).response, 551, [[
      "Unsupported",
      "play.basic",
    ]]],
    [
      "SETUP on the aggregate",
      (c) => c.ask("SETUP", URL, { Transport: "RTP/AVP/TCP" }).response,
      459,
      [],
    ],
    ["SETUP without Transport", (c) => c.ask("SETUP", TRACK).response, 461, []],
    [
      "SETUP multicast",
      (c) => c.ask("SETUP", TRACK, { Transport: "RTP/AVP;multicast" }).response,
      461,
      [],
    ],
    [
      "SETUP RECORD",
      (c) => c.ask("SETUP", TRACK, { Transport: "RTP/AVP/TCP;unicast;mode=record" }).response,
      461,
      [],
    ],
    [
      "SETUP unknown session",
      (c) =>
        c.ask("SETUP", TRACK, { Transport: "RTP/AVP/TCP", Session: "0123456789abcdef" }).response,
      454,
      [],
    ],
    ["PLAY without session", (c) => c.ask("PLAY", URL).response, 454, []],
    ["PLAY unknown session", (c) => c.ask("PLAY", URL, { Session: "nope" }).response, 454, []],
    ["PAUSE without session", (c) => c.ask("PAUSE", URL).response, 454, []],
    ["TEARDOWN without session", (c) => c.ask("TEARDOWN", URL).response, 454, []],
    ["GET_PARAMETER ping", (c) => c.ask("GET_PARAMETER", URL).response, 200, []],
    [
      "GET_PARAMETER asking for a parameter",
      (c) =>
        c.ask("GET_PARAMETER", URL, { "Content-Type": "text/parameters" }, 0, "packets\r\n")
          .response,
      451,
      [],
    ],
    ["SET_PARAMETER empty", (c) => c.ask("SET_PARAMETER", URL).response, 200, []],
    [
      "SET_PARAMETER with a body",
      (c) =>
        c.ask("SET_PARAMETER", URL, { "Content-Type": "text/parameters" }, 0, "a: 1\r\n")
          .response,
      451,
      [],
    ],
    [
      "SETUP while playing",
      (c) => {
        const session = setUp(c);
        equal(c.ask("PLAY", URL, { Session: session }).response.status, 200);
        return c.ask("SETUP", TRACK, { Transport: "RTP/AVP/TCP", Session: session }).response;
      },
      455,
      [],
    ],
    [
      "SETUP again while ready: a new transport",
      (c) => {
        const session = setUp(c, "RTP/AVP;unicast;client_port=5000-5001");
        return c.ask("SETUP", TRACK, {
          Transport: "RTP/AVP;unicast;client_port=6000",
          Session: session,
        })
          .response;
      },
      200,
      [[
        "Transport",
        "RTP/AVP;unicast;client_port=6000-6001;server_port=18600-18601;ssrc=11223344",
      ]],
    ],
  ];
  for (const [name, run, status, headers] of table) {
    const response = run(new Client(server()));
    equal(response.status, status, `${name}: ${JSON.stringify(response)}`);
    equal(header(response, "Server"), "udpcam", name);
    for (const [headerName, value] of headers) equal(header(response, headerName), value, name);
  }
});

Deno.test("CSeq missing, repeated or not a number: 400 without a CSeq", () => {
  for (
    const head of [
      "OPTIONS * RTSP/1.0\r\n\r\n",
      "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nCSeq: 2\r\n\r\n",
      "OPTIONS * RTSP/1.0\r\nCSeq: one\r\n\r\n",
      "OPTIONS * RTSP/1.0\r\nCSeq: 12345678901\r\n\r\n",
    ]
  ) {
    const client = new Client(server());
    const [response] = responsesOf(client.write(head));
    equal(response.status, 400, head);
    equal(header(response, "CSeq"), null);
    // The connection stays usable: the stream is still framed.
    equal(client.ask("OPTIONS", "*").response.status, 200);
  }
});

Deno.test("unparseable streams: the parser's status, then close", () => {
  const table: [string, string, number][] = [
    ["garbage request line", "HELLO\r\n\r\n", 400],
    ["RTSP/2.0", "OPTIONS * RTSP/2.0\r\nCSeq: 5\r\n\r\n", 505],
    ["folded header", "OPTIONS * RTSP/1.0\r\nCSeq: 5\r\nX: a\r\n b\r\n\r\n", 400],
    ["body too large", "SET_PARAMETER * RTSP/1.0\r\nCSeq: 5\r\nContent-Length: 99999\r\n\r\n", 413],
    [
      "too many headers",
      "OPTIONS * RTSP/1.0\r\n" + "X: 1\r\n".repeat(70) + "\r\n",
      431,
    ],
  ];
  for (const [name, input, status] of table) {
    const state = server();
    const client = new Client(state);
    const actions = client.write(input + "OPTIONS * RTSP/1.0\r\nCSeq: 6\r\n\r\n");
    deepStrictEqual(actions.map((a) => a.type), ["send", "close"], name);
    const [response] = responsesOf(actions);
    equal(response.status, status, name);
    if (status === 505 || status === 413) equal(header(response, "CSeq"), "5", name);
    deepStrictEqual(
      client.write("OPTIONS * RTSP/1.0\r\nCSeq: 7\r\n\r\n"),
      [],
      "ignored after close",
    );
    equal(state.counters.closes.parseError, 1);
  }
});

Deno.test("authentication: 401 until right, a wrong password closes after the cap", () => {
  const state = server({ auth: auth([CAPTURE_NONCE]), maxAuthFailuresPerConnection: 3 });
  const client = new Client(state);
  equal(client.ask("OPTIONS", URL).response.status, 200); // no credentials needed
  const first = client.ask("DESCRIBE", URL).response;
  equal(first.status, 401);
  ok(header(first, "WWW-Authenticate")?.startsWith('Digest realm="udpcam", nonce="'));
  const wrong = (nowMs: number) =>
    client.ask("DESCRIBE", URL, {
      Authorization: `Digest username="udpcam", realm="udpcam", nonce="${CAPTURE_NONCE}", ` +
        `uri="${URL}", response="00000000000000000000000000000000"`,
    }, nowMs);
  equal(wrong(1).response.status, 401);
  equal(wrong(2).response.status, 401);
  const third = wrong(3);
  equal(third.response.status, 401);
  deepStrictEqual(third.actions, [{
    type: "close",
    connectionId: client.id,
    reason: "authFailures",
  }]);
  equal(state.counters.responses[401], 4);
});

Deno.test("sessions: PLAY gives RTP-Info and play, PAUSE pause, keep-alives, timeouts", () => {
  const state = server({ sessionTimeoutMs: 30_000 });
  state.setStreamPosition({ sequence: 0x1_0007, rtpTime: 90_000 });
  const client = new Client(state);
  const session = setUp(client, "RTP/AVP/TCP;unicast");
  const play = client.ask("PLAY", `${URL}/`, { Session: session, Range: "npt=0-" });
  equal(header(play.response, "RTP-Info"), `url=${TRACK};seq=7;rtptime=90000`);
  equal(header(play.response, "Range"), "npt=0.000-");
  equal(header(play.response, "Session"), `${session};timeout=30`);
  deepStrictEqual(play.actions, [{
    type: "play",
    sessionId: session,
    transport: { lower: "tcp", connectionId: client.id, rtpChannel: 0, rtcpChannel: 1 },
  }]);
  // A second PLAY while playing: 200, nothing new to do.
  deepStrictEqual(client.ask("PLAY", URL, { Session: session }).actions, []);
  deepStrictEqual(client.ask("PAUSE", URL, { Session: session }).actions, [{
    type: "pause",
    sessionId: session,
  }]);
  deepStrictEqual(client.ask("PAUSE", URL, { Session: session }).actions, []);
  equal(client.ask("PLAY", TRACK, { Session: session }).actions[0].type, "play");
  // Keep-alives every 20 s keep it for a minute; then silence ends it.
  for (const t of [20_000, 40_000, 60_000]) {
    equal(client.ask("GET_PARAMETER", URL, { Session: session }, t).response.status, 200);
    deepStrictEqual(state.tick(t + 25_000), []);
  }
  deepStrictEqual(state.tick(90_001), [{ type: "drop", sessionId: session, reason: "timeout" }]);
  equal(client.ask("PLAY", URL, { Session: session }, 90_002).response.status, 454);
});

Deno.test("OPTIONS with a Session header keeps the session alive (VLC's SAT>IP keep-alive)", () => {
  const state = server({ sessionTimeoutMs: 1000 });
  const client = new Client(state);
  const session = setUp(client);
  for (let t = 800; t <= 8000; t += 800) {
    equal(
      header(client.ask("OPTIONS", URL, { Session: session }, t).response, "Session"),
      `${session};timeout=1`,
    );
    deepStrictEqual(state.tick(t), []);
  }
});

Deno.test("UDP receiver reports keep a session alive; a BYE ends it", () => {
  const state = server({ sessionTimeoutMs: 1000 });
  const client = new Client(state);
  const session = setUp(client, "RTP/AVP;unicast;client_port=17520-17521");
  const [, report] = CAPTURES.ffmpegUdp.rtcpPortDatagrams.map(fromHex);
  for (let t = 500; t <= 5000; t += 500) {
    deepStrictEqual(state.receiveUdpRtcp(HOST, 17521, report, t), []);
    deepStrictEqual(state.tick(t), []);
  }
  // From another port or host: not this session's.
  state.receiveUdpRtcp(HOST, 17520, report, 5000);
  state.receiveUdpRtcp("127.0.0.2", 17521, report, 5000);
  equal(state.counters.rtcpUnmatched, 2);
  state.receiveUdpRtcp(HOST, 17521, Uint8Array.of(0x80), 5000);
  equal(state.counters.rtcpInvalid, 1);
  const bye = Uint8Array.of(
    0x80,
    0xc9,
    0x00,
    0x01,
    0x11,
    0x22,
    0x33,
    0x45,
    0x81,
    0xcb,
    0x00,
    0x01,
    0x11,
    0x22,
    0x33,
    0x45,
  );
  deepStrictEqual(state.receiveUdpRtcp(HOST, 17521, bye, 5100), [{
    type: "drop",
    sessionId: session,
    reason: "bye",
  }]);
  equal(state.sessions().length, 0);
});

Deno.test("TCP channels: requested pairs honoured, taken pairs replaced, sessions die with their connection", () => {
  const state = server();
  const client = new Client(state);
  const transportOf = (transport: string) =>
    header(client.ask("SETUP", TRACK, { Transport: transport }).response, "Transport");
  equal(
    transportOf("RTP/AVP/TCP;unicast;interleaved=4-5"),
    "RTP/AVP/TCP;unicast;interleaved=4-5;ssrc=11223344",
  );
  equal(
    transportOf("RTP/AVP/TCP;unicast;interleaved=4-5"),
    "RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=11223344",
  );
  equal(transportOf("RTP/AVP/TCP;unicast"), "RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=11223344");
  equal(state.sessions().length, 3);
  const other = new Client(state);
  setUp(other, "RTP/AVP;unicast;client_port=5000-5001");
  const dropped = state.closed(client.id);
  deepStrictEqual(dropped.map((a) => a.type === "drop" && a.reason), [
    "connectionClosed",
    "connectionClosed",
    "connectionClosed",
  ]);
  equal(state.sessions().length, 1);
  equal(state.connectionCount, 1);
});

Deno.test("caps: connections (503), sessions (453) overall and per connection", () => {
  const state = server({ maxConnections: 2, maxSessions: 3, maxSessionsPerConnection: 2 });
  const a = new Client(state);
  const b = new Client(state);
  const refused = new Client(state);
  deepStrictEqual(refused.actions.map((x) => x.type), ["send", "close"]);
  equal(responsesOf(refused.actions)[0].status, 503);
  deepStrictEqual(refused.write("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n"), []);
  setUp(a);
  setUp(a);
  equal(a.ask("SETUP", TRACK, { Transport: "RTP/AVP/TCP" }).response.status, 453); // per connection
  setUp(b);
  equal(b.ask("SETUP", TRACK, { Transport: "RTP/AVP/TCP" }).response.status, 453); // overall
  equal(state.counters.connectionsRefused, 1);
  equal(state.sessions().length, 3);
});

Deno.test("UDP refused when the server has no UDP ports; TCP still served", () => {
  const client = new Client(server({ udpPorts: null }));
  equal(
    client.ask("SETUP", TRACK, { Transport: "RTP/AVP;unicast;client_port=5000-5001" }).response
      .status,
    461,
  );
  equal(
    client.ask("SETUP", TRACK, {
      Transport: "RTP/AVP;unicast;client_port=5000-5001,RTP/AVP/TCP;unicast",
    })
      .response.status,
    200,
  );
});

Deno.test("request timeout (408) and idle connections close on tick", () => {
  const state = server({ requestTimeoutMs: 1000, idleConnectionMs: 5000 });
  const slow = new Client(state);
  slow.write("OPTIONS * RTSP/1.0\r\nCS", 0);
  slow.write("eq", 900); // still incomplete: the clock runs from its first byte
  const timedOut = state.tick(1001);
  deepStrictEqual(timedOut.map((a) => a.type), ["send", "close"]);
  equal(responsesOf(timedOut)[0].status, 408);
  const idle = new Client(state, 0);
  deepStrictEqual(state.tick(5000), []);
  deepStrictEqual(state.tick(5001), [{ type: "close", connectionId: idle.id, reason: "idle" }]);
  // A connection with a session is not idle while the session lives.
  const watching = new Client(state, 10_000);
  setUp(watching, "RTP/AVP/TCP", 10_000);
  deepStrictEqual(state.tick(16_000), []);
});

Deno.test("Connection: close is honoured after the reply", () => {
  const client = new Client(server());
  const { actions } = client.ask("OPTIONS", "*", { Connection: "close" });
  deepStrictEqual(actions, [{ type: "close", connectionId: client.id, reason: "clientAsked" }]);
});

Deno.test("DESCRIBE follows setMedia; session ids come from the random source", () => {
  const state = server({
    random: randomFrom(["0011223344556677"]),
    media: { framesPerSecond: 25 },
  });
  const client = new Client(state);
  const before = client.ask("DESCRIBE", URL).response.body;
  ok(before.includes("a=framerate:25\r\n"));
  ok(!before.includes("x-dimensions"));
  ok(before.includes("o=- 1 1 IN IP4 127.0.0.1\r\n"));
  state.setMedia({ framesPerSecond: 30, widthPx: 640, heightPx: 480 });
  const after = client.ask("DESCRIBE", URL).response.body;
  ok(after.includes("o=- 1 2 IN IP4 127.0.0.1\r\n"), "version bumped");
  ok(after.includes("a=x-dimensions:640,480\r\n"));
  equal(setUp(client), "0011223344556677");
  // A random source that repeats itself cannot make a second id: 503, nothing created.
  const stuck = server({ random: () => new Uint8Array(8) });
  const c = new Client(stuck);
  setUp(c);
  equal(c.ask("SETUP", TRACK, { Transport: "RTP/AVP/TCP" }).response.status, 503);
  equal(stuck.sessions().length, 1);
});

Deno.test("a session can be controlled from another connection, but not re-set-up there", () => {
  const state = server();
  const owner = new Client(state);
  const session = setUp(owner);
  const other = new Client(state);
  equal(
    other.ask("SETUP", TRACK, { Transport: "RTP/AVP/TCP", Session: session }).response.status,
    455,
  );
  equal(other.ask("PLAY", URL, { Session: session }).actions[0].type, "play");
  equal(other.ask("TEARDOWN", URL, { Session: session }).actions[0].type, "drop");
});

Deno.test("fuzz: random traffic never throws, stays within caps, and the counters add up", () => {
  const prng = new Prng(0x2326_2435);
  const options = {
    maxConnections: 4,
    maxSessions: 5,
    maxSessionsPerConnection: 3,
    sessionTimeoutMs: 2000,
    requestTimeoutMs: 500,
    idleConnectionMs: 3000,
    parser: { maxHeadBytes: 2048, maxBodyBytes: 256, maxInterleavedBytes: 256 },
  };
  const seeds = Object.values(CAPTURES).flatMap((capture) =>
    capture.connections.flatMap((segments) =>
      segments.map((s) => "request" in s ? s.request : fromHex(s.interleavedHex))
    )
  );
  const totals = { created: 0, teardowns: 0, timeouts: 0, plays: 0 };
  for (let round = 0; round < 6; round++) {
    const state = server({ ...options, auth: round % 2 === 0 ? auth([CAPTURE_NONCE]) : null });
    const open = new Set<number>();
    const live = new Set<string>();
    let nowMs = 0;
    let sent = 0;
    const closing: number[] = [];
    let closeActions = 0;
    const check = (actions: RtspAction[]) => {
      for (const action of actions) {
        if (action.type === "send") {
          sent++;
          // A SETUP reply creates (or re-sets-up) a session: it is live from here on.
          const response = parseResponse(action.bytes);
          const session = header(response, "Session");
          if (response.status === 200 && header(response, "Transport") !== null && session) {
            live.add(session.split(";")[0]);
          }
        } else if (action.type === "play") ok(live.has(action.sessionId), "play of a live session");
        else if (action.type === "drop") {
          ok(live.delete(action.sessionId), "drop of a live session");
        } else if (action.type === "close") {
          closeActions++;
          closing.push(action.connectionId);
        }
      }
      // The adapter closes the socket and reports it, as it must after a close action.
      for (let id = closing.pop(); id !== undefined; id = closing.pop()) {
        open.delete(id);
        check(state.closed(id));
      }
    };
    for (let step = 0; step < 1500; step++) {
      nowMs += prng.next() < 0.01 ? prng.int(0, 3000) : prng.int(0, 40);
      const choice = prng.int(0, 99);
      if (choice < 5 || open.size === 0) {
        const opened = state.open({ peerHost: `10.0.0.${prng.int(1, 3)}`, localHost: HOST }, nowMs);
        if (opened.actions.length === 0) open.add(opened.connectionId);
        check(opened.actions);
      } else if (choice < 8) {
        const id = [...open][prng.int(0, open.size - 1)];
        open.delete(id);
        check(state.closed(id));
      } else if (choice < 12) {
        check(state.tick(nowMs));
      } else if (choice < 15) {
        check(
          state.receiveUdpRtcp(
            `10.0.0.${prng.int(1, 3)}`,
            prng.int(17_000, 60_000),
            prng.bytes(prng.int(0, 64)),
            nowMs,
          ),
        );
      } else {
        const id = [...open][prng.int(0, open.size - 1)];
        let seed = seeds[prng.int(0, seeds.length - 1)];
        if (typeof seed === "string") {
          // Name a live session (or a dead one) so PLAY, PAUSE and TEARDOWN do something.
          const ids = [...live, "0123456789abcdef"];
          seed = seed.replace(
            `Session: ${CAPTURE_SESSION}`,
            `Session: ${ids[prng.int(0, ids.length - 1)]}`,
          );
        }
        let bytes = typeof seed === "string" ? text.encode(seed) : seed.slice();
        if (prng.next() < 0.25) {
          for (let flips = prng.int(1, 4); flips > 0; flips--) {
            bytes[prng.int(0, bytes.length - 1)] =
              [0x0d, 0x0a, 0x20, 0x24, 0x3a, prng.int(0, 255)][prng.int(0, 5)];
          }
        }
        if (prng.next() < 0.1) bytes = bytes.subarray(0, prng.int(0, bytes.length));
        check(state.receive(id, bytes, nowMs));
      }
      equal(state.sessions().length <= options.maxSessions, true);
      equal(state.connectionCount <= options.maxConnections, true);
      ok(state.pendingBytes <= options.maxConnections * (2048 + 2 + 256));
    }
    deepStrictEqual(new Set(state.sessions().map((info) => info.id)), live, "the model agrees");
    const c = state.counters;
    const dropped = SESSION_DROP_REASONS.reduce((n, r) => n + c.sessionsDropped[r], 0);
    equal(
      c.sessionsCreated,
      dropped + state.sessions().length,
      "sessions created = dropped + live",
    );
    equal(c.connectionsOpened, c.connectionsClosed + state.connectionCount, "connections");
    const responses = Object.values(c.responses).reduce((n, v) => n + v, 0);
    const requests = Object.values(c.requests).reduce((n, v) => n + v, 0);
    const parseErrors = Object.values(c.parseErrors).reduce((n, v) => n + v, 0);
    // Every request is answered once; parse errors, refused connections and timeouts add one each.
    equal(responses, requests + parseErrors + c.connectionsRefused + c.closes.requestTimeout);
    equal(sent, responses, "one send per response");
    const closes = CLOSE_REASONS.reduce((n, r) => n + c.closes[r], 0);
    equal(closes, closeActions, "one close action per counted close");
    ok(requests > 100, `requests ${requests}`);
    totals.created += c.sessionsCreated;
    totals.teardowns += c.sessionsDropped.teardown;
    totals.timeouts += c.sessionsDropped.timeout;
    totals.plays += c.requests.PLAY ?? 0;
  }
  // The traffic reached every state: sessions made, played, torn down and timed out.
  ok(
    totals.created > 20 && totals.plays > 20 && totals.teardowns > 0 && totals.timeouts > 0,
    JSON.stringify(totals),
  );
});
