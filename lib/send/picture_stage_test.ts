import assert from "node:assert/strict";
import { Prng } from "../netsim/mod.ts";
import { PictureLadder } from "../adapt/mod.ts";
import { libjpegQualityFor } from "./quality_match.ts";
import {
  type PictureChoice,
  PictureStage,
  type PictureStageCounters,
  type PictureStep,
  type TranscodeJob,
} from "./picture_stage.ts";

/** Records what the observer heard: [quality, scale, bytes, nowMs]. */
class Heard {
  readonly calls: [number, number, number, number][] = [];
  observe(quality: number, scale: number, bytes: number, nowMs: number): void {
    this.calls.push([quality, scale, bytes, nowMs]);
  }
}

const frameOf = (bytes: number, fill = 1) => new Uint8Array(bytes).fill(fill);
const top: PictureChoice = { quality: 80, scale: 1, admit: true };
const choice = (quality: number, scale = 1, admit = true): PictureChoice => ({
  quality,
  scale,
  admit,
});

function only(steps: PictureStep[]): PictureStep {
  assert.equal(steps.length, 1, `steps: ${steps.map((s) => s.kind)}`);
  return steps[0];
}

function jobOf(steps: PictureStep[]): TranscodeJob {
  const step = only(steps);
  assert.equal(step.kind, "transcode");
  return (step as { job: TranscodeJob }).job;
}

Deno.test("each choice becomes pass, drop or a transcode at the nearest n/8", () => {
  // [choice (quality, scale, admit), source quality 80 → want]
  const cases: [string, PictureChoice, "send" | "none" | [number, number]][] = [
    ["top rung: passed", choice(80), "send"],
    ["above the source's quality at full size: passed", choice(95), "send"],
    ["lower quality", choice(70), [70, 8]],
    ["source quality, smaller", choice(80, 3 / 4), [80, 6]],
    ["half size", choice(40, 1 / 2), [40, 4]],
    ["0.6 → 5/8 (0.625)", choice(40, 0.6), [40, 5]],
    ["quality rounded", choice(40.4), [40, 8]],
    ["quality clamped below", choice(0), [1, 8]],
    ["quality clamped above, smaller", choice(150, 1 / 2), [100, 4]],
    ["tiny scale clamped to 1/8", choice(40, 0.01), [40, 1]],
    ["not admitted: dropped", choice(80, 1, false), "none"],
    ["not admitted at a transcode rung: dropped", choice(40, 1 / 2, false), "none"],
  ];
  for (const [label, pick, want] of cases) {
    const stage = new PictureStage({ sourceQuality: 80, observer: null });
    const frame = frameOf(1000);
    const steps = stage.offer(frame, 7, pick, 0);
    if (want === "none") {
      assert.deepEqual(steps, [], label);
      assert.equal(stage.counters.framesDroppedForRate, 1, label);
    } else if (want === "send") {
      const step = only(steps);
      assert.ok(step.kind === "send" && step.frame.bytes === frame, `${label}: the same buffer`);
      assert.deepEqual(
        { ...step.frame, bytes: null },
        { bytes: null, captureUs: 7, quality: 80, scale: 1, transcoded: false },
        label,
      );
      assert.equal(stage.counters.framesPassed, 1, label);
    } else {
      const job = jobOf(steps);
      assert.deepEqual([job.quality, job.scaleEighths], want, label);
      assert.equal(job.encodeQuality, libjpegQualityFor(job.quality), `${label}: libjpeg's scale`);
      assert.equal(job.frame, frame, label);
      assert.equal(job.scale, pick.scale, `${label}: the ladder's scale, as chosen`);
      assert.ok(stage.busy, label);
    }
  }
});

Deno.test("the encode quality follows the mapping given, rounded and clamped to 1..100", () => {
  const cases: [(q: number) => number, number, number][] = [
    // [mapping, rung quality, libjpeg quality]
    [(q) => q, 50, 50],
    [(q) => q / 2 + 0.4, 50, 25],
    [() => 0, 50, 1],
    [() => 250, 50, 100],
  ];
  for (const [encodeQuality, quality, want] of cases) {
    const stage = new PictureStage({ sourceQuality: 80, observer: null, encodeQuality });
    assert.equal(jobOf(stage.offer(frameOf(10), 0, choice(quality), 0)).encodeQuality, want);
  }
});

Deno.test("one transcode at a time; the newest waiting frame wins; frames leave in order", () => {
  const heard = new Heard();
  const stage = new PictureStage({ sourceQuality: 80, observer: heard });
  const [a, b, c, d, e] = [1, 2, 3, 4, 5].map((n) => frameOf(1000, n));
  const jobA = jobOf(stage.offer(a, 1, choice(50), 0));
  assert.deepEqual(stage.offer(b, 2, top, 1), [], "a pass-through frame waits too");
  assert.deepEqual(stage.offer(c, 3, choice(50), 2), [], "replaces b");
  assert.deepEqual(stage.offer(d, 4, choice(40, 1 / 2), 3), [], "replaces c");
  assert.equal(stage.framesHeld, 2);
  const outA = frameOf(300);
  const afterA = stage.transcoded(jobA, outA, 5);
  assert.equal(afterA.length, 2);
  const [sentA, startD] = afterA;
  assert.ok(sentA.kind === "send" && sentA.frame.bytes === outA && sentA.frame.transcoded);
  assert.ok(startD.kind === "transcode" && startD.job.frame === d && startD.job.scaleEighths === 4);
  assert.deepEqual(stage.offer(e, 5, top, 6), []);
  const outD = frameOf(200);
  const afterD = stage.transcoded(startD.job, outD, 9);
  assert.deepEqual(
    afterD.map((s) => s.kind === "send" ? [s.frame.captureUs, s.frame.transcoded] : "transcode"),
    [[4, true], [5, false]],
  );
  assert.ok(afterD[1].kind === "send" && afterD[1].frame.bytes === e, "e untouched");
  assert.equal(stage.framesHeld, 0);
  assert.equal(stage.busy, false);
  assert.deepEqual(stage.counters, {
    framesOffered: 5,
    framesPassed: 1,
    framesTranscoded: 2,
    framesSourceKept: 0,
    transcodeFailures: 0,
    framesDroppedForRate: 0,
    framesSkippedBehind: 2,
  });
  // The ladder hears every frame sent, with what it stands for.
  assert.deepEqual(heard.calls, [[50, 1, 300, 5], [40, 1 / 2, 200, 9], [80, 1, 1000, 9]]);
});

Deno.test("an output no smaller than its frame is replaced by the frame; a failure sends it", () => {
  const heard = new Heard();
  const stage = new PictureStage({ sourceQuality: 80, observer: heard });
  const frame = frameOf(1000);
  const job = jobOf(stage.offer(frame, 1, choice(70), 0));
  const kept = only(stage.transcoded(job, frameOf(1000), 4));
  assert.ok(kept.kind === "send" && kept.frame.bytes === frame && !kept.frame.transcoded);
  assert.deepEqual([kept.frame.quality, kept.frame.scale], [70, 1], "what the rung costs");
  const failing = jobOf(stage.offer(frame, 2, choice(40, 1 / 2), 5));
  const waiting = frameOf(900);
  assert.deepEqual(stage.offer(waiting, 3, choice(40, 1 / 2), 6), []);
  const [sent, next] = stage.failed(failing, 7);
  assert.ok(sent.kind === "send" && sent.frame.bytes === frame && !sent.frame.transcoded);
  assert.deepEqual([sent.frame.quality, sent.frame.scale], [80, 1], "the frame as it came");
  assert.ok(next.kind === "transcode" && next.job.frame === waiting, "the waiting frame starts");
  assert.equal(stage.counters.framesSourceKept, 1);
  assert.equal(stage.counters.transcodeFailures, 1);
  assert.equal(stage.counters.framesTranscoded, 0);
  assert.deepEqual(heard.calls, [[70, 1, 1000, 4], [80, 1, 1000, 7]]);
});

Deno.test("reporting a job that is not running throws; nothing changes", () => {
  const stage = new PictureStage({ sourceQuality: 80, observer: null });
  const job = jobOf(stage.offer(frameOf(100), 1, choice(50), 0));
  stage.transcoded(job, frameOf(10), 1);
  assert.throws(() => stage.transcoded(job, frameOf(10), 2), /not the one running/);
  assert.throws(() => stage.failed(job, 2), /not the one running/);
  assert.equal(stage.counters.framesTranscoded, 1);
  assert.equal(stage.counters.transcodeFailures, 0);
});

Deno.test("transcode times: percentiles over the last samples only", () => {
  const stage = new PictureStage({ sourceQuality: 80, observer: null, timingSamples: 4 });
  assert.equal(stage.stats().transcodeMsP50, null);
  // Durations 100, 1, 2, 3, 4 ms: the first falls out of a window of 4.
  let nowMs = 0;
  for (const ms of [100, 1, 2, 3, 4]) {
    const job = jobOf(stage.offer(frameOf(100), nowMs, choice(50), nowMs));
    nowMs += ms;
    stage.transcoded(job, frameOf(10), nowMs);
  }
  const stats = stage.stats();
  assert.equal(stats.transcodeMsP50, 2);
  assert.equal(stats.transcodeMsP95, 4);
  assert.equal(stats.framesTranscoded, 5);
});

Deno.test("a stage refuses a source quality out of range and a bad sample count", () => {
  for (const sourceQuality of [0, 101, NaN]) {
    assert.throws(
      () => new PictureStage({ sourceQuality, observer: null }),
      /^RangeError: Cannot build the picture stage: source quality/,
    );
  }
  for (const timingSamples of [0, 1.5]) {
    assert.throws(
      () => new PictureStage({ sourceQuality: 80, observer: null, timingSamples }),
      /timing samples/,
    );
  }
});

Deno.test("fuzz: every frame is counted once, frames leave in capture order", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const prng = new Prng(seed);
    const heard = new Heard();
    const stage = new PictureStage({ sourceQuality: 80, observer: heard });
    const running: TranscodeJob[] = [];
    const sent: number[] = [];
    const take = (steps: PictureStep[]) => {
      for (const step of steps) {
        if (step.kind === "send") sent.push(step.frame.captureUs);
        else running.push(step.job);
      }
    };
    let captureUs = 0;
    for (let i = 0; i < 400; i++) {
      const action = prng.int(0, 9);
      if (action < 6 || running.length === 0) {
        const pick = choice(
          [80, 90, 60, 40][prng.int(0, 3)],
          [1, 3 / 4, 1 / 2][prng.int(0, 2)],
          prng.int(0, 4) > 0,
        );
        take(stage.offer(frameOf(prng.int(1, 2000)), ++captureUs, pick, i));
      } else {
        const job = running.shift()!;
        if (action === 9) take(stage.failed(job, i));
        else take(stage.transcoded(job, frameOf(prng.int(1, 2000)), i));
      }
      assert.ok(running.length <= 1, `seed ${seed}: more than one transcode running`);
      assert.equal(stage.busy, running.length === 1);
      const c: PictureStageCounters = stage.counters;
      assert.equal(
        c.framesOffered,
        c.framesPassed + c.framesTranscoded + c.framesSourceKept + c.transcodeFailures +
          c.framesDroppedForRate + c.framesSkippedBehind + stage.framesHeld,
        `seed ${seed} step ${i}`,
      );
      assert.equal(
        sent.length,
        c.framesPassed + c.framesTranscoded + c.framesSourceKept + c.transcodeFailures,
      );
      assert.equal(heard.calls.length, sent.length, "the observer hears every frame sent");
    }
    for (let i = 1; i < sent.length; i++) {
      assert.ok(sent[i] > sent[i - 1], `seed ${seed}: ${sent[i - 1]} then ${sent[i]}`);
    }
  }
});

Deno.test("the ladder is an observer: what the stage sends moves its model", () => {
  const ladder = new PictureLadder({ sourceFps: 30 });
  const stage = new PictureStage({ sourceQuality: 80, observer: ladder });
  // 46 kB frames at quality 80 are 11 Mbit/s at 30 fps; the ladder plans on what it heard.
  only(stage.offer(frameOf(46_000), 0, top, 0));
  assert.ok((ladder.predictBps(ladder.rungs[0]) ?? 0) > 10e6);
  const decision = ladder.choose(3_800_000, 33);
  assert.ok(decision.index > 0, decision.reason);
  const job = jobOf(stage.offer(frameOf(46_000), 33_000, { ...decision.rung, admit: true }, 33));
  assert.equal(job.quality, decision.rung.quality);
  stage.transcoded(job, frameOf(10_000), 40);
  // The anchor is now the re-encoded frame: the current rung is predicted from its 10 kB.
  const predicted = ladder.predictBps(decision.rung)!;
  assert.ok(Math.abs(predicted - 10_000 * 8 * decision.rung.fps) < 1, String(predicted));
});
