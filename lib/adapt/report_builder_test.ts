import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { Prng } from "../netsim/mod.ts";
import { decodeLinkReport, encodeLinkReport, type LinkReport } from "../wire/v1/mod.ts";
import {
  ReportBuilder,
  type ReportBuilderOptions,
  type ReportDatagramHeader,
  type ReportParityFields,
} from "./report_builder.ts";

const STREAM = 0x5eed_0001;
const EPOCH_US = 1_700_000_000_000_000;
const DATAGRAM_BYTES = 1200;

function header(seq: number, index: number, count: number, flags = 0): ReportDatagramHeader {
  return {
    type: 0,
    flags,
    fragmentIndex: index,
    fragmentCount: count,
    streamId: STREAM,
    frameSeq: seq,
    captureUs: EPOCH_US + seq * 33_333,
  };
}

/** Collects every report `poll` returns while time runs from `fromMs` to `toMs` in 1 ms steps. */
function pollRange(builder: ReportBuilder, fromMs: number, toMs: number): LinkReport[] {
  const out: LinkReport[] = [];
  for (let t = fromMs; t <= toMs; t++) {
    const report = builder.poll(t);
    if (report !== null) out.push(report);
  }
  return out;
}

interface Frame {
  seq: number;
  count: number;
  /** Indexes that do not arrive. */
  lost?: number[];
}

/**
 * Plays frames 33 ms apart (frame k's datagrams at 33k + i * 0.1 ms), polling every ms, and
 * tells the builder which frames completed. Returns the reports.
 */
function play(builder: ReportBuilder, frames: Frame[], untilMs: number): LinkReport[] {
  const reports: LinkReport[] = [];
  let t = 0;
  for (const [k, frame] of frames.entries()) {
    const startMs = 33 * k;
    for (; t < startMs; t++) {
      const report = builder.poll(t);
      if (report !== null) reports.push(report);
    }
    const lost = new Set(frame.lost ?? []);
    for (let i = 0; i < frame.count; i++) {
      if (!lost.has(i)) {
        builder.onDatagram(header(frame.seq, i, frame.count), DATAGRAM_BYTES, startMs + i * 0.1);
      }
    }
    if (lost.size === 0) builder.onFrameComplete(frame.seq, startMs + frame.count * 0.1);
    else if (lost.size < frame.count) builder.onFrameDropped(frame.seq, startMs + 30);
  }
  reports.push(...pollRange(builder, t, untilMs));
  return reports;
}

function sum(reports: LinkReport[], key: keyof LinkReport): number {
  return reports.reduce((total, report) => total + (report[key] as number), 0);
}

Deno.test("a clean stream is reported every 200 ms with what arrived", () => {
  const builder = new ReportBuilder();
  const frames = Array.from({ length: 30 }, (_, k) => ({ seq: 100 + k, count: 4 }));
  const reports = play(builder, frames, 1000);
  deepStrictEqual(reports.map((r) => r.reportSeq), [0, 1, 2, 3, 4]);
  deepStrictEqual(reports.map((r) => r.intervalMs), [200, 200, 200, 200, 200]);
  const last = reports.at(-1)!;
  equal(last.totalDatagramsReceived, 120);
  equal(last.totalDatagramsLost, 0);
  equal(last.totalFramesCompleted, 30);
  equal(last.totalFramesLost, 0);
  equal(sum(reports, "datagramsReceived"), 120);
  equal(sum(reports, "bytesReceived"), 120 * DATAGRAM_BYTES);
  equal(sum(reports, "framesCompleted"), 30);
  // The first report covers frames 0..6 (0..198 ms): 7 frames, 28 datagrams.
  equal(reports[0].framesCompleted, 7);
  equal(reports[0].datagramsReceived, 28);
  // Echo: the newest frame seen and how long ago its first datagram came.
  equal(reports[0].echoFrameSeq, 106);
  equal(reports[0].echoCaptureUsLow, (EPOCH_US + 106 * 33_333) % 2 ** 32);
  equal(reports[0].holdUs, 2_000); // frame 6 arrived at 198 ms, report at 200 ms
  equal(reports[0].delaySamples, 7);
  equal(reports[0].queueDelayUs, 0);
  for (const report of reports) equal(report.streamId, STREAM);
});

Deno.test("loss is counted when the frame closes and reported early", () => {
  const builder = new ReportBuilder();
  const frames: Frame[] = Array.from({ length: 10 }, (_, k) => ({ seq: k, count: 5 }));
  frames[3].lost = [1, 4]; // frame 3 (at 99 ms) loses two
  const reports = play(builder, frames, 600);
  // Frame 3 closes 10 ms after frame 4's first datagram (132 ms): an early report at 142 ms.
  equal(reports[0].intervalMs, 142);
  equal(reports[0].datagramsLost, 2);
  equal(reports[0].framesLost, 1);
  equal(builder.counters.earlyReports, 1);
  const last = reports.at(-1)!;
  equal(last.totalDatagramsLost, 2);
  equal(last.totalDatagramsReceived, 48);
  equal(last.totalFramesCompleted, 9);
  equal(last.totalFramesLost, 1);
});

Deno.test("a receiver that joins mid-frame counts none of that frame's datagrams as lost", () => {
  // Started after the sender: frame 0's first two are gone.
  const builder = new ReportBuilder();
  const frames: Frame[] = Array.from({ length: 10 }, (_, k) => ({ seq: 40 + k, count: 5 }));
  frames[0].lost = [0, 1];
  const reports = play(builder, frames, 600);
  equal(builder.counters.beforeFirstFrame, 3);
  const last = reports.at(-1)!;
  equal(last.totalDatagramsLost, 0);
  equal(last.totalDatagramsReceived, 45);
  equal(last.totalFramesCompleted, 9);
  // A later frame that loses its first datagrams is loss as ever.
  const later = new ReportBuilder();
  const more: Frame[] = Array.from({ length: 10 }, (_, k) => ({ seq: k, count: 5 }));
  more[4].lost = [0, 1];
  equal(play(later, more, 600).at(-1)!.totalDatagramsLost, 2);
  equal(later.counters.beforeFirstFrame, 0);
});

Deno.test("skipFirstFrame (--key): the first frame is left out even from its fragment 0", () => {
  // The session's first datagram opened; the next two came while its key was derived.
  const builder = new ReportBuilder({ skipFirstFrame: true });
  const frames: Frame[] = Array.from({ length: 10 }, (_, k) => ({ seq: 7 + k, count: 5 }));
  frames[0].lost = [1, 2];
  const last = play(builder, frames, 600).at(-1)!;
  equal(builder.counters.beforeFirstFrame, 3);
  equal(last.totalDatagramsLost, 0);
  equal(last.totalDatagramsReceived, 45);
});

Deno.test("frames of which nothing arrived are lost, their datagrams estimated", () => {
  const builder = new ReportBuilder();
  const frames: Frame[] = Array.from({ length: 12 }, (_, k) => ({ seq: k, count: 6 }));
  frames[5].lost = [0, 1, 2, 3, 4, 5];
  frames[6].lost = [0, 1, 2, 3, 4, 5];
  const reports = play(builder, frames, 800);
  const last = reports.at(-1)!;
  equal(last.totalFramesLost, 2);
  equal(last.totalDatagramsLost, 12); // 2 frames × the recent 6 datagrams per frame
  equal(last.totalDatagramsReceived, 60);
});

Deno.test("a frame overtaken by the next one still counts as received", () => {
  const builder = new ReportBuilder();
  builder.onDatagram(header(1, 0, 2), DATAGRAM_BYTES, 0);
  builder.onDatagram(header(1, 1, 2), DATAGRAM_BYTES, 0.1);
  builder.onDatagram(header(3, 0, 2), DATAGRAM_BYTES, 66); // frame 2 not seen yet: a gap
  builder.onDatagram(header(2, 0, 2), DATAGRAM_BYTES, 67); // ...but it was only late
  builder.onDatagram(header(2, 1, 2), DATAGRAM_BYTES, 67.1);
  builder.onDatagram(header(3, 1, 2), DATAGRAM_BYTES, 67.2);
  const [report] = pollRange(builder, 68, 300);
  equal(report.totalDatagramsReceived, 6);
  equal(report.totalDatagramsLost, 0);
  equal(report.totalFramesLost, 0);
});

Deno.test("retransmissions, duplicates and late datagrams add bytes but not receptions", () => {
  const builder = new ReportBuilder();
  builder.onDatagram(header(1, 0, 3), DATAGRAM_BYTES, 0);
  builder.onDatagram(header(1, 2, 3), DATAGRAM_BYTES, 0.1);
  builder.onDatagram(header(1, 2, 3), DATAGRAM_BYTES, 0.2); // duplicate
  builder.onDatagram(header(2, 0, 1), DATAGRAM_BYTES, 33);
  builder.onDatagram(header(1, 1, 3, 0x01), DATAGRAM_BYTES, 40); // retransmission of the lost one
  builder.onDatagram(header(1, 1, 3), DATAGRAM_BYTES, 60); // the original, after its frame closed
  const [report] = pollRange(builder, 61, 300);
  equal(report.datagramsReceived, 3);
  equal(report.datagramsLost, 1);
  equal(report.bytesReceived, 6 * DATAGRAM_BYTES);
  equal(builder.counters.duplicates, 1);
  equal(builder.counters.retransmissions, 1);
  equal(builder.counters.late, 1);
});

const parityOf = (k: number, m: number, p: number): ReportParityFields => ({
  groupData: k,
  groupParity: m,
  parityIndex: p,
});
const parityHeader = (seq: number, group: number, count: number) => ({
  ...header(seq, group, count),
  type: 1,
});

/** Sends frame `seq` at `atMs`: 4 data fragments, then M parities of one group (K = 4). */
function sendWithParity(
  builder: ReportBuilder,
  seq: number,
  atMs: number,
  m: number,
  lost: number[] = [],
): void {
  for (let position = 0; position < 4 + m; position++) {
    if (lost.includes(position)) continue;
    const at = atMs + position * 0.1;
    if (position < 4) builder.onDatagram(header(seq, position, 4), DATAGRAM_BYTES, at);
    else {
      builder.onDatagram(
        parityHeader(seq, 0, 4),
        DATAGRAM_BYTES + 4,
        at,
        parityOf(4, m, position - 4),
      );
    }
  }
}

Deno.test("parity positions count, also for a frame whose parity never came", () => {
  const builder = new ReportBuilder();
  // Frame 0: 4 data in 2 groups of 2, 2 parities per group; one data and one parity lost.
  for (const i of [0, 1, 3]) builder.onDatagram(header(0, i, 4), DATAGRAM_BYTES, i * 0.1);
  builder.onDatagram(parityHeader(0, 0, 4), DATAGRAM_BYTES + 4, 0.5, parityOf(2, 2, 0));
  builder.onDatagram(parityHeader(0, 1, 4), DATAGRAM_BYTES + 4, 0.6, parityOf(2, 2, 0));
  builder.onDatagram(parityHeader(0, 0, 4), DATAGRAM_BYTES + 4, 0.7, parityOf(2, 2, 1));
  // Frames 1..8: the stream's FEC is K = 4, M = 2, all of it arrives.
  for (let seq = 1; seq <= 8; seq++) sendWithParity(builder, seq, 33 * seq, 2);
  // Frame 9: only its data came; the stream carries parity, so its 2 parities are lost.
  sendWithParity(builder, 9, 33 * 9, 2, [4, 5]);
  builder.onDatagram(header(10, 0, 1), DATAGRAM_BYTES, 330);
  const report = pollRange(builder, 331, 500).at(-1)!;
  equal(report.totalDatagramsReceived, 6 + 8 * 6 + 4 + 1);
  equal(report.totalDatagramsLost, 2 + 2);
});

Deno.test("padding parity on some frames is not expected of the others", () => {
  const builder = new ReportBuilder();
  // A probing sender pads some frames with extra parity and sends others bare.
  for (let seq = 0; seq < 20; seq++) sendWithParity(builder, seq, 33 * seq, seq % 3 === 0 ? 5 : 0);
  // A stream with fixed FEC (M = 2) whose frames are sometimes padded to M = 4.
  for (let seq = 20; seq < 40; seq++) sendWithParity(builder, seq, 33 * seq, seq % 4 === 0 ? 4 : 2);
  // Then a frame whose parity all went missing: the fixed M = 2 is expected, not 4.
  sendWithParity(builder, 40, 33 * 40, 2, [4, 5]);
  builder.onDatagram(header(41, 0, 1), DATAGRAM_BYTES, 33 * 41);
  const report = pollRange(builder, 33 * 41 + 1, 33 * 41 + 300).at(-1)!;
  equal(report.totalDatagramsLost, 2);
});

Deno.test("an impossible datagram is ignored", () => {
  const builder = new ReportBuilder();
  builder.onDatagram(header(1, 5, 3), DATAGRAM_BYTES, 0); // index past the count
  builder.onDatagram(header(1, 0, 3), 30, 0); // shorter than a header and a byte
  builder.onDatagram({ ...header(1, 0, 3), type: 2 }, DATAGRAM_BYTES, 0); // a NACK
  builder.onDatagram({ ...header(1, 0, 3), type: 1 }, DATAGRAM_BYTES, 0); // parity, no fields
  equal(builder.counters.ignored, 4);
  equal(builder.streamId, null);
  equal(builder.poll(1000), null);
});

Deno.test("reports stop when the stream goes silent and resume with it", () => {
  const builder = new ReportBuilder();
  builder.onDatagram(header(1, 0, 1), DATAGRAM_BYTES, 0);
  const during = pollRange(builder, 1, 5000);
  // Reports at 200, 400, ..., 2000 ms (nothing received after the first), then silence.
  equal(during.length, 10);
  equal(during.at(-1)!.datagramsReceived, 0);
  equal(builder.nextPollMs(), null);
  builder.onDatagram(header(2, 0, 1), DATAGRAM_BYTES, 6000);
  const after = pollRange(builder, 6001, 6200);
  equal(after.length, 1);
  equal(after[0].intervalMs, 200);
  equal(after[0].datagramsReceived, 1);
});

Deno.test("loss on every frame is reported at most maxReportsPerSecond times a second", () => {
  const builder = new ReportBuilder({ maxReportsPerSecond: 10 });
  const frames: Frame[] = Array.from({ length: 90 }, (_, k) => ({ seq: k, count: 4, lost: [2] }));
  const reports = play(builder, frames, 3300);
  const times: number[] = [];
  let at = 0;
  for (const report of reports) times.push(at += report.intervalMs);
  for (const [i, t] of times.entries()) {
    const inSecond = times.filter((u) => u > t - 1000 && u <= t).length;
    ok(inSecond <= 10, `report ${i} at ${t} ms: ${inSecond} in the last second`);
  }
  // Early reports are spaced 1000 / 10 ms apart rather than bunched at the start of a second.
  ok(reports.every((r) => r.intervalMs >= 100), reports.map((r) => r.intervalMs).join(" "));
  equal(reports.at(-1)!.totalDatagramsLost, 90);
});

Deno.test("a new stream id starts the figures again", () => {
  const builder = new ReportBuilder();
  play(builder, [{ seq: 1, count: 2 }, { seq: 2, count: 2 }], 250);
  builder.onDatagram({ ...header(77, 0, 1), streamId: 0xabc }, DATAGRAM_BYTES, 300);
  const [report] = pollRange(builder, 301, 500);
  equal(report.streamId, 0xabc);
  equal(report.reportSeq, 0);
  equal(report.totalDatagramsReceived, 1);
  equal(builder.counters.streamSwitches, 1);
});

Deno.test("a growing queue shows in the delay figures", () => {
  const builder = new ReportBuilder();
  // Frames 33 ms apart whose first fragment arrives 3 ms later each time.
  for (let k = 0; k < 30; k++) {
    builder.onDatagram(header(k, 0, 1), DATAGRAM_BYTES, 33.333 * k + 3 * k);
  }
  const report = builder.poll(33.333 * 29 + 3 * 29 + 1)!;
  ok(report.queueDelayUs >= 80_000, `queue ${report.queueDelayUs}`);
  ok(report.delayTrendUsPerS >= 60_000, `trend ${report.delayTrendUsPerS}`);
  equal(report.delaySamples, 30);
});

const FUZZ_OPTIONS: Partial<ReportBuilderOptions> = { maxFrames: 8 };

Deno.test("fuzz: received + lost = datagrams of the frames seen, and reports add up", () => {
  for (let seed = 1; seed <= 30; seed++) {
    const prng = new Prng(seed);
    const builder = new ReportBuilder(FUZZ_OPTIONS);
    const reports: LinkReport[] = [];
    let expected = 0;
    let t = 0;
    for (let seq = 0; seq < 200; seq++) {
      const count = prng.int(1, 12);
      expected += count;
      const order = prng.shuffle([...Array(count).keys()]);
      // Index 0 always arrives, so no frame is wholly lost and the identity is exact.
      const arriving = order.filter((i) => i === 0 || prng.next() > 0.2);
      for (const i of arriving) {
        t += prng.next() * 5;
        builder.onDatagram(header(seq, i, count), prng.int(31, 1500), t);
        if (prng.next() < 0.05) builder.onDatagram(header(seq, i, count), 100, t); // duplicate
        if (prng.next() < 0.05) builder.onDatagram(header(seq, i, count, 1), 100, t);
        const report = builder.poll(t);
        if (report !== null) reports.push(report);
      }
    }
    reports.push(...pollRange(builder, Math.ceil(t), Math.ceil(t) + 1000));
    const last = reports.at(-1)!;
    equal(last.totalDatagramsReceived + last.totalDatagramsLost, expected, `seed ${seed}`);
    equal(sum(reports, "datagramsReceived"), last.totalDatagramsReceived, `seed ${seed}`);
    equal(sum(reports, "datagramsLost"), last.totalDatagramsLost, `seed ${seed}`);
    for (const [i, report] of reports.entries()) {
      equal(report.reportSeq, i);
      deepStrictEqual(decodeLinkReport(encodeLinkReport(report)), { ok: true, report });
    }
  }
});
