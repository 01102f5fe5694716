import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { rtspStartLines, rtspStatusText, rtspUrls, unfitFrameLine } from "./serve_lines.ts";

const INTERFACES = [
  { address: "127.0.0.1", family: "IPv4" },
  { address: "192.168.1.20", family: "IPv4" },
  { address: "::1", family: "IPv6" },
  { address: "2001:db8::20", family: "IPv6" },
];

Deno.test("rtspUrls: the bound host, or every address for a wildcard; IPv6 bracketed", () => {
  const table: [string, string, string[]][] = [
    ["127.0.0.1", "/udpcam", ["rtsp://127.0.0.1:8554/udpcam"]],
    ["0.0.0.0", "/cam/one", [
      "rtsp://127.0.0.1:8554/cam/one",
      "rtsp://192.168.1.20:8554/cam/one",
    ]],
    ["::", "/udpcam", ["rtsp://[::1]:8554/udpcam", "rtsp://[2001:db8::20]:8554/udpcam"]],
    ["cam.local", "/", ["rtsp://cam.local:8554/"]],
  ];
  for (const [hostname, path, urls] of table) {
    deepStrictEqual(rtspUrls({ hostname, port: 8554 }, path, INTERFACES), urls, hostname);
  }
});

Deno.test("rtspStartLines: one line per URL; a warning only beyond loopback without credentials", () => {
  const url = "rtsp://127.0.0.1:8554/udpcam";
  const table: [string, string, string[], string[]][] = [
    ["127.0.0.1", "loopback, open", [], [
      `udpcam-send: RTSP clients open ${url} (no credentials)`,
    ]],
    ["127.0.0.1", "loopback, one user", ["cam"], [
      `udpcam-send: RTSP clients open ${url} (Digest or Basic, user cam)`,
    ]],
    ["0.0.0.0", "LAN, two users", ["cam", "nvr"], [
      `udpcam-send: RTSP clients open ${url} (Digest or Basic, users cam, nvr)`,
    ]],
    ["0.0.0.0", "LAN, open", [], [
      `udpcam-send: RTSP clients open ${url} (no credentials)`,
      "udpcam-send: warning: anyone who can reach 0.0.0.0:8554 can watch the RTSP stream: no " +
      "credentials are set. Add --rtsp-user NAME:PASSWORD (or --rtsp-user-file FILE), or bind " +
      "127.0.0.1.",
    ]],
  ];
  for (const [hostname, name, usernames, lines] of table) {
    deepStrictEqual(
      rtspStartLines({
        program: "udpcam-send",
        bound: { hostname, port: 8554 },
        urls: [url],
        usernames,
      }),
      lines,
      name,
    );
  }
});

Deno.test("unfitFrameLine: says why, where it is counted, and what to change", () => {
  const passthrough = unfitFrameLine("udpcam-send", "passthrough", {
    reason: "multipleScans",
    detail: "it has 2 scans",
  });
  equal(
    passthrough,
    "udpcam-send: RTSP clients skip the frames RFC 2435 cannot carry (it has 2 scans); they are " +
      "counted in --stats-json under rtsp.counters.frames. Drop --passthrough to have udpcam " +
      "re-encode with the standard tables.",
  );
  const received = unfitFrameLine("udpcam-recv", "received", {
    reason: "huffmanTables",
    detail: "x",
  });
  ok(received.includes("udpcam-send --wire rtp to udpcam-recv --wire rtp"), received);
  const encoded = unfitFrameLine("udpcam-send", "encoded", { reason: "sampling", detail: "x" });
  ok(
    encoded.endsWith(
      "Check that --ffmpeg is a regular ffmpeg build (udpcam asks it for " +
        "-huffman default and yuvj420p).",
    ),
    encoded,
  );
});

Deno.test("rtspStatusText: sessions and frames", () => {
  equal(
    rtspStatusText({ playing: 0, ready: 0, framesSent: 0, framesSkipped: 0 }),
    "RTSP 0 playing, 0 ready, 0 frames sent, 0 skipped",
  );
});
