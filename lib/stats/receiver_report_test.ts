import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { formatReceiverStatus, ReceiverReporter, streamProblem } from "./receiver_report.ts";

Deno.test("ReceiverReporter computes rates and sums drops by kind", () => {
  const reporter = new ReceiverReporter(0);
  const report = reporter.report(
    1000,
    {
      datagramsReceived: 100,
      bytesReceived: 125_000,
      datagramDrops: { short: 1, magic: 2, duplicate: 3, otherStream: 4 },
      framesComplete: 30,
      frameDrops: { expired: 1, superseded: 2 },
    },
    null,
    0xabc,
  );
  equal(report.fps, 30);
  equal(report.mbps, 1);
  deepStrictEqual(report.frames, {
    complete: 30,
    dropped: 3,
    droppedBy: { expired: 1, superseded: 2 },
  });
  equal(report.datagrams.invalid, 3);
  equal(report.datagrams.duplicate, 3);
  equal(report.streamId, "0x00000abc");
  match(
    formatReceiverStatus("0.0.0.0:1", report),
    /30\.0 fps 1\.00 Mbit\/s \| frames 30 ok, 3 lost \(9\.1%\)/,
  );
});

Deno.test("the status says when nothing arrives", () => {
  const report = new ReceiverReporter(0).report(1000, null, null, null);
  match(formatReceiverStatus("0.0.0.0:1", report), /waiting for stream/);
});

Deno.test("the recovery object reads FEC, retransmission and NACK counters when present", () => {
  const reporter = new ReceiverReporter(0);
  const base = {
    datagramsReceived: 10,
    bytesReceived: 1000,
    datagramDrops: {},
    framesComplete: 3,
    frameDrops: {},
  };
  deepStrictEqual(reporter.report(1000, base, null, 1).recovery, {
    fecFragments: 0,
    fecFrames: 0,
    retransmittedFragments: 0,
    retransmittedFrames: 0,
    nacksSent: 0,
  });
  const counters = {
    ...base,
    recoveredByFec: { fragments: 5, frames: 2 },
    recoveredByRetransmission: { fragments: 3, frames: 1 },
    nacksSent: 4,
  };
  deepStrictEqual(reporter.report(2000, counters, null, 1).recovery, {
    fecFragments: 5,
    fecFrames: 2,
    retransmittedFragments: 3,
    retransmittedFrames: 1,
    nacksSent: 4,
  });
  match(
    formatReceiverStatus("0.0.0.0:1", reporter.report(3000, counters, null, 1)),
    /repaired 2 by FEC, 1 by NACK$/,
  );
});

Deno.test("streamProblem names why datagrams make no frame, sealed problems first (table)", () => {
  const table: [Record<string, number>, RegExp | null][] = [
    [{ authFailed: 3, notFresh: 2 }, /fail authentication: check --key/],
    [{ notFresh: 5, keyPending: 1 }, /outside --max-clock-skew .*sync both clocks/],
    [{ sealVersion: 5 }, /another udpcam version/],
    [{ encrypted: 1 }, /start udpcam-recv with the sender's --key/],
    [{ staleSession: 4 }, null],
    [{}, null],
  ];
  for (const [drops, want] of table) {
    const problem = streamProblem(0, drops);
    if (want === null) equal(problem, null, JSON.stringify(drops));
    else ok(problem !== null && want.test(problem), `${JSON.stringify(drops)}: ${problem}`);
  }
  // A frame in the interval: no problem, whatever was dropped.
  equal(streamProblem(1, { notFresh: 100 }), null);
});
