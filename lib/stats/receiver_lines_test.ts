import { deepStrictEqual, equal } from "node:assert/strict";
import {
  type ReceiverLineInput,
  receiverStatsLine,
  receiverStatusText,
  receiverTitleStats,
} from "./receiver_lines.ts";
import type { ReceiverReport } from "./receiver_report.ts";

/** An interval with frames, latency and a repair: every part of the status text shows. */
const REPORT: ReceiverReport = {
  elapsedS: 3,
  frames: { complete: 90, dropped: 2, droppedBy: { expired: 2 } },
  datagrams: { received: 900, accepted: 890, invalid: 4, duplicate: 6, droppedBy: { short: 4 } },
  fps: 30,
  mbps: 12.5,
  latencyMs: { p50: 3.25, p95: 5.5, p99: 8, samples: 30 },
  streamId: "0x00000abc",
  recovery: {
    fecFragments: 3,
    fecFrames: 1,
    retransmittedFragments: 0,
    retransmittedFrames: 0,
    nacksSent: 0,
  },
  problem: null,
  replies: { sourceChanges: 1, fromOtherSources: 0, repliesLimited: 0 },
  link: {
    reportsSent: 15,
    reportSendErrors: 0,
    to: "10.0.0.2:40000",
    lossPercent: 0.5,
    deliveredFps: 30,
    receiveMbps: 12.4,
    queueDelayMs: 1.5,
    delayTrendMsPerS: -0.2,
  },
};
const MEMORY = { rss: 81.2, heapUsed: 5.3, external: 1.1, workerHeapUsed: 4.9 };
const PRESENTED = { p50: 9.5, p95: 12, p99: 15, samples: 29 };
const PRESENTED_RUN = { p50: 9, p95: 11, p99: 14.5, samples: 60 };
const LATENCY_RUN = { p50: 3, p95: 5, p99: 7.75, samples: 60 };
const DISPLAY = {
  counters: { decoder: "turbo", framesShown: 85, framesUndecodable: 1, framesSkipped: 4 },
  presentedLatencyMs: PRESENTED,
};
const BASE: ReceiverLineInput = {
  report: REPORT,
  framesMalformed: { noEoi: 1 },
  memoryMB: MEMORY,
  heapCollections: 2,
  display: null,
  final: null,
  httpViewers: null,
};
const FINAL = { latencyMsRun: LATENCY_RUN, firstFrameCompleteMs: 812.34 };

/** The report part of every line, in its order. */
const REPORT_JSON =
  '{"elapsedS":3,"frames":{"complete":90,"dropped":2,"droppedBy":{"expired":2}},' +
  '"datagrams":{"received":900,"accepted":890,"invalid":4,"duplicate":6,"droppedBy":' +
  '{"short":4}},"fps":30,"mbps":12.5,"latencyMs":{"p50":3.25,"p95":5.5,"p99":8,"samples":30},' +
  '"streamId":"0x00000abc","recovery":{"fecFragments":3,"fecFrames":1,' +
  '"retransmittedFragments":0,"retransmittedFrames":0,"nacksSent":0},"problem":null,' +
  '"replies":{"sourceChanges":1,"fromOtherSources":0,"repliesLimited":0},"link":{' +
  '"reportsSent":15,"reportSendErrors":0,"to":"10.0.0.2:40000","lossPercent":0.5,' +
  '"deliveredFps":30,"receiveMbps":12.4,"queueDelayMs":1.5,"delayTrendMsPerS":-0.2}';
/** What the receiver adds to every line. */
const RECEIVER_JSON = '"framesMalformed":{"noEoi":1},"memoryMB":{"rss":81.2,"heapUsed":5.3,' +
  '"external":1.1,"workerHeapUsed":4.9},"heapCollections":2';
/** What a window adds to every line. */
const DISPLAY_JSON = '"decoder":"turbo","framesShown":85,"framesUndecodable":1,' +
  '"framesSkipped":4,"presentedLatencyMs":{"p50":9.5,"p95":12,"p99":15,"samples":29}';
/** What the last line adds. */
const FINAL_JSON = '"final":true,"latencyMsRun":{"p50":3,"p95":5,"p99":7.75,"samples":60},' +
  '"firstFrameCompleteMs":812.34';
/** What the last line adds with a window. */
const FINAL_DISPLAY_JSON = '"presentedLatencyMsRun":{"p50":9,"p95":11,"p99":14.5,"samples":60},' +
  '"firstFramePresentedMs":901.5';

const STATUS = "udpcam-recv 0.0.0.0:12345 | 30.0 fps 12.50 Mbit/s | frames 90 ok, 2 lost " +
  "(2.2%) | latency p50 3.3 ms p95 5.5 ms | datagrams 900, 4 invalid | repaired 1 by FEC, 0 by " +
  "NACK | reports 15 to 10.0.0.2:40000: loss 0.5 %, 30.0 fps, queue 1.5 ms";
const SHOWN = " | shown 85, skipped 4, undecodable 1";

Deno.test("receiverStatsLine, receiverStatusText, receiverTitleStats: the exact output", () => {
  const cases: {
    name: string;
    input: ReceiverLineInput;
    json: string;
    text: string;
    title: ReturnType<typeof receiverTitleStats>;
  }[] = [
    {
      name: "headless",
      input: BASE,
      json: `${REPORT_JSON},${RECEIVER_JSON}}`,
      text: STATUS,
      title: null,
    },
    {
      name: "headless, last line",
      input: { ...BASE, final: FINAL },
      json: `${REPORT_JSON},${RECEIVER_JSON},${FINAL_JSON}}`,
      text: STATUS,
      title: null,
    },
    {
      name: "window and --http",
      input: { ...BASE, display: DISPLAY, httpViewers: 3 },
      json: `${REPORT_JSON},${RECEIVER_JSON},${DISPLAY_JSON}}`,
      text: `${STATUS}${SHOWN} | 3 browser viewers`,
      // The latency to the screen, not to frame complete.
      title: {
        fps: 30,
        mbps: 12.5,
        framesComplete: 90,
        framesDropped: 2,
        latencyP50Ms: 9.5,
        problem: null,
      },
    },
    {
      name: "window, last line",
      input: {
        ...BASE,
        display: { ...DISPLAY, presentedLatencyMsRun: PRESENTED_RUN, firstFramePresentedMs: 901.5 },
        final: FINAL,
      },
      json: `${REPORT_JSON},${RECEIVER_JSON},${DISPLAY_JSON},${FINAL_JSON},${FINAL_DISPLAY_JSON}}`,
      text: `${STATUS}${SHOWN}`,
      title: null,
    },
  ];
  for (const c of cases) {
    equal(JSON.stringify(receiverStatsLine(c.input)), c.json, c.name);
    equal(receiverStatusText("0.0.0.0:12345", c.input), c.text, c.name);
    deepStrictEqual(receiverTitleStats(c.input), c.title, c.name);
  }
});

Deno.test("nothing measured yet: nulls stay in the line, and the title falls back", () => {
  const waiting: ReceiverReport = {
    ...REPORT,
    frames: { complete: 0, dropped: 0, droppedBy: {} },
    datagrams: { received: 0, accepted: 0, invalid: 0, duplicate: 0, droppedBy: {} },
    fps: 0,
    mbps: 0,
    latencyMs: null,
    streamId: null,
    recovery: { ...REPORT.recovery, fecFragments: 0, fecFrames: 0 },
    replies: null,
    link: null,
  };
  const display = {
    counters: { decoder: "wasm", framesShown: 0, framesUndecodable: 0, framesSkipped: 0 },
    presentedLatencyMs: null,
  };
  const input = { ...BASE, report: waiting, framesMalformed: {}, display };
  const line = receiverStatsLine({
    ...input,
    final: { latencyMsRun: null, firstFrameCompleteMs: null },
  });
  deepStrictEqual(
    [
      line.framesMalformed,
      line.latencyMsRun,
      line.firstFrameCompleteMs,
      line.presentedLatencyMsRun,
      line.firstFramePresentedMs,
    ],
    [{}, null, null, null, null],
  );
  equal(
    receiverStatusText("127.0.0.1:9", input),
    "udpcam-recv 127.0.0.1:9 | 0.0 fps 0.00 Mbit/s | frames 0 ok, 0 lost (0.0%) | datagrams 0, " +
      "0 invalid | waiting for stream | shown 0, skipped 0, undecodable 0",
  );
  equal(receiverTitleStats(input)?.latencyP50Ms, null);
  // Without a latency to the screen, the title shows the latency to frame complete.
  equal(receiverTitleStats({ ...input, report: REPORT })?.latencyP50Ms, 3.25);
});

Deno.test("the line copies framesMalformed: later counts do not change a line already built", () => {
  const malformed: Record<string, number> = { noSoi: 1 };
  const line = receiverStatsLine({ ...BASE, framesMalformed: malformed });
  malformed.noSoi = 5;
  deepStrictEqual(line.framesMalformed, { noSoi: 1 });
});
