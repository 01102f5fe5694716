/**
 * The HTTP view of a real receiver under the attacks of issue #19: the token kept out of the log
 * and `ps`, and (below) the Host check and the connection limits. Loopback only; every wait is
 * bounded.
 */

import { deepStrictEqual, doesNotMatch, equal, match, ok } from "node:assert/strict";
import { localInterfaces } from "../lib/io/local_interfaces.ts";
import { launchChromium } from "./support/chromium.ts";
import {
  requireTool,
  startLoopbackReceiver,
  startProgram,
  startTestPatternSender,
  stopProgram,
} from "./support/programs.ts";
import { RECEIVER_PERMISSIONS, UNSTABLE_FLAGS } from "../tools/permissions.ts";

const TOKEN = "t0ken-that-must-not-leak";

/** Starts a headless receiver with `--http 127.0.0.1:0` and `args`; returns it and the view. */
async function receiverWithView(args: string[], env: Record<string, string> = {}) {
  const { receiver } = await startLoopbackReceiver([
    ...["--headless", "--duration", "60", "--http", "127.0.0.1:0", ...args],
  ], { env });
  const line = await receiver.waitForStderr(/browser view at http:\/\/127\.0\.0\.1:\d+\/\S*/);
  const port = Number(/:(\d+)\//.exec(line)![1]);
  return { receiver, port, line };
}

async function status(url: string): Promise<number> {
  const response = await fetch(url);
  await response.body?.cancel();
  return response.status;
}

Deno.test("udpcam-recv: a token from --http-token-file or UDPCAM_HTTP_TOKEN is not in the log or in ps", async () => {
  const dir = await Deno.makeTempDir({ prefix: "udpcam-http-trust-" });
  try {
    await Deno.writeTextFile(`${dir}/token`, `${TOKEN}\n`);
    const runs: [string, string[], Record<string, string>][] = [
      ["file", ["--http-token-file", `${dir}/token`], {}],
      ["environment", [], { UDPCAM_HTTP_TOKEN: TOKEN }],
    ];
    for (const [name, args, env] of runs) {
      const { receiver, port, line } = await receiverWithView(args, env);
      try {
        equal(line, `browser view at http://127.0.0.1:${port}/`, name);
        await receiver.waitForStderr(/the browser view needs \?token=TOKEN/);
        const base = `http://127.0.0.1:${port}`;
        equal(await status(`${base}/stats.json`), 401, name);
        equal(await status(`${base}/stats.json?token=${TOKEN}`), 200, name);
        const cmdline = await Deno.readTextFile(`/proc/${receiver.child.pid}/cmdline`);
        ok(cmdline.includes("--http"), `${name}: not the receiver's command line: ${cmdline}`);
        ok(!cmdline.includes(TOKEN), `${name}: the token is in ps: ${cmdline}`);
      } finally {
        const result = await stopProgram(receiver);
        equal(result.code, 0, result.stderr);
        ok(!result.stderr.includes(TOKEN), `${name}: the token is in the log:\n${result.stderr}`);
        ok(!result.stdout.includes(TOKEN), `${name}: the token is on stdout`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("udpcam-recv --show-token prints the address with the token", async () => {
  const { receiver, port, line } = await receiverWithView([
    ...["--http-token", TOKEN, "--show-token"],
  ]);
  try {
    equal(line, `browser view at http://127.0.0.1:${port}/?token=${TOKEN}`);
  } finally {
    const result = await stopProgram(receiver);
    doesNotMatch(result.stderr, /needs \?token=TOKEN/);
    match(result.stderr, /browser view at/);
  }
});

/** One raw HTTP/1.1 request with exactly `host` as its Host header; the status and body. */
async function rawGet(
  port: number,
  path: string,
  host: string | null,
): Promise<{ status: number; type: string; body: Uint8Array }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const hostLine = host === null ? "" : `Host: ${host}\r\n`;
    await conn.write(
      new TextEncoder().encode(`GET ${path} HTTP/1.1\r\n${hostLine}Connection: close\r\n\r\n`),
    );
    // Bounded: at most 4 MiB or 2,000 reads; the server closes after the response.
    const chunks: Uint8Array[] = [];
    let total = 0;
    const buffer = new Uint8Array(65_536);
    for (let reads = 0; reads < 2000 && total < 4 << 20; reads++) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
      total += n;
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    const text = new TextDecoder("latin1").decode(bytes);
    const headEnd = text.indexOf("\r\n\r\n");
    ok(headEnd > 0, `no response head: ${JSON.stringify(text.slice(0, 200))}`);
    const head = text.slice(0, headEnd);
    return {
      status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]),
      type: /\r\ncontent-type: ([^\r]*)/i.exec(head)?.[1] ?? "",
      body: bytes.subarray(headEnd + 4),
    };
  } finally {
    conn.close();
  }
}

/** Waits (bounded) until the view has a frame to show. */
async function untilFrame(port: number, host: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await rawGet(port, "/frame.jpg", host)).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the receiver never had a frame to show");
}

Deno.test("udpcam-recv --http without a token answers only to this machine's names and addresses (DNS rebinding)", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  // The binaries' permissions: the host name and the interfaces must be readable under them.
  const { receiver, port: udpPort } = await startLoopbackReceiver([
    ...["--headless", "--duration", "60", "--http", "127.0.0.1:0"],
  ], { permissions: [...UNSTABLE_FLAGS, ...RECEIVER_PERMISSIONS] });
  const sender = startTestPatternSender(udpPort, ["--size", "320x240", "--duration", "60"]);
  try {
    const line = await receiver.waitForStderr(/browser view at http:\/\/127\.0\.0\.1:\d+\//);
    const port = Number(/:(\d+)\//.exec(line)![1]);
    await untilFrame(port, `127.0.0.1:${port}`);
    const others = localInterfaces().map((i) => i.family === "IPv6" ? `[${i.address}]` : i.address)
      .filter((address) => !/^\[fe80:/i.test(address));
    const allowed = [
      `127.0.0.1:${port}`,
      "127.0.0.1",
      `localhost:${port}`,
      `LocalHost:${port}`,
      `localhost.:${port}`,
      `[::1]:${port}`,
      `[0:0:0:0:0:0:0:1]:${port}`,
      `${Deno.hostname()}:${port}`,
      ...others.map((address) => `${address}:${port}`),
      // HTTP/1.0 clients may leave Host out; no browser does, so no rebinding page can.
    ];
    for (const host of allowed) {
      const response = await rawGet(port, "/frame.jpg", host);
      equal(response.status, 200, host);
      equal(response.type, "image/jpeg", host);
      deepStrictEqual([...response.body.subarray(0, 2)], [0xff, 0xd8], host);
    }
    const refused = [
      `attacker.example:${port}`,
      "attacker.example",
      `127.0.0.1.attacker.example:${port}`,
      `localhost.attacker.example:${port}`,
      `${Deno.hostname()}.attacker.example:${port}`,
      `attacker@127.0.0.1:${port}`,
      `127.0.0.1:${port}/x`,
      `[::1`,
      "",
    ];
    for (const host of refused) {
      for (const path of ["/frame.jpg", "/stream.mjpeg", "/", "/stats.json"]) {
        const response = await rawGet(port, path, host);
        ok(
          response.status === 403 || response.status === 400,
          `${host} ${path}: ${response.status}`,
        );
        const text = new TextDecoder().decode(response.body);
        ok(!text.includes("\xff\xd8"), `${host} ${path}: a JPEG was served`);
        if (response.status === 403) {
          match(
            text,
            /^Cannot serve this request: its Host is not a name or address of this receiver/,
          );
        }
      }
    }
    const stats = JSON.parse(
      new TextDecoder().decode((await rawGet(port, "/stats.json", `localhost:${port}`)).body),
    );
    ok(stats.http.hostRefused >= 28, JSON.stringify(stats.http));
  } finally {
    await stopProgram(sender);
    const result = await stopProgram(receiver);
    equal(result.code, 0, result.stderr);
  }
});

Deno.test("udpcam-recv --http with a token takes any Host: the token is what a rebinding page lacks", async () => {
  const { receiver, port } = await receiverWithView(["--http-token", TOKEN]);
  try {
    equal((await rawGet(port, `/stats.json?token=${TOKEN}`, "attacker.example")).status, 200);
    equal((await rawGet(port, "/stats.json", "attacker.example")).status, 401);
  } finally {
    await stopProgram(receiver);
  }
});

Deno.test("a rebinding page in Chromium cannot read the view; the same view by localhost works", async () => {
  const { receiver, port } = await receiverWithView([]);
  // The browser resolves attacker.example to this machine, as a DNS-rebinding attack makes it.
  const browser = await launchChromium(["--host-resolver-rules=MAP attacker.example 127.0.0.1"]);
  try {
    const page = await browser.newPage();
    const attacked = await page.goto(`http://attacker.example:${port}/stats.json`);
    equal(attacked?.status(), 403);
    match(await page.content(), /its Host is not a name or address of this receiver/);
    const own = await page.goto(`http://localhost:${port}/stats.json`);
    equal(own?.status(), 200);
    ok(JSON.parse(await own!.text()).http, "the stats of the view");
  } finally {
    await browser.close();
    await stopProgram(receiver);
  }
});

Deno.test("udpcam-recv --http beyond loopback needs a token or --http-open", async () => {
  const refused = await startProgram("receiver.ts", [
    ...["--listen", "127.0.0.1:0", "--headless", "--http", "0.0.0.0:0", "--duration", "5"],
  ]).done;
  equal(refused.code, 2, refused.stderr);
  match(
    refused.stderr,
    /--http 0\.0\.0\.0:0 serves the camera beyond this machine without a token: anyone who can reach it could watch\. Give a token \(--http-token-file FILE or UDPCAM_HTTP_TOKEN\), or add --http-open to serve it without one/,
  );
  for (
    const [args, warned] of [[["--http-open"], true], [["--http-token", TOKEN], false]] as const
  ) {
    const { receiver } = await startLoopbackReceiver([
      ...["--headless", "--duration", "60", "--http", "0.0.0.0:0", ...args],
    ]);
    try {
      await receiver.waitForStderr(/browser view at http:\/\/127\.0\.0\.1:\d+\//);
    } finally {
      const result = await stopProgram(receiver);
      equal(result.code, 0, result.stderr);
      equal(
        /warning: the browser view on 0\.0\.0\.0:\d+ has no token \(--http-open\): anyone who can reach this machine can watch the camera/
          .test(result.stderr),
        warned,
        result.stderr,
      );
    }
  }
});

Deno.test("udpcam-recv --http: never-reading viewers, silent and trickling connections are dropped; past 64 open, 503", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const { receiver, port: udpPort } = await startLoopbackReceiver([
    ...["--headless", "--duration", "90", "--http", "127.0.0.1:0"],
  ]);
  // Big frames, so the never-reading viewers' socket buffers fill within a second or two.
  const sender = startTestPatternSender(udpPort, ["--size", "1280x720", "--duration", "90"]);
  const held: Deno.TcpConn[] = [];
  let trickling = true;
  let trickle: Promise<void> = Promise.resolve();
  try {
    const line = await receiver.waitForStderr(/browser view at http:\/\/127\.0\.0\.1:\d+\//);
    const port = Number(/:(\d+)\//.exec(line)![1]);
    const host = `Host: 127.0.0.1:${port}\r\n`;
    await untilFrame(port, `127.0.0.1:${port}`);
    const connect = async (text: string) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      if (text !== "") await conn.write(new TextEncoder().encode(text));
      held.push(conn);
      return conn;
    };
    // 16 viewers that take every stream slot and never read; then 50 silent connections and 100
    // that trickle a head that never ends: 64 are taken, the other 102 refused.
    for (let i = 0; i < 16; i++) await connect(`GET /stream.mjpeg HTTP/1.1\r\n${host}\r\n`);
    for (let i = 0; i < 50; i++) await connect("");
    const tricklers: Deno.TcpConn[] = [];
    for (let i = 0; i < 100; i++) tricklers.push(await connect("GET / HTTP/1.1\r\nX-Pad: "));
    trickle = (async () => {
      // Bounded: 120 rounds of one byte per connection, 250 ms apart.
      for (let round = 0; round < 120 && trickling; round++) {
        for (const conn of tricklers) await conn.write(new Uint8Array([0x61])).catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    // Every silent and trickling connection ends (bounded: each read either gets bytes or the
    // end; the server's header timeout or its 503 ends each one). The stuck viewers are not read:
    // reading would make them viewers that read.
    let answered503 = 0;
    for (const conn of held.slice(16)) {
      const buffer = new Uint8Array(4096);
      let head = "";
      for (let reads = 0; reads < 1000; reads++) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) break;
        head += new TextDecoder("latin1").decode(buffer.subarray(0, n));
      }
      if (head.startsWith("HTTP/1.1 503 ")) answered503++;
    }
    trickling = false;
    await trickle;
    // The stuck viewers are dropped once their buffers are full and a frame waits too long
    // (bounded: 120 polls, 500 ms apart).
    let stats: Record<string, number> = {};
    for (let polls = 0; polls < 120 && stats.streamsStalled !== 16; polls++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const answer = await rawGet(port, "/stats.json", `localhost:${port}`);
      if (answer.status === 200) stats = JSON.parse(new TextDecoder().decode(answer.body)).http;
    }
    equal(stats.streamsStalled, 16, JSON.stringify(stats));
    equal(stats.viewers, 0, JSON.stringify(stats));
    equal(stats.connectionsRefused, 102, JSON.stringify(stats));
    ok(answered503 >= 64, `only ${answered503} refused connections read their 503`);
    equal(stats.headerTimeouts, 48, JSON.stringify(stats));
    // The view serves again: a reading viewer gets frames.
    const stream = await fetch(`http://127.0.0.1:${port}/stream.mjpeg`);
    equal(stream.status, 200);
    const reader = stream.body!.getReader();
    const first = await reader.read();
    ok(!first.done && first.value.length > 0);
    await reader.cancel();
  } finally {
    trickling = false;
    await trickle;
    for (const conn of held) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
    await stopProgram(sender);
    const result = await stopProgram(receiver);
    equal(result.code, 0, result.stderr);
  }
});
