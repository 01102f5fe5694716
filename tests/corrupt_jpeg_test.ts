/**
 * Corrupt JPEG bytes inside correctly reassembled frames (possible without --key): the receiver
 * never records frames that are not JPEGs (counted as framesMalformed), the window's decoder
 * rejects them and what only decoding finds (framesUndecodable), and nothing crashes — headless
 * and with a window (SDL dummy driver).
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { makeJpegs } from "./support/test_jpegs.ts";
import { fragmentFrame } from "../lib/wire/v1/mod.ts";
import { findScanEnd, parseJpeg } from "../lib/jpeg/mod.ts";
import { Prng } from "../lib/netsim/mod.ts";
import { readMjpegFrames } from "./support/mjpeg.ts";
import { freeUdpPort, jsonLines, startProgram, stopProgram } from "./support/programs.ts";

/** A JPEG with the same markers whose entropy-coded data is random (never 0xFF). */
function garbleScan(jpeg: Uint8Array, prng: Prng): Uint8Array {
  const parsed = parseJpeg(jpeg);
  if (!parsed.ok) throw new Error(`Cannot garble: the test JPEG does not parse (${parsed.reason})`);
  const out = jpeg.slice();
  // The scan data starts after the last SOS segment; find it from the end marker backwards.
  const sos = out.lastIndexOf(0xda) - 1;
  const start = sos + 2 + ((out[sos + 2] << 8) | out[sos + 3]);
  const end = findScanEnd(out, start);
  for (let i = start; i < end; i++) out[i] = prng.int(0, 0xfe);
  return out;
}

async function frames(): Promise<{ sent: Uint8Array[]; good: Uint8Array[]; malformed: number }> {
  const jpegs = await makeJpegs({ source: "testsrc2", width: 320, height: 240, frames: 4 });
  const prng = new Prng(5);
  const notJpeg = prng.bytes(5000);
  const truncated = jpegs[1].slice(0, jpegs[1].length >> 1);
  const garbled = garbleScan(jpegs[2], prng);
  equal(parseJpeg(garbled).ok, true, "the garbled frame keeps its marker structure");
  const sent = [jpegs[0], notJpeg, truncated, garbled, jpegs[3]];
  return { sent, good: [jpegs[0], garbled, jpegs[3]], malformed: 2 };
}

async function sendFrames(port: number, sent: Uint8Array[]): Promise<void> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    for (const [seq, frame] of sent.entries()) {
      const meta = { streamId: 0xc0ffee, frameSeq: seq, captureUs: Date.now() * 1000 };
      for (const datagram of fragmentFrame(frame, meta, 1200)) {
        await socket.send(datagram, { transport: "udp", hostname: "127.0.0.1", port });
      }
      // One frame at a time, so the window gets to decode each.
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  } finally {
    socket.close();
  }
}

for (const headless of [true, false]) {
  const name = headless ? "headless" : "window (SDL dummy driver)";
  Deno.test(`corrupt JPEG frames are skipped and counted, ${name}`, async () => {
    const { sent, good, malformed } = await frames();
    const dir = await Deno.makeTempDir({ prefix: "udpcam-corrupt-" });
    try {
      const port = freeUdpPort();
      const receiver = startProgram("receiver.ts", [
        "--listen",
        `127.0.0.1:${port}`,
        ...(headless ? ["--headless"] : []),
        "--record",
        `${dir}/received.mjpeg`,
        "--stats-json",
        "--duration",
        "60",
      ], { env: { SDL_VIDEODRIVER: "dummy" } });
      await receiver.waitForStderr(/listening on 127\.0\.0\.1:\d+/, 20_000);
      await sendFrames(port, sent);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const result = await stopProgram(receiver);
      equal(result.code, 0, `exit code ${result.code}\n${result.stderr}`);
      const last = jsonLines(result.stdout).at(-1)!;
      const counted = Object.values(last.framesMalformed as Record<string, number>)
        .reduce((a, b) => a + b, 0);
      equal(counted, malformed, JSON.stringify(last.framesMalformed));
      equal((last.frames as { complete: number }).complete, sent.length);
      deepStrictEqual(readMjpegFrames(`${dir}/received.mjpeg`), good);
      if (!headless) {
        const shown = last.framesShown as number;
        const undecodable = last.framesUndecodable as number;
        const skipped = last.framesSkipped as number;
        // The window gets every complete frame; its decoder rejects what is not a JPEG.
        equal(shown + undecodable + skipped, sent.length, result.stdout.slice(-1500));
        // Each non-JPEG frame is rejected by the decoder unless a newer frame replaced it first;
        // at most the three corrupt frames (the garbled one may decode) are undecodable.
        ok(undecodable + skipped >= malformed, result.stdout.slice(-1500));
        ok(undecodable <= sent.length - good.length + 1, result.stdout.slice(-1500));
        ok(shown >= 1, "no frame was shown");
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
