import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { LinkFitter, type LinkFitterOptions, type ReportSource } from "./link_fitter.ts";
import { encodeLinkReport, fragmentFrame, type LinkReport } from "../wire/v1/mod.ts";
import { Prng } from "../netsim/mod.ts";
import { MAX_GROUP_RECEIVERS } from "./group_target.ts";

const MBIT = 1_000_000;
const STREAM = 0x0f17_0017;
const UNICAST: ReportSource = { destination: 0, group: false };
const EPOCH_US = 1_700_000_000_000_000;

function fitter(options: Partial<LinkFitterOptions> = {}): LinkFitter {
  return new LinkFitter({
    streamId: STREAM,
    destinations: [{ address: "10.0.0.2:5000", group: false }],
    adapt: true,
    ceilingBps: Number.POSITIVE_INFINITY,
    keyed: false,
    sourceFps: 30,
    ladder: {},
    ...options,
  });
}

/** A receiver's reports with consistent totals: each call is one interval. */
class Reports {
  #seq = 0;
  #totals = { received: 0, lost: 0, completed: 0, framesLost: 0 };
  constructor(readonly streamId = STREAM) {}

  next(interval: {
    intervalMs?: number;
    received: number;
    lost?: number;
    completed?: number;
    framesLost?: number;
    bytes: number;
    queueUs?: number;
    trendUsPerS?: number;
    echo?: { frameSeq: number; captureUs: number; holdUs: number };
  }): Uint8Array {
    const t = this.#totals;
    const lost = interval.lost ?? 0;
    const completed = interval.completed ?? 6;
    const framesLost = interval.framesLost ?? 0;
    t.received += interval.received;
    t.lost += lost;
    t.completed += completed;
    t.framesLost += framesLost;
    const report: LinkReport = {
      streamId: this.streamId,
      reportSeq: this.#seq++,
      intervalMs: interval.intervalMs ?? 200,
      totalDatagramsReceived: t.received,
      totalDatagramsLost: t.lost,
      totalFramesCompleted: t.completed,
      totalFramesLost: t.framesLost,
      datagramsReceived: interval.received,
      datagramsLost: lost,
      framesCompleted: completed,
      framesLost,
      bytesReceived: interval.bytes,
      // No echo: a frame number never sent (the sender counts it as unknown).
      echoFrameSeq: interval.echo?.frameSeq ?? 0xffff_fff0,
      echoCaptureUsLow: (interval.echo?.captureUs ?? 0) % 0x1_0000_0000,
      holdUs: interval.echo?.holdUs ?? 0,
      queueDelayUs: interval.queueUs ?? 0,
      delayTrendUsPerS: interval.trendUsPerS ?? 0,
      delaySamples: 20,
    };
    return encodeLinkReport(report);
  }
}

/**
 * Drives `link` for `durationMs`: a 30 fps stream of `frameBytes` frames sent, and every 200 ms a
 * report of what a bottleneck of `capacityBps` let through (what was offered beyond it lost, with
 * a full queue). Returns the decisions every 200 ms.
 */
function congested(
  link: LinkFitter,
  capacityBps: number,
  frameBytes: number,
  durationMs: number,
  reports = new Reports(),
  startMs = 0,
): { targetBps: number; state: string; pacingBps: number }[] {
  const out: { targetBps: number; state: string; pacingBps: number }[] = [];
  let sentInInterval = 0;
  let seq = 0;
  const recent: { frameSeq: number; captureUs: number; atMs: number }[] = [];
  for (let t = startMs; t < startMs + durationMs; t++) {
    if ((t - startMs) % 33 === 0) {
      const bytes = link.admitFrame(frameBytes, t) ? frameBytes : 0;
      if (bytes > 0) {
        link.onFrameSent(
          { frameSeq: seq, captureUs: EPOCH_US + t * 1000, bytes, jpegBytes: bytes },
          0,
          t,
        );
        recent.push({ frameSeq: seq, captureUs: EPOCH_US + t * 1000, atMs: t });
        if (recent.length > 10) recent.shift();
        sentInInterval += bytes;
      }
      seq++;
    }
    if ((t - startMs) % 200 === 199) {
      const capacity = (capacityBps * 0.2) / 8;
      const through = Math.min(sentInInterval, capacity);
      const datagrams = Math.max(1, Math.round(through / 1200));
      const lostDatagrams = Math.round((sentInInterval - through) / 1200);
      link.onReport(
        reports.next({
          received: datagrams,
          lost: lostDatagrams,
          bytes: Math.round(through),
          queueUs: sentInInterval > capacity ? 55_000 : 0,
          completed: lostDatagrams > 0 ? 1 : 6,
          framesLost: lostDatagrams > 0 ? 5 : 0,
          // The newest frame that has had the 40 ms round trip, held for the rest.
          echo: echoOf(recent.filter((f) => f.atMs <= t - 40).at(-1), t),
        }),
        UNICAST,
        "10.0.0.2:5000",
        t,
      );
      sentInInterval = 0;
      const decision = link.tick(t);
      out.push({ ...decision, pacingBps: link.pacingRateBps(t) });
    }
  }
  return out;
}

function echoOf(
  frame: { frameSeq: number; captureUs: number; atMs: number } | undefined,
  nowMs: number,
) {
  return frame === undefined ? undefined : { ...frame, holdUs: (nowMs - frame.atMs - 40) * 1000 };
}

Deno.test("LinkFitter: before any report the ceiling holds; --adapt off ignores reports (table)", () => {
  const cases: {
    name: string;
    options: Partial<LinkFitterOptions>;
    targetBps: number;
    state: string;
    pacingBps: number;
  }[] = [
    {
      name: "adapt, unbounded",
      options: {},
      targetBps: Infinity,
      state: "waiting",
      pacingBps: Infinity,
    },
    {
      name: "adapt, --max-rate 8",
      options: { ceilingBps: 8 * MBIT },
      targetBps: 8 * MBIT,
      state: "waiting",
      pacingBps: 8 * MBIT,
    },
    {
      name: "adapt off, --max-rate 4",
      options: { adapt: false, ceilingBps: 4 * MBIT, ladder: null },
      targetBps: 4 * MBIT,
      state: "fixed",
      pacingBps: 4 * MBIT,
    },
    {
      name: "adapt off, unbounded",
      options: { adapt: false, ladder: null },
      targetBps: Infinity,
      state: "fixed",
      pacingBps: Infinity,
    },
  ];
  for (const c of cases) {
    const link = fitter(c.options);
    const decision = link.tick(0);
    equal(decision.targetBps, c.targetBps, c.name);
    equal(decision.state, c.state, c.name);
    equal(link.pacingRateBps(0), c.pacingBps, c.name);
  }
  // Off: a congested link's reports change nothing, and are counted.
  const off = fitter({ adapt: false, ceilingBps: 4 * MBIT, ladder: null });
  const decisions = congested(off, 1 * MBIT, 40_000, 3000);
  ok(decisions.every((d) => d.targetBps === 4 * MBIT), "reports moved a fixed target");
  equal(off.stats(3000).reportsRefused.notAdapting, decisions.length);
});

Deno.test("LinkFitter: who may report (table)", () => {
  const cases: {
    name: string;
    keyed: boolean;
    source: ReportSource;
    datagram: (reports: Reports) => Uint8Array;
    verdict: object;
  }[] = [
    {
      name: "a unicast destination",
      keyed: false,
      source: UNICAST,
      datagram: (r) => r.next({ received: 100, bytes: 120_000 }),
      verdict: { accepted: true },
    },
    {
      name: "a stranger",
      keyed: false,
      source: { destination: -1, group: false },
      datagram: (r) => r.next({ received: 100, bytes: 120_000 }),
      verdict: { accepted: false, reason: "stranger" },
    },
    {
      name: "a group member without --key",
      keyed: false,
      source: { destination: 1, group: true },
      datagram: (r) => r.next({ received: 100, bytes: 120_000 }),
      verdict: { accepted: false, reason: "stranger" },
    },
    {
      name: "a group member under --key",
      keyed: true,
      source: { destination: 1, group: true },
      datagram: (r) => r.next({ received: 100, bytes: 120_000 }),
      verdict: { accepted: true },
    },
    {
      name: "a destination index out of range",
      keyed: false,
      source: { destination: 7, group: false },
      datagram: (r) => r.next({ received: 100, bytes: 120_000 }),
      verdict: { accepted: false, reason: "stranger" },
    },
    {
      name: "not a report",
      keyed: false,
      source: UNICAST,
      datagram: () => new Uint8Array([0x55, 0x43, 1, 3, 0]),
      verdict: { accepted: false, reason: "short" },
    },
    {
      name: "another stream",
      keyed: false,
      source: UNICAST,
      datagram: () => new Reports(1).next({ received: 100, bytes: 120_000 }),
      verdict: { accepted: false, reason: "otherStream" },
    },
    {
      name: "10 Gbit/s claimed",
      keyed: false,
      source: UNICAST,
      datagram: (r) => {
        const datagram = r.next({ received: 100, bytes: 120_000 });
        new DataView(datagram.buffer).setUint32(44, 0xffff_ffff);
        return datagram;
      },
      verdict: { accepted: false, reason: "rate" },
    },
  ];
  for (const c of cases) {
    const link = fitter({
      keyed: c.keyed,
      destinations: [
        { address: "10.0.0.2:5000", group: false },
        { address: "239.1.2.3:6000", group: true },
      ],
    });
    deepStrictEqual(
      link.onReport(c.datagram(new Reports()), c.source, "10.0.0.9:6000", 10),
      c.verdict,
      c.name,
    );
    const refused = Object.values(link.stats(10).reportsRefused).reduce((a, b) => a + b, 0);
    equal(refused, "reason" in c.verdict ? 1 : 0, c.name);
  }
});

Deno.test("LinkFitter: a 4 Mbit/s bottleneck brings the target under it, paced, the picture down", () => {
  const link = fitter({ ladder: { scales: [1, 0.75, 0.5] } });
  // Frames of 46 kB: 11 Mbit/s at 30 fps.
  const decisions = congested(link, 4 * MBIT, 46_000, 10_000);
  const late = decisions.slice(-20);
  ok(late.every((d) => d.targetBps < 4.4 * MBIT), late.map((d) => d.targetBps).join(" "));
  ok(decisions.some((d) => d.state === "decrease"));
  ok(late.every((d) => Number.isFinite(d.pacingBps) && d.pacingBps <= 2.5 * d.targetBps + 1));
  // The picture steps down at once under the media budget.
  link.observe(80, 1, 46_000, 10_000);
  const choice = link.choose(EPOCH_US + 10_000_000, 10_000);
  ok(choice.quality < 80 || choice.scale < 1, JSON.stringify(choice));
  const stats = link.stats(10_000);
  equal(stats.receivers.length, 1);
  equal(stats.receivers[0].address, "10.0.0.2:5000");
  equal(stats.receivers[0].reportsAccepted, decisions.length, "a report was refused");
  ok(
    stats.receivers[0].rttMs !== null && Math.abs(stats.receivers[0].rttMs - 40) < 2,
    `${stats.receivers[0].rttMs}`,
  );
  ok(stats.receivers[0].lossPercent !== null);
  ok(stats.targetMbps !== null && stats.targetMbps < 4.4);
  ok(stats.picture !== null && stats.picture.reason.startsWith("link "), stats.picture?.reason);
});

Deno.test("LinkFitter: absurd, stale, forged and stranger reports change no decision (fuzz)", () => {
  const clean = fitter({ ceilingBps: 20 * MBIT });
  const attacked = fitter({ ceilingBps: 20 * MBIT });
  const prng = new Prng(37);
  const real = [new Reports(), new Reports()];
  let junk = 0;
  let previous: Uint8Array | null = null;
  for (let t = 0; t < 20_000; t++) {
    if (t % 33 === 0) {
      for (const link of [clean, attacked]) {
        link.onFrameSent(
          { frameSeq: t / 33, captureUs: EPOCH_US + t * 1000, bytes: 30_000, jpegBytes: 29_000 },
          0,
          t,
        );
      }
    }
    if (t % 200 === 100) {
      const interval = {
        received: 50 + prng.int(0, 40),
        lost: prng.int(0, 6),
        bytes: 60_000 + prng.int(0, 40_000),
        queueUs: prng.int(0, 40_000),
        trendUsPerS: prng.int(-20_000, 20_000),
      };
      const a = real[0].next(interval);
      const b = real[1].next(interval);
      clean.onReport(a, UNICAST, "10.0.0.2:5000", t);
      attacked.onReport(b, UNICAST, "10.0.0.2:5000", t);
      previous = b;
    }
    if (t % 37 === 0) {
      junk++;
      const kind = prng.int(0, 4);
      const bytes = kind === 0
        ? prng.bytes(prng.int(0, 80)) // garbage
        : kind === 1
        ? new Reports(STREAM + 1).next({ received: 10, bytes: 12_000 }) // another stream
        : kind === 2 && previous !== null
        ? previous // a replay: stale
        : new Reports().next({ received: 1, bytes: 12_000_000 }); // 480 Mbit/s: more than sent
      const source = kind === 4 ? { destination: -1, group: false } : UNICAST;
      const verdict = attacked.onReport(bytes, source, "10.0.0.66:5000", t);
      ok(!verdict.accepted, `junk ${kind} accepted at ${t}`);
    }
    if (t % 50 === 0) {
      const a = clean.tick(t);
      const b = attacked.tick(t);
      deepStrictEqual(b, a, `at ${t} ms`);
      equal(attacked.pacingRateBps(t), clean.pacingRateBps(t));
    }
  }
  const refused = (link: LinkFitter) =>
    Object.values(link.stats(20_000).reportsRefused).reduce((sum, n) => sum + n, 0);
  equal(refused(attacked) - refused(clean), junk, "every junk report is counted once");
});

Deno.test("LinkFitter: the group rule, and at most 16 members followed", () => {
  const group: ReportSource = { destination: 0, group: true };
  const link = fitter({ keyed: true, destinations: [{ address: "239.1.2.3:6000", group: true }] });
  const members = new Map<string, Reports>();
  // Every member loses 20 %: each has pushed back, so each controller has a figure.
  const report = (from: string, bytes: number, t: number, received = 100) => {
    if (!members.has(from)) members.set(from, new Reports());
    const lost = Math.round(received / 4);
    return link.onReport(members.get(from)!.next({ received, lost, bytes }), group, from, t);
  };
  for (let t = 0; t < 3000; t += 200) {
    report("10.0.0.2:6000", 200_000, t); // 8 Mbit/s arrive there
    report("10.0.0.3:6000", 90_000, t); // 3.6 Mbit/s
    report("10.0.0.4:6000", 2_000, t, 10); // 80 kbit/s: below the 1 Mbit/s floor
    link.tick(t);
  }
  const stats = link.stats(3000);
  equal(stats.receivers.length, 3);
  const slowestAboveFloor = stats.receivers.find((r) => r.address === "10.0.0.3:6000")!;
  equal(stats.targetMbps, slowestAboveFloor.targetMbps);
  ok(stats.reason.includes("1 below the floor left out"), stats.reason);
  for (let i = 5; i < 5 + MAX_GROUP_RECEIVERS; i++) report(`10.0.0.${i}:6000`, 100_000, 3000);
  equal(link.stats(3000).reportsRefused.tooManyReceivers, 3);
  // A minute later the silent ones make room.
  equal(report("10.0.1.1:6000", 100_000, 70_000).accepted, true);
});

Deno.test("LinkFitter: silence decays the target and the stats say no receiver was heard", () => {
  const link = fitter({ ceilingBps: 20 * MBIT });
  congested(link, 4 * MBIT, 46_000, 4000);
  const before = link.tick(4000).targetBps;
  let decision = link.tick(4000);
  for (let t = 4000; t <= 12_000; t += 100) decision = link.tick(t);
  equal(decision.state, "noReceiver");
  ok(decision.targetBps < before, `${decision.targetBps} vs ${before}`);
  const stats = link.stats(12_000);
  ok(stats.silentS !== null && stats.silentS >= 8, `${stats.silentS}`);
  equal(link.paddingBytes(10_000, 12_000), 0, "no padding without a receiver to show it to");
});

Deno.test("LinkFitter: padding never takes the stream past the top rung, the target or the bucket", () => {
  const link = fitter({ ladder: { scales: [1, 0.5] } });
  const reports = new Reports();
  congested(link, 4 * MBIT, 46_000, 6000, reports);
  // The link widens: reports say everything arrives, the ladder waits below its next rung.
  let padded = 0;
  for (let t = 6000; t < 12_000; t++) {
    if (t % 33 === 0) {
      const choice = link.choose(EPOCH_US + t * 1000, t);
      const frameBytes = Math.round(10_000 * choice.scale * choice.scale * (choice.quality / 40));
      link.observe(choice.quality, choice.scale, frameBytes, t);
      const padding = link.paddingBytes(frameBytes, t);
      // The top rung's frames (what the stream is unadapted) and the target, per frame.
      const topBytes = (link.ladder!.predictBps(link.ladder!.rungs[0])! * 33.4) / 8000;
      const targetBytes = (link.decision.targetBps * (1000 / link.ladder!.rung.fps)) / 8000;
      ok(
        padding === 0 || frameBytes + padding <= Math.min(topBytes, targetBytes) + 2,
        `padding ${padding} for a frame of ${frameBytes}: top ${topBytes}, target ${targetBytes}`,
      );
      ok(padding <= Math.max(0, link.budget.tokens - frameBytes) + 1, "beyond the bucket");
      if (link.admitFrame(frameBytes + padding, t)) {
        link.onFrameSent(
          {
            frameSeq: t,
            captureUs: EPOCH_US + t * 1000,
            bytes: frameBytes + padding,
            jpegBytes: frameBytes,
          },
          padding,
          t,
        );
        padded += padding;
      }
    }
    if (t % 200 === 0) {
      link.onReport(reports.next({ received: 60, bytes: 70_000 }), UNICAST, "10.0.0.2:5000", t);
      link.tick(t);
    }
  }
  ok(padded > 0, "no padding while the ladder waited to climb");
  equal(link.stats(12_000).paddingBytes, padded);
});

Deno.test("LinkFitter: the sender's own delay is taken out of a report's queue delay (table)", () => {
  const cases: [name: string, holds: number[], queueUs: number, shownMs: number][] = [
    // Frames 0..9 spent 2 ms in the sender, the echoed frame 9 spent 14: 12 ms was the sender's.
    ["a frame held by a re-encode", [2, 2, 2, 2, 2, 2, 2, 2, 2, 14], 15_000, 3],
    ["all held alike: nothing taken out", new Array(10).fill(8), 15_000, 15],
    ["never below zero", [1, 1, 1, 1, 1, 1, 1, 1, 1, 40], 15_000, 0],
  ];
  for (const [name, holds, queueUs, shownMs] of cases) {
    const link = fitter();
    for (const [seq, holdMs] of holds.entries()) {
      const datagrams = fragmentFrame(new Uint8Array(2000), {
        streamId: STREAM,
        frameSeq: seq,
        captureUs: EPOCH_US + seq * 33_000,
      }, 1200);
      link.frameSent(datagrams, 2000, 0, 0, EPOCH_US + seq * 33_000, seq * 33, holdMs * 1000);
    }
    const report = new Reports().next({
      received: 20,
      bytes: 24_000,
      queueUs,
      echo: { frameSeq: 9, captureUs: EPOCH_US + 9 * 33_000, holdUs: 1000 },
    });
    deepStrictEqual(link.onReport(report, UNICAST, "10.0.0.2:5000", 320), { accepted: true }, name);
    equal(link.stats(320).receivers[0].queueDelayMs, shownMs, name);
  }
});
