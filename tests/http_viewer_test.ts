/**
 * End-to-end tests of the receiver's HTTP viewer: real ffmpeg testsrc2 JPEGs published at 30 fps,
 * read back with fetch(), ffmpeg, raw TCP and a real headless Chromium.
 */

import { deepStrictEqual, equal, match, notDeepStrictEqual, ok, throws } from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { UserError } from "../lib/errors.ts";
import { HttpViewer } from "../lib/io/http_viewer.ts";
import { JpegSplitter } from "../lib/jpeg/mod.ts";
import { MJPEG_BOUNDARY, type MjpegPartRead, MjpegReader } from "../lib/http/mod.ts";
import { launchChromium } from "./support/chromium.ts";
import { runFfmpeg, testsrcJpegs } from "./support/ffmpeg_frames.ts";

const FRAME_INTERVAL_MS = 1000 / 30;
const HIGH_QUALITY = ["-huffman", "default", "-pix_fmt", "yuvj420p", "-q:v", "2"];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Publishes `frames` round-robin at 30 fps, frameSeq = publish number, at most `maxFrames`. */
class Feeder {
  readonly #viewer: HttpViewer;
  readonly #frames: Uint8Array[];
  readonly #maxFrames: number;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #waiters: { seq: number; resolve: () => void }[] = [];
  /** Frames published so far; the last one had frameSeq `published - 1`. */
  published = 0;

  constructor(viewer: HttpViewer, frames: Uint8Array[], maxFrames: number, firstSeq = 0) {
    this.#viewer = viewer;
    this.#frames = frames;
    this.#maxFrames = maxFrames;
    this.published = firstSeq;
    this.#timer = setInterval(() => this.#tick(), FRAME_INTERVAL_MS);
  }

  /** The frame published with `frameSeq`. */
  frame(frameSeq: number): Uint8Array {
    return this.#frames[frameSeq % this.#frames.length];
  }

  /** Resolves once the frame with `frameSeq` is published (or the feeder ran out). */
  reach(frameSeq: number): Promise<void> {
    if (this.published > frameSeq || this.published >= this.#maxFrames) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ seq: frameSeq, resolve }));
  }

  stop(): void {
    clearInterval(this.#timer);
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }

  #tick(): void {
    if (this.published >= this.#maxFrames) return this.stop();
    const seq = this.published++;
    this.#viewer.publishFrame(this.frame(seq), { frameSeq: seq, captureUs: Date.now() * 1000 });
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      if (this.#waiters[i].seq <= seq) this.#waiters.splice(i, 1)[0].resolve();
    }
  }
}

/** Reads a `/stream.mjpeg` response part by part. */
class StreamClient {
  readonly response: Response;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #parts = new MjpegReader(MJPEG_BOUNDARY, { maxPartBytes: 4 * 1024 * 1024 });
  readonly #ready: MjpegPartRead[] = [];

  private constructor(response: Response) {
    this.response = response;
    this.#reader = response.body!.getReader();
  }

  static async open(url: string): Promise<StreamClient> {
    const response = await fetch(url);
    equal(response.status, 200, `GET ${url}: ${response.status}`);
    return new StreamClient(response);
  }

  /** The next part, or null when the stream ends. */
  async next(): Promise<MjpegPartRead | null> {
    while (this.#ready.length === 0) {
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#ready.push(...this.#parts.push(value));
    }
    return this.#ready.shift()!;
  }

  async close(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

/** Polls `condition` every 20 ms, at most `tries` times; true once it holds. */
async function eventually(condition: () => boolean, tries = 250): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (condition()) return true;
    await sleep(20);
  }
  return condition();
}

async function text(url: string): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    body: await response.text(),
  };
}

Deno.test("HttpViewer: stream, snapshot, stats, 404 and the viewer cap over fetch()", async () => {
  const frames = await testsrcJpegs(30, "320x240");
  const viewer = HttpViewer.start({ hostname: "127.0.0.1", port: 0, maxViewers: 2 });
  const base = `http://127.0.0.1:${viewer.address.port}`;
  let feeder: Feeder | null = null;
  const clients: StreamClient[] = [];
  try {
    const early = await text(`${base}/frame.jpg`);
    equal(early.status, 503);
    match(early.body, /^Cannot show a frame yet: no complete frame has been received\./);
    deepStrictEqual(JSON.parse((await text(`${base}/stats.json`)).body).receiver, null);

    const page = await fetch(`${base}/`);
    equal(page.status, 200);
    equal(page.headers.get("cache-control"), "no-store");
    match(page.headers.get("content-type")!, /^text\/html/);
    match(await page.text(), /<img id="video" src="stream\.mjpeg"/);

    const missing = await text(`${base}/nope`);
    equal(missing.status, 404);
    match(missing.body, /^Cannot find \/nope: .*\/stream\.mjpeg/);

    feeder = new Feeder(viewer, frames, 600);
    const first = await StreamClient.open(`${base}/stream.mjpeg`);
    clients.push(first);
    equal(
      first.response.headers.get("content-type"),
      `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`,
    );
    equal(first.response.headers.get("cache-control"), "no-store");
    let previousSeq = -1;
    for (let i = 0; i < 20; i++) {
      const part = await first.next();
      ok(part, "the stream ended early");
      equal(part.headers["content-type"], "image/jpeg");
      equal(Number(part.headers["content-length"]), part.body.length);
      const seq = Number(part.headers["x-frame-seq"]);
      ok(seq > previousSeq, `frame ${seq} after ${previousSeq}`);
      previousSeq = seq;
      ok(Number(part.headers["x-capture-us"]) > 0);
      deepStrictEqual(part.body, feeder.frame(seq), `frame ${seq} is not byte-identical`);
    }

    // The cap: a second viewer fits, a third gets 503; leaving frees the slot at once.
    clients.push(await StreamClient.open(`${base}/stream.mjpeg`));
    equal(viewer.viewerCount, 2);
    const refused = await text(`${base}/stream.mjpeg`);
    equal(refused.status, 503);
    match(refused.body, /^Cannot add another viewer: .*maximum number of streams/);
    equal(viewer.counters.streamsRefused, 1);
    await clients.pop()!.close();
    ok(await eventually(() => viewer.viewerCount === 1), `viewers: ${viewer.viewerCount}`);

    const snapshot = await fetch(`${base}/frame.jpg`);
    equal(snapshot.status, 200);
    equal(snapshot.headers.get("content-type"), "image/jpeg");
    const snapshotSeq = Number(snapshot.headers.get("x-frame-seq"));
    deepStrictEqual(new Uint8Array(await snapshot.arrayBuffer()), feeder.frame(snapshotSeq));

    const report = { fps: 29.9, mbps: 4.2, frames: { complete: 10, dropped: 1 } };
    viewer.publishStats(report);
    const stats = JSON.parse((await text(`${base}/stats.json`)).body);
    deepStrictEqual(stats.receiver, report);
    equal(stats.http.viewers, 1);
    ok(stats.http.framesPublished > 0);

    // ffmpeg (what ffplay uses) reads the stream and gets the JPEGs unchanged.
    const copied = await runFfmpeg([
      ...["-i", `${base}/stream.mjpeg`, "-frames:v", "5", "-c", "copy", "-f", "mjpeg", "pipe:1"],
    ]);
    const copiedFrames = new JpegSplitter().push(copied);
    equal(copiedFrames.length, 5);
    const known = new Set(frames.map((f) => f.join(",")));
    for (const frame of copiedFrames) ok(known.has(frame.join(",")), "ffmpeg got a changed frame");
  } finally {
    feeder?.stop();
    for (const client of clients) await client.close();
    await viewer.close();
  }
  equal(viewer.viewerCount, 0);
});

Deno.test("HttpViewer: with a token every route needs ?token=, and the page's URLs carry it", async () => {
  const viewer = HttpViewer.start({ hostname: "127.0.0.1", port: 0, token: "s3cret-T" });
  const base = `http://127.0.0.1:${viewer.address.port}`;
  try {
    for (const path of ["/", "/stream.mjpeg", "/frame.jpg", "/stats.json", "/nope"]) {
      for (const query of ["", "?token=s3cret", "?token=s3cret-TT", "?token=S3CRET-T"]) {
        const response = await text(`${base}${path}${query}`);
        equal(response.status, 401, `${path}${query}`);
        match(response.body, /needs a token\. Add \?token=TOKEN to the address/);
      }
    }
    equal(viewer.counters.unauthorized, 20);
    const page = await text(`${base}/?token=s3cret-T`);
    equal(page.status, 200);
    match(page.body, /src="stream\.mjpeg\?token=s3cret-T"/);
    match(page.body, /href="frame\.jpg\?token=s3cret-T"/);
    match(page.body, /const query = "\?token=s3cret-T";/);
    equal((await text(`${base}/stats.json?token=s3cret-T`)).status, 200);
    equal((await text(`${base}/frame.jpg?token=s3cret-T`)).status, 503);
    equal((await text(`${base}/nope?token=s3cret-T`)).status, 404);
    const stream = await StreamClient.open(`${base}/stream.mjpeg?token=s3cret-T`);
    equal(viewer.viewerCount, 1);
    await stream.close();
  } finally {
    await viewer.close();
  }
});

Deno.test("HttpViewer: a port in use is a UserError that says what to do", async () => {
  const first = HttpViewer.start({ hostname: "127.0.0.1", port: 0 });
  try {
    const { port } = first.address;
    throws(
      () => HttpViewer.start({ hostname: "127.0.0.1", port }),
      (error: unknown) => {
        ok(error instanceof UserError);
        equal(
          error.message,
          `Cannot serve HTTP on 127.0.0.1:${port}: the port is in use. Stop that program or pick ` +
            "another port with --http.",
        );
        // The OS's own error stays reachable (lib/net/bind_error.ts).
        ok(error.cause instanceof Deno.errors.AddrInUse, String(error.cause));
        return true;
      },
    );
  } finally {
    await first.close();
  }
});

Deno.test("HttpViewer: an address not on this machine names the --http flag", () => {
  throws(
    () => HttpViewer.start({ hostname: "203.0.113.9", port: 0 }),
    (error: unknown) => {
      ok(error instanceof UserError);
      equal(
        error.message,
        "Cannot serve HTTP on 203.0.113.9:0: that address is not on this machine. Give one of " +
          "its addresses, or 0.0.0.0 (all IPv4) or [::] (all IPv6), with --http.",
      );
      ok(error.cause instanceof Deno.errors.AddrNotAvailable, String(error.cause));
      return true;
    },
  );
});

/**
 * In the page: reads `/stream.mjpeg` with fetch() and records every part's X-Frame-Seq in
 * `globalThis.seenSeqs`, so frames are counted by a real browser, not by the server.
 */
function countPartsInPage(url: string): void {
  const seen: number[] = [];
  (globalThis as unknown as { seenSeqs: number[] }).seenSeqs = seen;
  (async () => {
    const reader = (await fetch(url)).body!.getReader();
    let buffer = new Uint8Array(0);
    let need = -1;
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const joined = new Uint8Array(buffer.length + value.length);
      joined.set(buffer);
      joined.set(value, buffer.length);
      buffer = joined;
      for (;;) {
        if (need >= 0) {
          if (buffer.length < need) break;
          buffer = buffer.slice(need);
          need = -1;
        }
        let end = -1;
        for (let i = 0; i + 3 < buffer.length; i++) {
          if (
            buffer[i] === 13 && buffer[i + 1] === 10 && buffer[i + 2] === 13 && buffer[i + 3] === 10
          ) {
            end = i;
            break;
          }
        }
        if (end < 0) break;
        const head = decoder.decode(buffer.subarray(0, end));
        buffer = buffer.slice(end + 4);
        const length = /Content-Length: (\d+)/i.exec(head);
        const seq = /X-Frame-Seq: (\d+)/i.exec(head);
        if (!length || !seq) throw new Error(`bad part header ${head}`);
        seen.push(Number(seq[1]));
        need = Number(length[1]);
      }
    }
  })();
}

/**
 * The bit of the DOM that page-side functions use: the tests are type-checked without the DOM
 * library. Page-side code must be functions, not strings: Playwright evals strings, which the
 * page's Content-Security-Policy (rightly) forbids.
 */
interface PageGlobals {
  document: {
    getElementById(id: string): {
      naturalWidth: number;
      naturalHeight: number;
      textContent: string | null;
    };
  };
}

async function imageSize(page: Page): Promise<[number, number]> {
  return await page.evaluate(() => {
    const img = (globalThis as unknown as PageGlobals).document.getElementById("video");
    return [img.naturalWidth, img.naturalHeight] as [number, number];
  });
}

Deno.test("HttpViewer in headless Chromium: moving video on several pages, a stuck viewer slows nobody", async () => {
  const frames = await testsrcJpegs(60, "960x540", HIGH_QUALITY);
  const token = "tok-123";
  // The stuck viewer must stay for the whole measurement: it is dropped only after this long
  // without taking a frame (the test after this one shows the drop).
  const viewer = HttpViewer.start({
    hostname: "127.0.0.1",
    port: 0,
    token,
    stallTimeoutMs: 600_000,
  });
  const base = `http://127.0.0.1:${viewer.address.port}`;
  const streamUrl = `${base}/stream.mjpeg?token=${token}`;
  let browser: Browser | null = null;
  let feeder: Feeder | null = null;
  let stuck: Deno.TcpConn | null = null;
  let client: StreamClient | null = null;
  try {
    // A viewer that sends its request and never reads: once the socket buffers are full it stops
    // pulling. Fill them quickly before the others come, publishing as fast as the server writes.
    stuck = await Deno.connect({ hostname: "127.0.0.1", port: viewer.address.port });
    await stuck.write(
      new TextEncoder().encode(`GET /stream.mjpeg?token=${token} HTTP/1.1\r\nHost: x\r\n\r\n`),
    );
    const stuckRemote = `127.0.0.1:${stuck.localAddr.port}`;
    const stuckInfo = () => viewer.viewers().find((v) => v.remote === stuckRemote);
    ok(await eventually(() => stuckInfo() !== undefined), "the stuck viewer never arrived");
    let seq = 0;
    let lastSent = -1;
    let unchangedFor = 0;
    for (; seq < 5000 && unchangedFor < 200; seq++) {
      viewer.publishFrame(frames[seq % frames.length], { frameSeq: seq, captureUs: null });
      await sleep(0);
      const sent = stuckInfo()!.framesSent;
      unchangedFor = sent === lastSent ? unchangedFor + 1 : 0;
      lastSent = sent;
    }
    equal(unchangedFor, 200, "the stuck viewer's socket never filled up");

    feeder = new Feeder(viewer, frames, seq + 30 * 60, seq);
    viewer.publishStats({ fps: 30, mbps: 11.5, frames: { complete: 300, dropped: 3 } });
    browser = await launchChromium();
    const pages: Page[] = [];
    for (let i = 0; i < 3; i++) {
      const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
      await page.goto(`${base}/?token=${token}`);
      pages.push(page);
    }
    for (const page of pages) {
      await page.waitForFunction(
        () =>
          (globalThis as unknown as PageGlobals).document.getElementById("video").naturalWidth > 0,
        undefined,
        { timeout: 15_000 },
      );
      deepStrictEqual(await imageSize(page), [960, 540]);
      // The stats line, polled from stats.json by the page itself.
      await page.waitForFunction(
        () =>
          (globalThis as unknown as PageGlobals).document.getElementById("fps").textContent ===
            "30.0",
        undefined,
        { timeout: 5_000 },
      );
      equal(await page.textContent("#mbps"), "11.50");
      equal(await page.textContent("#lost"), "3 (1.0 %)");
    }
    for (const [i, page] of pages.entries()) {
      const before = await page.locator("#video").screenshot();
      await sleep(500);
      const after = await page.locator("#video").screenshot();
      notDeepStrictEqual(before, after, `page ${i}: the picture did not move`);
    }
    // One more page counts the parts itself through fetch(), and so does this test.
    await pages[0].evaluate(countPartsInPage, `stream.mjpeg?token=${token}`);
    client = await StreamClient.open(streamUrl);
    ok(await eventually(() => viewer.viewerCount === 6), `viewers: ${viewer.viewerCount}`);
    const seenHere: number[] = [];
    const reading = (async () => {
      for (;;) {
        const part = await client!.next();
        if (!part) return;
        seenHere.push(Number(part.headers["x-frame-seq"]));
      }
    })().catch(() => {});

    // The measurement: 60 frames counted by publish number, not by time.
    const fromSeq = feeder.published + 5;
    const toSeq = fromSeq + 59;
    await feeder.reach(fromSeq);
    const sentBefore = new Map(viewer.viewers().map((v) => [v.id, v.framesSent]));
    await feeder.reach(toSeq);
    const sentAfter = new Map(viewer.viewers().map((v) => [v.id, v.framesSent]));
    const stuckId = stuckInfo()!.id;
    const inWindow = (seqs: number[]) =>
      new Set(seqs.filter((s) => s >= fromSeq && s <= toSeq)).size;
    const pageSeqs = () =>
      pages[0].evaluate(() => (globalThis as unknown as { seenSeqs: number[] }).seenSeqs);
    // Let the last frames of the window arrive (bounded).
    for (
      let i = 0;
      i < 50 && (Math.max(...seenHere) < toSeq || Math.max(...await pageSeqs()) < toSeq);
      i++
    ) {
      await sleep(20);
    }
    const figures: Record<string, number> = {
      here: inWindow(seenHere),
      chromiumFetch: inWindow(await pageSeqs()),
    };
    for (const [id, after] of sentAfter) {
      if (sentBefore.has(id)) {
        figures[id === stuckId ? "stuck" : `viewer${id}`] = after - sentBefore.get(id)!;
      }
    }
    console.log(`frames received of 60 published: ${JSON.stringify(figures)}`);
    for (const [name, count] of Object.entries(figures)) {
      if (name === "stuck") ok(count <= 1, `the stuck viewer still got ${count} frames`);
      else ok(count >= 48, `${name} got only ${count} of 60 frames`);
    }
    equal(Object.keys(figures).length, 8, "2 client-side counts and 6 viewers");
    ok(stuckInfo()!.framesSkipped >= 60);

    await browser.close();
    browser = null;
    ok(
      await eventually(() => viewer.viewerCount === 2),
      `viewers after the browser closed: ${viewer.viewerCount}`,
    );
    await client.close();
    await reading;
    client = null;
  } finally {
    feeder?.stop();
    await browser?.close();
    await client?.close();
    await viewer.close();
    stuck?.close();
  }
  equal(viewer.viewerCount, 0);
});

/** Connects to `port` and sends `text` (or nothing); the caller closes. */
async function connectAndSend(port: number, text = ""): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  if (text !== "") await conn.write(new TextEncoder().encode(text));
  return conn;
}

/**
 * Reads until the server closes or `maxReads` reads; returns what arrived, or null when the
 * connection was reset. Bounded by the server's own timeouts (which the callers test).
 */
async function readToClose(conn: Deno.Conn, maxReads = 10_000): Promise<string | null> {
  const buffer = new Uint8Array(65_536);
  let text = "";
  try {
    for (let i = 0; i < maxReads; i++) {
      const n = await conn.read(buffer);
      if (n === null) return text;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    return text;
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionReset) return null;
    throw error;
  }
}

Deno.test("HttpViewer drops stream viewers that stop reading, so their slots free up", async () => {
  const frames = await testsrcJpegs(4, "1280x720", HIGH_QUALITY);
  const viewer = HttpViewer.start({
    hostname: "127.0.0.1",
    port: 0,
    maxViewers: 4,
    stallTimeoutMs: 300,
  });
  const { port } = viewer.address;
  const stuck: Deno.TcpConn[] = [];
  let reader: StreamClient | null = null;
  try {
    // Four viewers that ask for the stream and never read a byte: every slot is taken.
    for (let i = 0; i < 4; i++) {
      stuck.push(
        await connectAndSend(port, "GET /stream.mjpeg HTTP/1.1\r\nHost: localhost\r\n\r\n"),
      );
    }
    ok(await eventually(() => viewer.viewerCount === 4), `viewers: ${viewer.viewerCount}`);
    equal((await text(`http://127.0.0.1:${port}/stream.mjpeg`)).status, 503);
    // Frames keep coming; once the stuck viewers' buffers are full they make no progress and
    // are dropped (bounded: at most 4,000 frames).
    for (let seq = 0; seq < 4000 && viewer.counters.streamsStalled < 4; seq++) {
      viewer.publishFrame(frames[seq % frames.length], { frameSeq: seq, captureUs: null });
      await sleep(2);
    }
    equal(viewer.counters.streamsStalled, 4, JSON.stringify(viewer.counters));
    equal(viewer.viewerCount, 0);
    // A viewer that reads gets a slot and the frames.
    reader = await StreamClient.open(`http://127.0.0.1:${port}/stream.mjpeg`);
    viewer.publishFrame(frames[0], { frameSeq: 5000, captureUs: null });
    // It may first get the frame that was newest when it joined.
    const seqs: string[] = [];
    for (let i = 0; i < 2 && !seqs.includes("5000"); i++) {
      seqs.push((await reader.next())?.headers["x-frame-seq"] ?? "end");
    }
    equal(seqs.at(-1), "5000", seqs.join(","));
  } finally {
    await reader?.close();
    for (const conn of stuck) conn.close();
    await viewer.close();
  }
});

Deno.test("HttpViewer closes silent and trickling connections and refuses past its connection cap with 503", async () => {
  const viewer = HttpViewer.start({
    hostname: "127.0.0.1",
    port: 0,
    maxConnections: 20,
    // Long enough that all connections are open before the first is timed out.
    headerTimeoutMs: 3000,
    idleTimeoutMs: 300,
  });
  const { port } = viewer.address;
  const held: Deno.TcpConn[] = [];
  let trickling = true;
  try {
    for (let i = 0; i < 10; i++) held.push(await connectAndSend(port));
    for (let i = 0; i < 10; i++) held.push(await connectAndSend(port, "GET / HTTP/1.1\r\nX-Pad: "));
    // The trickle: one byte per connection every 100 ms, never the end of the head.
    const trickle = (async () => {
      for (let round = 0; round < 300 && trickling; round++) {
        for (const conn of held.slice(10)) await conn.write(new Uint8Array([0x61])).catch(() => {});
        await sleep(100);
      }
    })();
    ok(await eventually(() => viewer.connectionCount === 20), `open: ${viewer.connectionCount}`);
    // Past the cap: answered 503 at once, without waiting for anything.
    for (let i = 0; i < 5; i++) {
      const refused = await connectAndSend(
        port,
        "GET /stats.json HTTP/1.1\r\nHost: localhost\r\n\r\n",
      );
      const answer = await readToClose(refused);
      refused.close();
      match(answer ?? "reset", /^HTTP\/1\.1 503 Service Unavailable\r\n/);
      match(answer!, /Cannot take another connection: this udpcam receiver already has 20 open/);
    }
    equal(viewer.counters.connectionsRefused, 5);
    // The server ends all 20 after the header timeout, trickle or not.
    for (const conn of held) {
      const answer = await readToClose(conn);
      ok(answer === null || answer === "" || /^HTTP\/1\.1 408 /.test(answer), `got ${answer}`);
    }
    trickling = false;
    await trickle;
    equal(viewer.counters.headerTimeouts, 20, JSON.stringify(viewer.counters));
    ok(await eventually(() => viewer.connectionCount === 0), `open: ${viewer.connectionCount}`);

    // A keep-alive connection that sends nothing more after its response is closed when idle.
    const idle = await connectAndSend(port, "GET /stats.json HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const kept = await readToClose(idle);
    idle.close();
    match(kept!, /^HTTP\/1\.1 200 OK\r\n[\s\S]*"http":/);
    equal(viewer.counters.idleTimeouts, 1);
    equal((await text(`http://127.0.0.1:${port}/stats.json`)).status, 200);
  } finally {
    trickling = false;
    for (const conn of held) conn.close();
    await viewer.close();
  }
});

Deno.test("HttpViewer over raw HTTP/1.1: pipelined requests, HEAD, and refused heads counted by reason", async () => {
  const viewer = HttpViewer.start({ hostname: "127.0.0.1", port: 0 });
  const { port } = viewer.address;
  try {
    // Two requests in one write: two answers, in order, then the close the second asked for.
    const pipelined = await connectAndSend(
      port,
      "GET /stats.json HTTP/1.1\r\nHost: localhost\r\n\r\n" +
        "HEAD /stream.mjpeg HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    const both = await readToClose(pipelined);
    pipelined.close();
    const statuses = [...(both ?? "").matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    deepStrictEqual(statuses, ["200", "200"], both ?? "reset");
    match(
      both!,
      /\}HTTP\/1\.1 200 OK\r\nCache-Control: no-store\r\n[\s\S]*Content-Type: multipart\/x-mixed-replace; boundary=udpcam-frame\r\n/,
    );
    ok(!/--udpcam-frame/.test(both!), "HEAD got a body");
    equal(viewer.viewerCount, 0, "HEAD took a viewer slot");

    const bad: [string, RegExp][] = [
      ["GET / HTTP/1.1\r\n\r\n", /^HTTP\/1\.1 400 [\s\S]*needs a Host field/],
      ["GET / HTTP/2.0\r\nHost: localhost\r\n\r\n", /^HTTP\/1\.1 505 /],
      [`GET / HTTP/1.1\r\nHost: localhost\r\nX: ${"a".repeat(9000)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
      [
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc",
        /^HTTP\/1\.1 400 [\s\S]*no request body/,
      ],
      ["DELETE / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", /^HTTP\/1\.1 405 /],
      [
        "GET * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        /^HTTP\/1\.1 400 [\s\S]*not a path/,
      ],
    ];
    for (const [request, expected] of bad) {
      const conn = await connectAndSend(port, request);
      const answer = await readToClose(conn);
      conn.close();
      match(answer ?? "reset", expected, request.slice(0, 30));
    }
    const { badRequests } = viewer.counters;
    deepStrictEqual(
      [
        badRequests.missingHost,
        badRequests.badVersion,
        badRequests.headTooLarge,
        badRequests.hasBody,
      ],
      [1, 1, 1, 1],
    );
  } finally {
    await viewer.close();
  }
});
