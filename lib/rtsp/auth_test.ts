import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import {
  constantTimeEqual,
  digestResponse,
  md5Hex,
  parseAuthParams,
  RTSP_AUTH_FAILURES,
  RtspAuthenticator,
  type RtspAuthOptions,
  type RtspAuthResult,
} from "./auth.ts";
import { headerValue, RtspRequestParser } from "./request.ts";
import {
  type Capture,
  CAPTURE_NONCE,
  CAPTURE_STALE_NONCE,
  CAPTURES,
} from "../../tests/support/captured_rtsp_clients.ts";
import { Prng } from "../netsim/mod.ts";

const USER = { username: "udpcam", password: "s3cret" };
const HOST = "127.0.0.1";

function bytesOfHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (byte) => parseInt(byte, 16));
}

/** Randomness that hands out `nonces` (hex) first, then seeded bytes. */
function randomFrom(nonces: string[], seed = 1): (bytes: number) => Uint8Array {
  const queue = nonces.map(bytesOfHex);
  const prng = new Prng(seed);
  return (bytes) => queue.shift() ?? prng.bytes(bytes);
}

function authenticator(options: Partial<RtspAuthOptions> = {}, nonces = [CAPTURE_NONCE]) {
  return new RtspAuthenticator({ users: [USER], random: randomFrom(nonces), ...options });
}

/** The requests of a capture's first connection that carry an Authorization header. */
function authorizedRequests(capture: Capture) {
  return capture.connections[0].flatMap((segment) => {
    if (!("request" in segment)) return [];
    const [item] = new RtspRequestParser().push(new TextEncoder().encode(segment.request));
    if (item?.type !== "request") throw new Error("capture does not parse");
    const authorization = headerValue(item.request, "authorization");
    if (authorization === null) return [];
    return [{ method: item.request.method, uri: item.request.uri, authorization }];
  });
}

Deno.test("MD5 (node:crypto) passes the RFC 1321 test suite", () => {
  const suite: [string, string][] = [
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    [
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
      "d174ab98d277d9f5a5611c2c9f419d9f",
    ],
    [
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
      "57edf4a22be3c955ac49da2e2107b67a",
    ],
  ];
  for (const [input, digest] of suite) equal(md5Hex(input), digest, JSON.stringify(input));
});

Deno.test("Digest response: the RFC 2617 §3.5 example, and its legacy form", () => {
  const inputs = {
    username: "Mufasa",
    realm: "testrealm@host.com",
    password: "Circle Of Life",
    method: "GET",
    uri: "/dir/index.html",
    nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
  };
  equal(
    digestResponse({ ...inputs, qop: { qop: "auth", nc: "00000001", cnonce: "0a4f113b" } }),
    "6629fae49393a05397450978507c4ef1",
  );
  // RFC 2069 form: MD5(HA1:nonce:HA2).
  const ha1 = md5Hex("Mufasa:testrealm@host.com:Circle Of Life");
  equal(digestResponse(inputs), md5Hex(`${ha1}:${inputs.nonce}:${md5Hex("GET:/dir/index.html")}`));
});

Deno.test("real clients' Digest answers verify: ffmpeg with qop and nc, GStreamer legacy", () => {
  const table: [string, number, boolean][] = [
    // capture, requests with Authorization, with qop
    ["ffmpegUdp", 6, true],
    ["ffmpegTcp", 6, true],
    ["ffmpegLegacy", 4, false], // challenged without qop: ffmpeg answers legacy too
    ["gstUdp", 6, false], // offered qop="auth", answered without: GStreamer 1.22
    ["gstTcp", 5, false],
  ];
  for (const [name, count, withQop] of table) {
    const auth = authenticator();
    const [challenge] = auth.challenge(HOST, 0, false);
    ok(challenge.includes(`nonce="${CAPTURE_NONCE}"`), challenge);
    const requests = authorizedRequests(CAPTURES[name]);
    equal(requests.length, count, name);
    for (const [i, request] of requests.entries()) {
      equal(request.authorization.includes("qop="), withQop, `${name} #${i}`);
      deepStrictEqual(auth.verify(request, HOST, 1000 * i), {
        ok: true,
        username: "udpcam",
        scheme: "digest",
      }, `${name} #${i}: ${request.method}`);
    }
    equal(auth.counters.accepted, count);
  }
});

Deno.test("real clients' answers after stale=true verify with the new nonce", () => {
  for (const name of ["ffmpegStale", "gstStaleUdp"]) {
    const auth = authenticator({ nonceIdleMs: 60_000 }, [CAPTURE_NONCE, CAPTURE_STALE_NONCE]);
    auth.challenge(HOST, 0, false);
    const requests = authorizedRequests(CAPTURES[name]);
    const firstStale = requests.findIndex((r) => r.authorization.includes(CAPTURE_STALE_NONCE));
    ok(firstStale > 0, name);
    for (const request of requests.slice(0, firstStale - 1)) ok(auth.verify(request, HOST, 1).ok);
    // The keep-alive the capture server refused: here the nonce has been idle past its limit.
    deepStrictEqual(auth.verify(requests[firstStale - 1], HOST, 70_000), {
      ok: false,
      reason: "staleNonce",
      stale: true,
    });
    const [challenge] = auth.challenge(HOST, 70_000, true);
    ok(challenge.endsWith(`nonce="${CAPTURE_STALE_NONCE}", algorithm=MD5, qop="auth", stale=true`));
    for (const request of requests.slice(firstStale)) {
      ok(auth.verify(request, HOST, 70_001).ok, `${name}: ${request.method}`);
    }
    equal(auth.counters.noncesExpired, 1);
  }
});

Deno.test("Basic from ffmpeg and GStreamer, only when Basic is offered", () => {
  for (const name of ["ffmpegBasic", "gstBasic"]) {
    const [request] = authorizedRequests(CAPTURES[name]);
    equal(request.authorization, "Basic dWRwY2FtOnMzY3JldA==");
    deepStrictEqual(authenticator({ basic: true }).verify(request, HOST, 0), {
      ok: true,
      username: "udpcam",
      scheme: "basic",
    });
    deepStrictEqual(authenticator().verify(request, HOST, 0), {
      ok: false,
      reason: "scheme",
      stale: false,
    });
  }
  const basicOnly = authenticator({ basic: true, digest: false });
  deepStrictEqual(basicOnly.challenge(HOST, 0, false), ['Basic realm="udpcam"']);
  equal(basicOnly.noncesHeld, 0);
  const both = authenticator({ basic: true });
  const challenges = both.challenge(HOST, 0, false);
  equal(challenges.length, 2);
  ok(challenges[0].startsWith("Digest "), "Digest, the stronger, comes first");
});

Deno.test("refusals: each reason, and stale only when the password was right", () => {
  const uri = "rtsp://127.0.0.1:8554/udpcam";
  const digest = (fields: Record<string, string>, quoted = true) =>
    "Digest " +
    Object.entries(fields).map(([k, v]) => quoted && k !== "nc" ? `${k}="${v}"` : `${k}=${v}`)
      .join(", ");
  const answer = (
    overrides: Partial<Parameters<typeof digestResponse>[0]> = {},
    nc = "00000001",
  ) => {
    const inputs = {
      ...USER,
      realm: "udpcam",
      method: "DESCRIBE",
      uri,
      nonce: CAPTURE_NONCE,
      qop: { qop: "auth", nc, cnonce: "abc" },
      ...overrides,
    };
    return {
      username: inputs.username,
      realm: inputs.realm,
      nonce: inputs.nonce,
      uri: inputs.uri,
      response: digestResponse(inputs),
      qop: "auth",
      nc,
      cnonce: "abc",
    };
  };
  const basic = (text: string) => "Basic " + btoa(text);
  const table: [string, string | null, Partial<RtspAuthOptions>, RtspAuthResult][] = [
    ["no header", null, {}, { ok: false, reason: "missing", stale: false }],
    ["unknown scheme", "Bearer abc", {}, { ok: false, reason: "scheme", stale: false }],
    ["bad base64", "Basic %%%", { basic: true }, { ok: false, reason: "malformed", stale: false }],
    ["no colon", basic("udpcam"), { basic: true }, {
      ok: false,
      reason: "malformed",
      stale: false,
    }],
    ["basic wrong pass", basic("udpcam:nope"), { basic: true }, {
      ok: false,
      reason: "response",
      stale: false,
    }],
    ["basic unknown user", basic("root:s3cret"), { basic: true }, {
      ok: false,
      reason: "user",
      stale: false,
    }],
    ["unterminated quote", 'Digest username="udpcam', {}, {
      ok: false,
      reason: "malformed",
      stale: false,
    }],
    ["no response", 'Digest username="udpcam", nonce="x", uri="u"', {}, {
      ok: false,
      reason: "malformed",
      stale: false,
    }],
    ["other realm", digest({ ...answer(), realm: "other" }), {}, {
      ok: false,
      reason: "realm",
      stale: false,
    }],
    ["MD5-sess", digest({ ...answer(), algorithm: "MD5-sess" }), {}, {
      ok: false,
      reason: "algorithm",
      stale: false,
    }],
    ["SHA-256", digest({ ...answer(), algorithm: "SHA-256" }), {}, {
      ok: false,
      reason: "algorithm",
      stale: false,
    }],
    ["uri of another request", digest(answer({ uri: uri + "/x" })), {}, {
      ok: false,
      reason: "uri",
      stale: false,
    }],
    ["qop auth-int", digest({ ...answer(), qop: "auth-int" }), {}, {
      ok: false,
      reason: "malformed",
      stale: false,
    }],
    ["nc not 8 hex digits", digest({ ...answer(), nc: "1" }), {}, {
      ok: false,
      reason: "malformed",
      stale: false,
    }],
    [
      "legacy refused",
      `Digest username="udpcam", realm="udpcam", nonce="${CAPTURE_NONCE}", uri="${uri}", ` +
      `response="${
        digestResponse({ ...USER, realm: "udpcam", method: "DESCRIBE", uri, nonce: CAPTURE_NONCE })
      }"`,
      { allowLegacyDigest: false },
      { ok: false, reason: "legacy", stale: false },
    ],
    ["unknown user", digest(answer({ username: "root" })), {}, {
      ok: false,
      reason: "user",
      stale: false,
    }],
    ["wrong password", digest(answer({ password: "guess" })), {}, {
      ok: false,
      reason: "response",
      stale: false,
    }],
    ["method of another request", digest(answer({ method: "PLAY" })), {}, {
      ok: false,
      reason: "response",
      stale: false,
    }],
    ["nonce never issued", digest(answer({ nonce: "f".repeat(32) })), {}, {
      ok: false,
      reason: "staleNonce",
      stale: true,
    }],
    ["accepted", digest(answer()), {}, { ok: true, username: "udpcam", scheme: "digest" }],
    [
      "accepted, uppercase response and algorithm",
      digest({ ...answer(), response: answer().response.toUpperCase(), algorithm: "md5" }),
      {},
      { ok: true, username: "udpcam", scheme: "digest" },
    ],
  ];
  for (const [name, authorization, options, expected] of table) {
    const auth = authenticator(options);
    auth.challenge(HOST, 0, false);
    deepStrictEqual(
      auth.verify({ method: "DESCRIBE", uri, authorization }, HOST, 1),
      expected,
      name,
    );
  }
  // Replay: the same nonce count twice, or a lower one, is stale (a new nonce lets a real client
  // go on), and a higher one is fine.
  const auth = authenticator();
  auth.challenge(HOST, 0, false);
  const request = (nc: string) => ({
    method: "DESCRIBE",
    uri,
    authorization: digest(answer({}, nc)),
  });
  ok(auth.verify(request("00000002"), HOST, 1).ok);
  deepStrictEqual(auth.verify(request("00000002"), HOST, 2), {
    ok: false,
    reason: "replay",
    stale: true,
  });
  deepStrictEqual(auth.verify(request("00000001"), HOST, 3), {
    ok: false,
    reason: "replay",
    stale: true,
  });
  ok(auth.verify(request("0000000a"), HOST, 4).ok);
  // The same correct answer from another host: the nonce was not issued there.
  deepStrictEqual(auth.verify(request("0000000b"), "192.0.2.66", 5), {
    ok: false,
    reason: "staleNonce",
    stale: true,
  });
  const counters = auth.counters;
  equal(counters.accepted, 2);
  equal(counters.refused.replay, 2);
  equal(counters.refused.staleNonce, 1);
});

Deno.test("nonces: idle expiry, bounded table, least recently used evicted first", () => {
  const auth = authenticator({ maxNonces: 4, nonceIdleMs: 1000 }, []);
  for (let i = 0; i < 10; i++) auth.challenge(HOST, i, false);
  equal(auth.noncesHeld, 4);
  equal(auth.counters.noncesIssued, 10);
  equal(auth.counters.noncesEvicted, 6);
  // Left: the nonces issued at 6, 7, 8 and 9 ms. At 1005 ms the oldest has been idle 999 ms.
  auth.prune(1005);
  equal(auth.noncesHeld, 4);
  auth.prune(1007.5); // 6 and 7 are now idle longer than 1000 ms
  equal(auth.noncesHeld, 2);
  equal(auth.counters.noncesExpired, 2);
  auth.prune(100_000);
  equal(auth.noncesHeld, 0);
});

Deno.test("a nonce in use stays while its client keeps using it", () => {
  const uri = "rtsp://127.0.0.1:8554/udpcam/";
  const auth = authenticator({ nonceIdleMs: 60_000 });
  auth.challenge(HOST, 0, false);
  for (let i = 1; i <= 20; i++) {
    const nc = i.toString(16).padStart(8, "0");
    const response = digestResponse({
      ...USER,
      realm: "udpcam",
      method: "GET_PARAMETER",
      uri,
      nonce: CAPTURE_NONCE,
      qop: { qop: "auth", nc, cnonce: "c" },
    });
    const authorization = `Digest username="udpcam", realm="udpcam", nonce="${CAPTURE_NONCE}", ` +
      `uri="${uri}", response="${response}", qop=auth, nc=${nc}, cnonce="c"`;
    // A keep-alive every 30 s for 10 minutes: never stale.
    ok(auth.verify({ method: "GET_PARAMETER", uri, authorization }, HOST, i * 30_000).ok, `#${i}`);
    auth.prune(i * 30_000);
  }
  equal(auth.counters.accepted, 20);
});

Deno.test("auth params: quoting, escapes, duplicates and caps", () => {
  deepStrictEqual(
    parseAuthParams(' a=1, B="x, \\"y\\"",c="",  d=tok'),
    new Map([["a", "1"], ["b", 'x, "y"'], ["c", ""], ["d", "tok"]]),
  );
  equal(parseAuthParams("a=1, a=2"), null);
  equal(parseAuthParams('a="open'), null);
  equal(parseAuthParams("a"), null);
  equal(parseAuthParams("a=1 b=2"), null);
  equal(parseAuthParams(Array.from({ length: 33 }, (_, i) => `p${i}=1`).join(",")), null);
  equal(parseAuthParams(Array.from({ length: 32 }, (_, i) => `p${i}=1`).join(","))?.size, 32);
});

Deno.test("constant-time compare and constructor checks", () => {
  ok(constantTimeEqual("abc", "abc"));
  ok(!constantTimeEqual("abc", "abd"));
  ok(!constantTimeEqual("abc", "abcd"));
  const random = () => new Uint8Array(16);
  throws(() => new RtspAuthenticator({ users: [], random }), RangeError);
  throws(() => new RtspAuthenticator({ users: [USER], random, digest: false }), RangeError);
  throws(
    () => new RtspAuthenticator({ users: [{ username: "a:b", password: "" }], random }),
    RangeError,
  );
  throws(() => new RtspAuthenticator({ users: [USER], random, realm: 'a"b' }), RangeError);
});

Deno.test("fuzz: mangled Authorization headers never throw and every verify is counted", () => {
  const prng = new Prng(0x7616);
  const seeds = ["ffmpegUdp", "gstUdp", "ffmpegBasic"].flatMap((name) =>
    authorizedRequests(CAPTURES[name]).map((r) => r.authorization)
  );
  const auth = authenticator({ basic: true, maxNonces: 8 });
  const rounds = 3000;
  for (let i = 0; i < rounds; i++) {
    if (i % 50 === 0) auth.challenge(`10.0.0.${i % 7}`, i, prng.next() < 0.5);
    const chars = [...seeds[prng.int(0, seeds.length - 1)]];
    for (let edits = prng.int(1, 4); edits > 0; edits--) {
      const at = prng.int(0, chars.length);
      const insert = ['"', "\\", ",", "=", " ", "a", String.fromCharCode(prng.int(0, 0xffff))];
      if (prng.next() < 0.5) chars.splice(at, 1);
      else chars.splice(at, 0, insert[prng.int(0, insert.length - 1)]);
    }
    auth.verify(
      { method: "DESCRIBE", uri: "rtsp://127.0.0.1:18554/udpcam", authorization: chars.join("") },
      HOST,
      i,
    );
    ok(auth.noncesHeld <= 8);
  }
  const counters = auth.counters;
  const refused = RTSP_AUTH_FAILURES.reduce((sum, reason) => sum + counters.refused[reason], 0);
  equal(counters.accepted + refused, rounds);
});
