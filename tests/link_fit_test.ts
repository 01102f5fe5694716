/**
 * Link fitting end to end (issue #17): the real programs through tools/relay.ts's bottleneck, a
 * `--adapt off` stream checked byte for byte, and `--max-rate` on the wires without reports.
 * No timings are asserted; counts and rates are.
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { type LinkRunResult, runThroughBottleneck } from "./support/link_run.ts";
import { readMjpegFrames } from "./support/mjpeg.ts";
import { jsonLines, requireTool, startProgram } from "./support/programs.ts";
import { decodeHeader, fragmentFrame, type WireHeader } from "../lib/wire/v1/mod.ts";

type Stats = Record<string, unknown>;

function framesComplete(result: LinkRunResult): number {
  return (result.receiver.at(-1)?.frames as { complete: number }).complete;
}

function lastLink(result: LinkRunResult): Stats | null {
  return (result.sender.at(-1)?.link ?? null) as Stats | null;
}

async function inTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "udpcam-link-" });
  try {
    return await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("through a 4 Mbit/s bottleneck with a 60 ms queue the picture keeps moving; --adapt off collapses", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const bottleneck = ["--rate-kbps", "4000", "--queue-ms", "60"];
  const run = (senderFlags: string[]) =>
    inTempDir((dir) =>
      runThroughBottleneck({
        size: "1280x720",
        fps: 30,
        durationS: 7,
        relayFlags: bottleneck,
        senderFlags,
        dir,
      })
    );
  // Side by side, through two relays: the same machine load for both.
  const [adapted, today] = await Promise.all([run([]), run(["--adapt", "off"])]);
  const describe = (r: LinkRunResult) =>
    JSON.stringify({ complete: framesComplete(r), link: lastLink(r), relay: r.relay });
  equal(adapted.framesCorrupted, 0, describe(adapted));
  equal(today.framesCorrupted, 0, describe(today));
  // About 20 fps (140 frames) is typical; a loaded machine delivers less (36 in one run of the
  // whole suite on 2 cores, both runs and the suite's other tests side by side), never as little
  // as --adapt off (0 to 3).
  ok(framesComplete(adapted) >= 30, `adapted: ${describe(adapted)}`);
  ok(
    framesComplete(adapted) >= 5 * framesComplete(today) + 30,
    `adapted ${framesComplete(adapted)} vs --adapt off ${framesComplete(today)}`,
  );
  // The sender's chosen rate fell below the cap (it then probes around it), what it sent stayed
  // within it, and it says why.
  const targets = adapted.sender.map((line) => (line.link as Stats).targetMbps as number | null);
  ok(targets.some((t) => t !== null && t < 4), `targets ${targets.join(" ")}`);
  const sentMbps = adapted.sender.slice(1).map((line) => line.mbps as number);
  ok(
    sentMbps.reduce((a, b) => a + b, 0) / sentMbps.length <= 4,
    `sent ${sentMbps.join(" ")} Mbit/s`,
  );
  const link = lastLink(adapted)!;
  ok(String((link.picture as Stats).reason).startsWith("link "), describe(adapted));
  const receivers = link.receivers as Stats[];
  equal(receivers.length, 1);
  ok((receivers[0].reportsAccepted as number) > 10, describe(adapted));
  // The receiver reported to it.
  const reported = adapted.receiver.at(-1)?.link as Stats;
  ok((reported.reportsSent as number) > 10, JSON.stringify(reported));
  equal(lastLink(today), null, "--adapt off built link fitting");
});

Deno.test("--adapt off sends today's datagrams byte for byte, whatever reports come back", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-adapt-off-" });
  const receiver = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (receiver.addr as Deno.NetAddr).port;
  try {
    const arrived: Uint8Array[] = [];
    const receiving = (async () => {
      const buffer = new Uint8Array(65_536);
      let reports = 0;
      // Bounded by the socket: closing it ends the loop.
      for (;;) {
        let datagram: Uint8Array;
        let from: Deno.Addr;
        try {
          [datagram, from] = await receiver.receive(buffer);
        } catch {
          return reports;
        }
        arrived.push(datagram.slice());
        // A report claiming a hopeless link after every frame's first datagram: ignored.
        if (datagram[7] === 0 && datagram[6] === 0 && reports < 40) {
          const report = new Uint8Array(68);
          report.set([0x55, 0x43, 1, 3, 0, 0, 0, 200]);
          report.set(datagram.subarray(10, 14), 8);
          new DataView(report.buffer).setUint32(12, reports++);
          await receiver.send(report, from);
        }
      }
    })();
    const sender = startProgram("sender.ts", [
      ...["--test-pattern", "--size", "640x480", "--to", `127.0.0.1:${port}`, "--frames", "30"],
      ...["--save", `${dir}/sent.mjpeg`, "--stats-json", "--adapt", "off"],
    ]);
    const sent = await sender.done;
    equal(sent.code, 0, sent.stderr);
    await new Promise((resolve) => setTimeout(resolve, 300));
    receiver.close();
    ok(await receiving > 10, "no report was sent back");
    const last = jsonLines(sent.stdout).at(-1)!;
    deepStrictEqual([last.link, last.picture], [null, null]);
    // Every datagram is what the v1 fragmenter makes of the saved frame, nothing more: no
    // padding, fragments of today's size (no room kept for parity).
    const frames = readMjpegFrames(`${dir}/sent.mjpeg`);
    equal(frames.length, 30);
    const firsts: WireHeader[] = [];
    for (const datagram of arrived) {
      const decoded = decodeHeader(datagram);
      if (decoded.ok && decoded.header.fragmentIndex === 0) firsts.push(decoded.header);
    }
    equal(firsts.length, 30, "a frame was lost on loopback");
    const expected: number[][] = [];
    for (const header of firsts) {
      const datagrams = fragmentFrame(frames[header.frameSeq], {
        streamId: header.streamId,
        frameSeq: header.frameSeq,
        captureUs: header.captureUs,
      }, 1200);
      for (const datagram of datagrams) expected.push([...datagram]);
    }
    equal(arrived.length, expected.length);
    deepStrictEqual(arrived.map((d) => [...d]), expected);
  } finally {
    try {
      receiver.close();
    } catch { /* closed */ }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--max-rate holds on the wires without reports: legacy and rtp (table)", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const capMbit = 1.5;
  const run = async (wire: string) => {
    const sink = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const port = (sink.addr as Deno.NetAddr).port;
    let bytes = 0;
    let firstMs = 0;
    let lastMs = 0;
    const receiving = (async () => {
      const buffer = new Uint8Array(65_536);
      // Bounded by the socket: closing it ends the loop.
      for (;;) {
        try {
          const [datagram] = await sink.receive(buffer);
          lastMs = performance.now();
          if (bytes === 0) firstMs = lastMs;
          bytes += datagram.length;
        } catch {
          return;
        }
      }
    })();
    // 640x480 at quality 80: about 5 Mbit/s, over three times the cap.
    const sender = startProgram("sender.ts", [
      ...["--test-pattern", "--size", "640x480", "--to", `127.0.0.1:${port}`],
      ...["--wire", wire, "--max-rate", String(capMbit), "--frames", "90", "--stats-json"],
    ]);
    const sent = await sender.done;
    await new Promise((resolve) => setTimeout(resolve, 200));
    sink.close();
    await receiving;
    return { wire, sent, bytes, seconds: (lastMs - firstMs) / 1000 };
  };
  const results = await Promise.all(["legacy", "rtp"].map(run));
  for (const { wire, sent, bytes, seconds } of results) {
    equal(sent.code, 0, sent.stderr);
    const last = jsonLines(sent.stdout).at(-1)!;
    const link = last.link as Stats;
    equal(link.adapt, false, wire);
    equal(link.maxRateMbps, capMbit, wire);
    // Frames that did not fit were skipped: by the budget, or waiting behind the paced ones.
    const skipped = (link.framesSkipped as number) + (last.framesSkipped as number);
    ok(skipped > 0 && (last.framesSent as number) < 90, `${wire}: nothing skipped`);
    // What arrived stays within the cap over the run, plus the budget's burst allowance (two
    // 150 ms depths and a frame): an upper bound, so a slow machine only makes it easier.
    const allowedBytes = (capMbit * 1e6 / 8) * (seconds + 0.3) + 60_000;
    ok(bytes <= allowedBytes, `${wire}: ${bytes} bytes in ${seconds} s, cap ${capMbit} Mbit/s`);
    ok(bytes > 0, `${wire}: nothing arrived`);
  }
});
