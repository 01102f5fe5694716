import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { Prng } from "../netsim/mod.ts";
import { encodeLinkReport, type LinkReport } from "../wire/v1/mod.ts";
import { type LinkSimSample, simulateLink } from "../../tests/support/link_sim.ts";
import {
  CongestionController,
  type ControllerState,
  formatBps,
  type ReportRefusal,
} from "./congestion_controller.ts";

const MBIT = 1_000_000;

function firstAfter(samples: LinkSimSample[], fromMs: number, test: (s: LinkSimSample) => boolean) {
  return samples.find((s) => s.tMs >= fromMs && test(s)) ?? null;
}

function between(samples: LinkSimSample[], fromMs: number, toMs: number): LinkSimSample[] {
  return samples.filter((s) => s.tMs >= fromMs && s.tMs < toMs);
}

Deno.test("a step down of the link is followed within 2 s (table)", () => {
  const cases: [fromBps: number, toBps: number, rttMs: number][] = [
    [20 * MBIT, 4 * MBIT, 40],
    [20 * MBIT, 4 * MBIT, 150],
    [10 * MBIT, 2 * MBIT, 40],
    [50 * MBIT, 10 * MBIT, 40],
    [4 * MBIT, 1 * MBIT, 40],
  ];
  for (const [fromBps, toBps, rttMs] of cases) {
    const name = `${formatBps(fromBps)} → ${formatBps(toBps)}, RTT ${rttMs} ms`;
    const stepMs = 10_000;
    const { samples } = simulateLink({
      durationMs: 16_000,
      capacityBps: (t) => t < stepMs ? fromBps : toBps,
      forwardDelayMs: rttMs / 2,
      reverseDelayMs: rttMs / 2,
      sourceMaxBps: 2 * fromBps,
    });
    const below = firstAfter(samples, stepMs, (s) => s.targetBps < toBps);
    ok(below !== null && below.tMs - stepMs <= 2000, `${name}: ${below?.tMs}`);
    // ...and it stays near the new capacity, not far under it.
    for (const s of between(samples, stepMs + 3000, 16_000)) {
      ok(s.targetBps >= 0.7 * toBps && s.targetBps <= 1.1 * toBps, `${name}: ${s.reason}`);
    }
  }
});

Deno.test("a steady link keeps the target in a band and the frames coming (table)", () => {
  const cases: [capacityBps: number, rttMs: number, queueMs: number, minFps: number][] = [
    [1 * MBIT, 40, 60, 25],
    [4 * MBIT, 40, 60, 25],
    [4 * MBIT, 150, 300, 25],
    [10 * MBIT, 10, 60, 25],
    [50 * MBIT, 40, 60, 25],
    // A 30 ms queue drops the tail of 2.5×-paced frames as soon as the target passes the link.
    [4 * MBIT, 40, 30, 15],
    [10 * MBIT, 40, 30, 10],
  ];
  for (const [capacityBps, rttMs, queueMs, minFps] of cases) {
    const name = `${formatBps(capacityBps)}, RTT ${rttMs} ms, queue ${queueMs} ms`;
    const { samples, controller } = simulateLink({
      durationMs: 40_000,
      capacityBps: () => capacityBps,
      forwardDelayMs: rttMs / 2,
      reverseDelayMs: rttMs / 2,
      queueMs,
      sourceMaxBps: 3 * capacityBps,
    });
    const settled = between(samples, 10_000, 40_001);
    for (const s of settled) {
      ok(
        s.targetBps >= 0.75 * capacityBps && s.targetBps <= 1.1 * capacityBps,
        `${name}: ${s.reason}`,
      );
      ok(s.deliveredFps >= minFps, `${name} at ${s.tMs} ms: ${s.deliveredFps} fps`);
    }
    // A decrease every few seconds at most: the sawtooth is slow.
    ok(controller.counters.decreases <= 20, `${name}: ${controller.counters.decreases} decreases`);
  }
});

Deno.test("when the cap lifts (4 → 20 Mbit/s) the target reaches 90 % within 10 s", () => {
  // The lift falls at another point of the sawtooth each time; right after a decrease is worst.
  for (let liftMs = 20_000; liftMs < 24_000; liftMs += 700) {
    const { samples } = simulateLink({
      durationMs: liftMs + 12_000,
      capacityBps: (t) => t < 10_000 ? 20 * MBIT : t < liftMs ? 4 * MBIT : 20 * MBIT,
    });
    const reached = firstAfter(samples, liftMs, (s) => s.targetBps >= 18 * MBIT);
    ok(reached !== null && reached.tMs - liftMs <= 10_000, `lift at ${liftMs}: ${reached?.tMs}`);
    ok(reached!.reason.includes("probe"), reached!.reason);
  }
});

Deno.test("random loss of 20 % cuts the target", () => {
  const { samples } = simulateLink({
    durationMs: 8000,
    capacityBps: () => 50 * MBIT,
    randomLoss: 0.2,
    sourceMaxBps: 10 * MBIT,
  });
  const early = firstAfter(samples, 300, (s) => Number.isFinite(s.targetBps))!;
  const late = samples.at(-1)!;
  ok(late.targetBps < early.targetBps / 4, `${early.reason} then ${late.reason}`);
  ok(samples.some((s) => s.state === "decrease" && s.reason.includes("loss")));
  // Smaller frames need fewer datagrams to all arrive: more of them get through.
  ok(late.deliveredFps > early.deliveredFps, `${early.deliveredFps} → ${late.deliveredFps} fps`);
});

Deno.test("the round trip comes from the report echoes", () => {
  const { controller } = simulateLink({ durationMs: 5000, forwardDelayMs: 30, reverseDelayMs: 20 });
  const rtt = controller.rttMs!;
  ok(rtt >= 50 && rtt <= 70, `rtt ${rtt}`);
  ok(controller.counters.rttSamples > 15);
  equal(controller.counters.echoUnknown, 0);
});

Deno.test("the target stays between the floor and --max-rate", () => {
  const capped = simulateLink({
    durationMs: 10_000,
    capacityBps: () => 20 * MBIT,
    controller: { ceilingBps: 2 * MBIT },
  });
  ok(capped.samples.every((s) => s.targetBps <= 2 * MBIT));
  ok(capped.samples.at(-1)!.targetBps === 2 * MBIT, capped.samples.at(-1)!.reason);
  const floored = simulateLink({
    durationMs: 10_000,
    capacityBps: () => 50_000, // far below the floor
    queueMs: 300,
    controller: { floorBps: 150_000 },
  });
  ok(floored.samples.every((s) => s.targetBps >= 150_000));
  equal(floored.samples.at(-1)!.targetBps, 150_000);
});

Deno.test("a link that never pushes back leaves the stream unbounded (today's stream)", () => {
  const { samples } = simulateLink({
    durationMs: 20_000,
    capacityBps: () => 20 * MBIT,
    sourceMaxBps: 3 * MBIT,
  });
  for (const s of between(samples, 2000, 20_001)) {
    equal(s.targetBps, Infinity, s.reason);
    equal(s.deliveredFps >= 29, true, `${s.tMs}: ${s.deliveredFps}`);
  }
});

Deno.test("a sender below its target does not run the target away", () => {
  // A 2 Mbit/s link for 3 s gives the target a figure; then the link widens past the source.
  const { samples } = simulateLink({
    durationMs: 20_000,
    capacityBps: (tMs) => tMs < 3000 ? 2 * MBIT : 20 * MBIT,
    sourceMaxBps: 3 * MBIT,
  });
  ok(samples.some((s) => s.tMs < 3000 && s.targetBps < 2.5 * MBIT), "the narrow link was not seen");
  for (const s of between(samples, 8000, 20_001)) {
    ok(s.targetBps <= 1.5 * 3.2 * MBIT, s.reason);
    equal(s.deliveredFps >= 29, true, `${s.tMs}: ${s.deliveredFps}`);
  }
});

/** Bad datagrams that must change nothing, one per call, in turn. */
function forgeries(streamId: number): Uint8Array[] {
  const valid: LinkReport = {
    streamId,
    reportSeq: 0,
    intervalMs: 200,
    totalDatagramsReceived: 10,
    totalDatagramsLost: 0,
    totalFramesCompleted: 1,
    totalFramesLost: 0,
    datagramsReceived: 10,
    datagramsLost: 0,
    framesCompleted: 1,
    framesLost: 0,
    bytesReceived: 12_000,
    echoFrameSeq: 0,
    echoCaptureUsLow: 0,
    holdUs: 0,
    queueDelayUs: 0,
    delayTrendUsPerS: 0,
    delaySamples: 0,
  };
  const absurdRate = encodeLinkReport({ ...valid, reportSeq: 0x7fff_0000 });
  new DataView(absurdRate.buffer).setUint32(44, 0xffff_ffff); // 172 Gbit/s
  const prng = new Prng(5);
  return [
    prng.bytes(68),
    new Uint8Array(12),
    absurdRate,
    encodeLinkReport({ ...valid, streamId: streamId ^ 1, reportSeq: 0x7fff_0000 }),
    encodeLinkReport(valid), // seq 0: stale once real reports came
    // Claims 200 MB arrived in 200 ms (8 Gbit/s): far more than was sent.
    encodeLinkReport({
      ...valid,
      reportSeq: 0x7fff_0000,
      totalDatagramsReceived: 0xffff_0000,
      datagramsReceived: 1000,
      totalDatagramsLost: 0xffff_0000,
      totalFramesCompleted: 0xffff_0000,
      totalFramesLost: 0xffff_0000,
      bytesReceived: 200_000_000,
    }),
  ];
}

Deno.test("absurd, forged and stale reports change nothing and are counted", () => {
  const options = {
    durationMs: 20_000,
    capacityBps: (t: number) => t < 10_000 ? 20 * MBIT : 4 * MBIT,
  };
  const clean = simulateLink(options);
  const bad = forgeries(0x5100_0001);
  let injected = 0;
  const attacked = simulateLink({
    ...options,
    inject: (t) => (t >= 1000 && t % 37 === 0 ? bad[injected++ % bad.length] : null),
  });
  deepStrictEqual(
    attacked.samples.map((s) => [s.tMs, s.targetBps, s.state]),
    clean.samples.map((s) => [s.tMs, s.targetBps, s.state]),
  );
  const refused = attacked.controller.counters.reportsRefused;
  const total = Object.values(refused).reduce((a, b) => a + b, 0);
  equal(total, injected);
  ok(injected > 400);
  equal(attacked.controller.counters.reportsAccepted, clean.controller.counters.reportsAccepted);
  for (const reason of ["magic", "short", "rate", "otherStream", "stale"] as ReportRefusal[]) {
    ok(refused[reason] > 0, `${reason}: ${JSON.stringify(refused)}`);
  }
  ok(refused.inconsistent + refused.impossible > 0, JSON.stringify(refused));
});

/** Builds consistent report sequences: cumulative counters follow the interval figures. */
class Reports {
  #seq = 0;
  #totals = { received: 0, lost: 0, completed: 0, framesLost: 0 };
  constructor(readonly streamId: number) {}
  next(figures: Partial<LinkReport> & { received: number; lost?: number }): LinkReport {
    const lost = figures.lost ?? 0;
    const completed = figures.framesCompleted ?? 6;
    const framesLost = figures.framesLost ?? 0;
    this.#totals.received += figures.received;
    this.#totals.lost += lost;
    this.#totals.completed += completed;
    this.#totals.framesLost += framesLost;
    return {
      streamId: this.streamId,
      reportSeq: this.#seq++,
      intervalMs: 200,
      echoFrameSeq: 0,
      echoCaptureUsLow: 0,
      holdUs: 0,
      queueDelayUs: 0,
      delayTrendUsPerS: 0,
      delaySamples: 20,
      bytesReceived: figures.received * 1200,
      ...figures,
      totalDatagramsReceived: this.#totals.received,
      totalDatagramsLost: this.#totals.lost,
      totalFramesCompleted: this.#totals.completed,
      totalFramesLost: this.#totals.framesLost,
      datagramsReceived: figures.received,
      datagramsLost: lost,
      framesCompleted: completed,
      framesLost: framesLost,
    };
  }
}

const STREAM = 0xabcd;

/** A controller that has sent 3.5 Mbit/s for a while and taken one clean report. */
function warmController(): { controller: CongestionController; reports: Reports; t: number } {
  const controller = new CongestionController(STREAM, {
    ceilingBps: 8 * MBIT,
    initialBps: 3.5 * MBIT,
  });
  const reports = new Reports(STREAM);
  let t = 0;
  for (; t < 1000; t += 33) controller.onFrameSent({ frameSeq: t, captureUs: t, bytes: 14_600 }, t);
  controller.onReport(reports.next({ received: 73 }), t); // 3.5 Mbit/s arrived
  return { controller, reports, t };
}

Deno.test("decisions by report (table)", () => {
  const cases: {
    name: string;
    figures: Partial<LinkReport> & { received: number; lost?: number };
    state: ControllerState;
    change: "down" | "same" | "up";
  }[] = [
    { name: "clean", figures: { received: 73 }, state: "probe", change: "up" },
    {
      name: "loss 5 %, frames whole (FEC)",
      figures: { received: 70, lost: 3 },
      state: "hold",
      change: "same",
    },
    {
      name: "loss 5 %, half the frames failing",
      figures: { received: 70, lost: 3, framesCompleted: 3, framesLost: 3 },
      state: "decrease",
      change: "down",
    },
    { name: "loss 30 %", figures: { received: 51, lost: 22 }, state: "decrease", change: "down" },
    {
      name: "queue growing fast",
      figures: { received: 73, queueDelayUs: 30_000, delayTrendUsPerS: 200_000 },
      state: "decrease",
      change: "down",
    },
    {
      name: "trend without a queue is noise",
      figures: { received: 73, queueDelayUs: 2_000, delayTrendUsPerS: 200_000 },
      state: "probe",
      change: "up",
    },
    {
      name: "queue draining",
      figures: { received: 73, queueDelayUs: 30_000, delayTrendUsPerS: -200_000 },
      state: "hold",
      change: "same",
    },
    {
      name: "nothing arrived",
      figures: { received: 0, framesCompleted: 0 },
      state: "decrease",
      change: "down",
    },
  ];
  for (const { name, figures, state, change } of cases) {
    const { controller, reports, t } = warmController();
    const before = controller.decision.targetBps;
    for (let u = t; u < t + 200; u += 33) {
      controller.onFrameSent({ frameSeq: u, captureUs: u, bytes: 14_600 }, u);
    }
    const verdict = controller.onReport(reports.next(figures), t + 200);
    deepStrictEqual(verdict, { accepted: true }, name);
    const after = controller.tick(t + 200);
    equal(after.state, state, `${name}: ${after.reason}`);
    const moved = after.targetBps > before ? "up" : after.targetBps < before ? "down" : "same";
    equal(moved, change, `${name}: ${formatBps(before)} → ${after.reason}`);
    ok(after.reason.startsWith(`${state}: `), after.reason);
  }
});

Deno.test("refused reports change nothing, by reason (table)", () => {
  const cases: [string, (r: LinkReport) => LinkReport | Uint8Array, ReportRefusal][] = [
    ["another stream", (r) => ({ ...r, streamId: STREAM + 1 }), "otherStream"],
    ["a repeated report", (r) => ({ ...r, reportSeq: 0 }), "stale"],
    [
      "counters going back",
      (r) => ({ ...r, totalDatagramsReceived: 1, datagramsReceived: 1 }),
      "inconsistent",
    ],
    [
      "interval larger than the change of the totals",
      (r) => ({ ...r, totalDatagramsReceived: r.totalDatagramsReceived - 6 }),
      "inconsistent",
    ],
    ["more arrived than was sent", (r) => ({ ...r, bytesReceived: 5_000_000 }), "impossible"],
    [
      "echo of our frame with a wrong capture time",
      (r) => ({ ...r, echoFrameSeq: 33, echoCaptureUsLow: 1 }),
      "echo",
    ],
    ["bytes that are not a report", () => new Uint8Array([0x55, 0x43, 1, 3]), "short"],
    ["an interval of 0 ms", (r) => ({ ...r, intervalMs: 0 }), "interval"],
    [
      "interval counts above the totals",
      (r) => ({ ...r, datagramsLost: r.totalDatagramsLost + 1 }),
      "counts",
    ],
    ["an unknown flag", (r) => {
      const bytes = encodeLinkReport(r);
      bytes[4] = 0x40;
      return bytes;
    }, "flags"],
  ];
  for (const [name, mutate, reason] of cases) {
    const { controller, reports, t } = warmController();
    const before = controller.decision;
    const countersBefore = structuredClone(controller.counters);
    const good = reports.next({ received: 73, lost: 20 });
    const bad = mutate(good);
    const verdict = bad instanceof Uint8Array
      ? controller.onReportDatagram(bad, t + 200)
      : controller.onReport(bad, t + 200);
    deepStrictEqual(verdict, { accepted: false, reason }, name);
    deepStrictEqual(controller.tick(t + 200), before, name);
    equal(controller.counters.reportsRefused[reason], countersBefore.reportsRefused[reason] + 1);
    equal(controller.counters.reportsAccepted, countersBefore.reportsAccepted, name);
    // The real report still counts afterwards.
    deepStrictEqual(controller.onReport(good, t + 201), { accepted: true }, name);
  }
});

Deno.test("a stranger's report is counted without reading it", () => {
  const controller = new CongestionController(STREAM);
  controller.refuseReport("stranger");
  equal(controller.counters.reportsRefused.stranger, 1);
  equal(controller.decision.state, "waiting");
});

Deno.test("no receiver: the ceiling before any report, a gentle decay after reports stop", () => {
  const waiting = new CongestionController(STREAM, { ceilingBps: 6 * MBIT });
  deepStrictEqual(waiting.tick(60_000), {
    targetBps: 6 * MBIT,
    state: "waiting",
    reason: "no report yet: 6.0 Mbit/s",
  });
  equal(new CongestionController(STREAM).tick(0).reason, "no report yet: unlimited");

  const { controller, reports, t } = warmController();
  const held = controller.decision.targetBps;
  equal(controller.tick(t + 2900).targetBps, held, "held during the timeout");
  const silent = controller.tick(t + 3000 + 5000);
  equal(silent.state, "noReceiver");
  ok(silent.reason.startsWith("noReceiver: no report for 8.0 s"), silent.reason);
  const expected = held * 0.85 ** 5;
  ok(Math.abs(silent.targetBps - expected) < 1, `${silent.targetBps} vs ${expected}`);
  equal(controller.tick(t + 600_000).targetBps, 150_000, "down to the floor at most");
  // A receiver that restarted counts from report 0 again: accepted after the silence.
  const restarted = new Reports(STREAM);
  deepStrictEqual(controller.onReport(restarted.next({ received: 20 }), t + 600_001), {
    accepted: true,
  });
  void reports;
});

Deno.test("nothing arrived is a blackout only when something was sent to arrive (table)", () => {
  const cases: [name: string, pauseMs: number, decrease: boolean][] = [
    // Frames all along, none of them arrived: the link went dark.
    ["sent all along", 0, true],
    // The sender itself paused (ffmpeg stalled) 0.5 s before the report: nothing was there to
    // lose. (Counting any send of the last 0.7 s, as before, read this as a blackout.)
    ["the sender paused", 500, false],
  ];
  for (const [name, pauseMs, decrease] of cases) {
    const controller = new CongestionController(STREAM, { ceilingBps: 8 * MBIT });
    const reports = new Reports(STREAM);
    const send = (from: number, to: number) => {
      for (let u = from; u < to; u += 33) {
        controller.onFrameSent({ frameSeq: u, captureUs: u, bytes: 14_600 }, u);
      }
    };
    send(0, 1000);
    // Echoing frame 990: a 10 ms round trip.
    controller.onReport(
      reports.next({ received: 73, echoFrameSeq: 990, echoCaptureUsLow: 990 }),
      1000,
    );
    const at = 2000;
    send(1000, at - pauseMs);
    // The newest frame sent, echoed with the hold that keeps the round trip at 10 ms.
    const last = 1000 + 33 * Math.floor((at - pauseMs - 1 - 1000) / 33);
    const echo = { echoFrameSeq: last, echoCaptureUsLow: last, holdUs: (at - last - 10) * 1000 };
    controller.onReport(reports.next({ received: 0, framesCompleted: 0, ...echo }), at);
    const after = controller.tick(at);
    equal(after.state === "decrease", decrease, `${name}: ${after.reason}`);
  }
});

Deno.test("a blackout of a stream still unbounded halves what was sent", () => {
  // No --max-rate and a link that never pushed back: the target is unbounded when it goes dark.
  const controller = new CongestionController(STREAM);
  const reports = new Reports(STREAM);
  for (let u = 0; u < 2000; u += 33) {
    controller.onFrameSent({ frameSeq: u, captureUs: u, bytes: 14_600 }, u);
    if (u === 990) {
      controller.onReport(
        reports.next({ received: 73, echoFrameSeq: 990, echoCaptureUsLow: 990 }),
        1000,
      );
      equal(controller.tick(1000).targetBps, Infinity);
    }
  }
  const echo = { echoFrameSeq: 1980, echoCaptureUsLow: 1980, holdUs: 10_000 };
  controller.onReport(reports.next({ received: 0, framesCompleted: 0, ...echo }), 2000);
  const after = controller.tick(2000);
  equal(after.state, "decrease", after.reason);
  // 14,600 bytes every 33 ms is 3.5 Mbit/s: half of it, counted over the sender's 100 ms slots
  // that the report's interval (and a flight time) covers.
  ok(after.targetBps > 1.2 * MBIT && after.targetBps < 3 * MBIT, `${after.targetBps}`);
});
