/**
 * Attacks an attacker without the key can make on a running receiver (issue #19), through the real
 * programs on loopback: the test relays a real udpcam-send stream (no `--key`) to udpcam-recv and
 * injects forged datagrams made from what it sees on the way.
 */

import { equal, ok } from "node:assert/strict";
import { fragmentFrame } from "../lib/wire/v1/mod.ts";
import { readMjpegFrames, sha256 } from "./support/mjpeg.ts";
import {
  freeUdpPort,
  jsonLines,
  requireTool,
  startProgram,
  stopProgram,
} from "./support/programs.ts";

const FRAMES = 90;

Deno.test("attack: one forged frame numbered 2^31 - 1 ahead no longer freezes a receiver for good", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-jump-" });
  const front = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const back = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const port = freeUdpPort();
    const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
    const receiver = startProgram("receiver.ts", [
      ...["--listen", `127.0.0.1:${port}`, "--headless", "--no-nack"],
      ...["--record", `${dir}/received.mjpeg`, "--stats-json", "--duration", "60"],
    ]);
    await receiver.waitForStderr(/listening on 127\.0\.0\.1:\d+/);
    let forged = 0;
    const relaying = (async () => {
      const buffer = new Uint8Array(65_536);
      // Bounded by the socket: closing it ends the loop.
      for (;;) {
        let datagram: Uint8Array;
        try {
          [datagram] = await front.receive(buffer);
        } catch {
          return;
        }
        await back.send(datagram, to);
        // Header fields (docs/protocol.md): fragment index and count, stream id, frame sequence.
        const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
        const lastOfFrame = view.getUint16(6) === view.getUint16(8) - 1;
        const frameSeq = view.getUint32(14);
        if (forged === 0 && lastOfFrame && frameSeq >= 20) {
          // The frame just completed is the last one shown: one 278-byte frame as far ahead of it
          // as serial arithmetic allows, with the real stream id.
          const [attack] = fragmentFrame(new Uint8Array(248).fill(0x55), {
            streamId: view.getUint32(10),
            frameSeq: (frameSeq + 0x7fff_ffff) >>> 0,
            captureUs: 0,
          }, 1500);
          equal(attack.length, 278);
          await back.send(attack, to);
          forged++;
        }
      }
    })();
    const sender = startProgram("sender.ts", [
      ...[
        "--test-pattern",
        "--size",
        "320x240",
        "--to",
        `127.0.0.1:${(front.addr as Deno.NetAddr).port}`,
      ],
      ...["--frames", String(FRAMES), "--save", `${dir}/sent.mjpeg`],
    ]);
    const sent = await sender.done;
    equal(sent.code, 0, sent.stderr);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    front.close();
    await relaying;
    const received = await stopProgram(receiver);
    equal(received.code, 0, received.stderr);

    equal(forged, 1);
    const sentHashes = new Set<string>();
    for (const frame of readMjpegFrames(`${dir}/sent.mjpeg`)) sentHashes.add(await sha256(frame));
    const frames = readMjpegFrames(`${dir}/received.mjpeg`);
    for (const frame of frames) ok(sentHashes.has(await sha256(frame)), "a frame differs");
    // Before the fix: the ~21 frames before the forged one, then nothing.
    ok(frames.length >= FRAMES - 5, `only ${frames.length} of ${FRAMES} frames recorded`);
    const last = jsonLines(received.stdout).at(-1) as {
      frames: { droppedBy: Record<string, number> };
    };
    equal(last.frames.droppedBy.jump, 1, "the forged frame is held back as a jump");
  } finally {
    try {
      front.close();
    } catch { /* closed */ }
    back.close();
    await Deno.remove(dir, { recursive: true });
  }
});
