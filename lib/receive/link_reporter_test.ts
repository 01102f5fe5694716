import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { LinkReporter } from "./link_reporter.ts";
import {
  decodeLinkReport,
  encodeNack,
  fecParityDatagrams,
  fragmentFrame,
  LINK_REPORT_CLEAR_BYTES,
} from "../wire/v1/mod.ts";
import { DatagramOpener, DatagramSealer, RootKey, SEAL_OVERHEAD_BYTES } from "../crypto/mod.ts";

const STREAM = 0x0102_0304;

function frame(seq: number, fragments = 4): Uint8Array[] {
  return fragmentFrame(
    new Uint8Array(fragments * 1000).fill(seq),
    { streamId: STREAM, frameSeq: seq, captureUs: 1_700_000_000_000_000 + seq * 33_333 },
    1030,
  );
}

/** Feeds `frames` frames 33 ms apart, dropping the datagrams `lose` says, then polls at 210 ms. */
function run(frames: number, lose: (seq: number, index: number) => boolean) {
  const reporter = new LinkReporter();
  let completed = 0;
  for (let seq = 0; seq < frames; seq++) {
    const nowMs = seq * 33;
    let whole = true;
    for (const [index, datagram] of frame(seq).entries()) {
      if (lose(seq, index)) {
        whole = false;
        continue;
      }
      reporter.onDatagram(datagram, datagram.length, nowMs);
    }
    reporter.onFrames({ completed: whole ? 1 : 0, dropped: whole ? 0 : 1 }, nowMs);
    if (whole) completed++;
  }
  const datagram = reporter.poll(210);
  return { reporter, datagram, completed };
}

Deno.test("LinkReporter: what the report and the stats say (table)", () => {
  const table: {
    name: string;
    lose: (seq: number, index: number) => boolean;
    lossPercent: number;
    deliveredFps: number;
    framesLost: number;
  }[] = [
    { name: "clean", lose: () => false, lossPercent: 0, deliveredFps: 33.3, framesLost: 0 },
    {
      name: "fragment 3 of every other frame lost",
      lose: (seq, index) => seq % 2 === 1 && index === 3,
      // Frames 1, 3 and 5 lose one of their 4 datagrams: 3 lost, 25 received.
      lossPercent: 10.7,
      deliveredFps: 19,
      framesLost: 3,
    },
  ];
  for (const row of table) {
    const { reporter, datagram } = run(7, row.lose);
    ok(datagram !== null, row.name);
    const decoded = decodeLinkReport(datagram!);
    ok(decoded.ok, row.name);
    if (!decoded.ok) continue;
    equal(decoded.report.streamId, STREAM, row.name);
    equal(decoded.report.framesLost, row.framesLost, row.name);
    const stats = reporter.stats("10.0.0.2:5000", 1, 0);
    equal(stats.lossPercent, row.lossPercent, row.name);
    equal(stats.deliveredFps, row.deliveredFps, row.name);
    equal(stats.to, "10.0.0.2:5000", row.name);
    ok(stats.queueDelayMs !== null && stats.queueDelayMs >= 0, row.name);
  }
});

Deno.test("LinkReporter: NACKs and other non-media datagrams are not counted; no stream, no report", () => {
  const reporter = new LinkReporter();
  const nack = encodeNack({
    streamId: STREAM,
    frameSeq: 0,
    fragmentCount: 4,
    ranges: [{ first: 0, count: 1 }],
  });
  reporter.onDatagram(nack, nack.length, 0);
  reporter.onDatagram(new Uint8Array([1, 2, 3]), 3, 0);
  equal(reporter.counters.notMedia, 2);
  equal(reporter.poll(1000), null);
  equal(reporter.nextPollMs(), null);
  deepStrictEqual(reporter.stats(null), {
    reportsSent: 0,
    reportSendErrors: 0,
    to: null,
    lossPercent: null,
    deliveredFps: null,
    receiveMbps: null,
    queueDelayMs: null,
    delayTrendMsPerS: null,
  });
});

Deno.test("LinkReporter: parity counts as received, and the sealed size as the bytes the link carried", () => {
  const reporter = new LinkReporter();
  let bytes = 0;
  for (let seq = 0; seq < 6; seq++) {
    const data = frame(seq);
    const all = [
      ...data,
      ...fecParityDatagrams(data, {
        scheme: "xor",
        groupData: 2,
        groupParity: 1,
        interleaved: true,
      }),
    ];
    for (const datagram of all) {
      reporter.onDatagram(datagram, datagram.length + SEAL_OVERHEAD_BYTES, seq * 33);
      bytes += datagram.length + SEAL_OVERHEAD_BYTES;
    }
    reporter.onFrames({ completed: 1, dropped: 0 }, seq * 33);
  }
  const decoded = decodeLinkReport(reporter.poll(200)!);
  ok(decoded.ok);
  if (!decoded.ok) return;
  equal(decoded.report.datagramsReceived, 36, "4 fragments and 2 parities a frame");
  equal(decoded.report.datagramsLost, 0);
  equal(decoded.report.bytesReceived, bytes);
});

Deno.test("a report sealed under --key keeps its 16 fixed bytes in clear and opens to itself", async () => {
  const { datagram } = run(7, () => false);
  const root = await RootKey.derive("k", 1000);
  const sealer = await DatagramSealer.create(root, { startMs: 0 });
  // As the sender opens replies: they carry no capture time to check for freshness.
  const opener = new DatagramOpener(root, { maxClockSkewMs: null, forgetAfterMs: null });
  const sealed = await sealer.seal(datagram!);
  equal(sealed.length, datagram!.length + SEAL_OVERHEAD_BYTES);
  deepStrictEqual(sealed.subarray(0, 4), datagram!.subarray(0, 4));
  deepStrictEqual(sealed.subarray(5, LINK_REPORT_CLEAR_BYTES), datagram!.subarray(5, 16));
  const opened = await opener.open(sealed.slice(), { nowMs: 0, epochMs: 0 });
  ok(opened.ok, `did not open: ${JSON.stringify(opened)}`);
  if (opened.ok) deepStrictEqual(opened.datagram, datagram);
});
