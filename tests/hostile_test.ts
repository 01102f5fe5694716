/**
 * A running receiver under hostile input: the test sits between a real udpcam-send (`--key`) and
 * udpcam-recv, forwards the real datagrams and injects, at a bounded rate, mutated copies of them
 * (bit flips, truncation, oversize, replays, real headers over junk), absurd headers and junk.
 * The receiver must keep recording intact frames (compared with the sender's --save) and count
 * every hostile datagram.
 */

import { equal, ok } from "node:assert/strict";
import { junkDatagram, mutateDatagram } from "./support/junk_datagrams.ts";
import { Prng } from "../lib/netsim/mod.ts";
import { readMjpegFrames, sha256 } from "./support/mjpeg.ts";
import {
  freeUdpPort,
  jsonLines,
  requireTool,
  startProgram,
  stopProgram,
} from "./support/programs.ts";

const KEY = "hostile network passphrase";
/** Most hostile datagrams injected per real one, and in all. */
const HOSTILE_PER_REAL = 2;
const MAX_HOSTILE = 20_000;

Deno.test("a running receiver under junk keeps delivering intact frames and counts the junk", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-hostile-" });
  const front = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const back = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const port = freeUdpPort();
    const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
    const receiver = startProgram("receiver.ts", [
      "--listen",
      `127.0.0.1:${port}`,
      "--headless",
      "--no-nack",
      "--key",
      KEY,
      "--record",
      `${dir}/received.mjpeg`,
      "--stats-json",
      "--duration",
      "60",
    ]);
    await receiver.waitForStderr(/listening on 127\.0\.0\.1:\d+/);
    const prng = new Prng(77);
    const recent: Uint8Array[] = [];
    let forwarded = 0;
    let hostile = 0;
    const forwarding = (async () => {
      const buffer = new Uint8Array(65_536);
      // Bounded by the socket: closing it ends the loop.
      for (;;) {
        let datagram: Uint8Array;
        try {
          [datagram] = await front.receive(buffer);
        } catch {
          return;
        }
        const real = datagram.slice();
        await back.send(real, to);
        forwarded++;
        recent.push(real);
        if (recent.length > 200) recent.shift();
        for (let n = prng.int(0, HOSTILE_PER_REAL); n > 0 && hostile < MAX_HOSTILE; n--) {
          const bad = prng.next() < 0.7 ? mutateDatagram(prng, recent) : junkDatagram(prng);
          await back.send(bad, to);
          hostile++;
        }
      }
    })();
    const frontPort = (front.addr as Deno.NetAddr).port;
    const sender = startProgram("sender.ts", [
      "--test-pattern",
      "--size",
      "640x480",
      "--to",
      `127.0.0.1:${frontPort}`,
      "--frames",
      "90",
      "--save",
      `${dir}/sent.mjpeg`,
      "--key",
      KEY,
    ]);
    const sent = await sender.done;
    equal(sent.code, 0, sent.stderr);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    front.close();
    await forwarding;
    const received = await stopProgram(receiver);
    equal(received.code, 0, received.stderr);

    const sentHashes = new Set<string>();
    for (const frame of readMjpegFrames(`${dir}/sent.mjpeg`)) sentHashes.add(await sha256(frame));
    const frames = readMjpegFrames(`${dir}/received.mjpeg`);
    for (const frame of frames) {
      ok(sentHashes.has(await sha256(frame)), "a recorded frame differs from every frame sent");
    }
    // Early frames may pass while the receiver derives the session key; the junk costs none.
    ok(frames.length >= 70, `only ${frames.length} of 90 frames recorded`);
    const last = jsonLines(received.stdout).at(-1)!;
    const datagrams = last.datagrams as {
      received: number;
      accepted: number;
      droppedBy: Record<string, number>;
    };
    ok(hostile > 1000, `only ${hostile} hostile datagrams injected`);
    // Oversized junk (up to 64 KiB) can overflow the kernel's receive buffer, which drops some
    // datagrams before the receiver sees them; the rest must all be counted.
    const injected = forwarded + hostile;
    ok(
      datagrams.received <= injected && datagrams.received >= injected * 0.9,
      `received ${datagrams.received} of ${injected} datagrams`,
    );
    const dropped = Object.values(datagrams.droppedBy).reduce((a, b) => a + b, 0);
    equal(datagrams.accepted + dropped, datagrams.received);
    ok(datagrams.droppedBy.authFailed > 0 && datagrams.droppedBy.replay > 0);
  } finally {
    try {
      front.close();
    } catch { /* closed */ }
    back.close();
    await Deno.remove(dir, { recursive: true });
  }
});
