import assert from "node:assert/strict";
import { PictureLadder, REENCODE_SCALES } from "../adapt/mod.ts";
import { type PictureChoice, PictureStage } from "../send/mod.ts";
import { makeJpegs } from "../../tests/support/test_jpegs.ts";
import { type FrameTarget, PictureStageSink } from "./picture_stage_sink.ts";
import { TurboDecoder } from "./turbo_decoder.ts";
import { plainBaselineProblem, TranscodeError, TurboTranscoder } from "./turbo_transcoder.ts";

/** The sender's end, as the sink sees it: keeps what it was offered. */
class Received implements FrameTarget {
  readonly frames: { frame: Uint8Array; captureUs: number }[] = [];
  offer(frame: Uint8Array, captureUs: number): void {
    this.frames.push({ frame, captureUs });
  }
  idle(): Promise<void> {
    return Promise.resolve();
  }
}

async function withSink(
  choose: (captureUs: number, nowMs: number) => PictureChoice,
  fn: (sink: PictureStageSink, received: Received, stage: PictureStage) => Promise<void>,
  options: { nowMs?: () => number; onFailure?: (error: unknown) => void } = {},
): Promise<TurboTranscoder> {
  const transcoder = TurboTranscoder.open();
  const stage = new PictureStage({ sourceQuality: 80, observer: null });
  const received = new Received();
  const sink = new PictureStageSink({ stage, transcoder, target: received, choose, ...options });
  try {
    await fn(sink, received, stage);
  } finally {
    await sink.idle();
    transcoder.close();
  }
  return transcoder;
}

const frames = await makeJpegs({
  source: "testsrc2",
  width: 320,
  height: 240,
  frames: 6,
  qscale: 8,
});

Deno.test("at the top rung the sender gets the very frames offered and nothing is re-encoded", async () => {
  const transcoder = await withSink(
    () => ({ quality: 80, scale: 1, admit: true }),
    async (sink, received) => {
      for (const [i, frame] of frames.entries()) sink.offer(frame, 1000 + i);
      await sink.idle();
      assert.equal(received.frames.length, frames.length);
      for (const [i, { frame, captureUs }] of received.frames.entries()) {
        assert.equal(frame, frames[i], `frame ${i}: the same buffer`);
        assert.equal(captureUs, 1000 + i);
      }
    },
  );
  assert.equal(transcoder.counters.framesTranscoded, 0);
});

Deno.test("below it frames are re-encoded at the rung's size, in order, the newest waiting wins", async () => {
  const decoder = TurboDecoder.open();
  try {
    await withSink(
      () => ({ quality: 40, scale: 1 / 2, admit: true }),
      async (sink, received, stage) => {
        // Offered at once: the first starts, each later one takes the waiting slot from the last.
        for (const [i, frame] of frames.entries()) sink.offer(frame, 1000 + i);
        assert.equal(received.frames.length, 0, "nothing goes before its transcode is done");
        await sink.idle();
        assert.deepEqual(received.frames.map((f) => f.captureUs), [1000, 1005]);
        for (const { frame } of received.frames) {
          assert.equal(plainBaselineProblem(frame, 160, 120), null);
          const image = await decoder.decode(frame);
          assert.deepEqual([image.width, image.height], [160, 120]);
        }
        assert.equal(stage.counters.framesTranscoded, 2);
        assert.equal(stage.counters.framesSkippedBehind, frames.length - 2);
        assert.notEqual(stage.stats().transcodeMsP50, null);
      },
    );
  } finally {
    decoder.close();
  }
});

Deno.test("a frame the transcoder refuses goes on as it came, counted and reported", async () => {
  const garbage = new Uint8Array([0xff, 0xd8, 1, 2, 3, 4, 5]);
  const failures: unknown[] = [];
  const transcoder = await withSink(
    () => ({ quality: 40, scale: 1, admit: true }),
    async (sink, received, stage) => {
      sink.offer(garbage, 1);
      await sink.idle();
      sink.offer(frames[0], 2);
      await sink.idle();
      assert.equal(received.frames[0].frame, garbage);
      assert.ok(received.frames[1].frame.length < frames[0].length, "the next one re-encoded");
      assert.equal(stage.counters.transcodeFailures, 1);
      assert.equal(stage.counters.framesTranscoded, 1);
    },
    { onFailure: (error) => failures.push(error) },
  );
  assert.equal(failures.length, 1);
  assert.ok(failures[0] instanceof TranscodeError && failures[0].reason === "header");
  assert.equal(transcoder.counters.failures.header, 1);
});

Deno.test("with the real ladder, a narrow budget brings the stream under it", async () => {
  const source = await makeJpegs({
    source: "testsrc2",
    width: 320,
    height: 240,
    frames: 30,
    qscale: 8,
  });
  const ladder = new PictureLadder({ sourceFps: 30, scales: [...REENCODE_SCALES] });
  const topBps = source[0].length * 8 * 30;
  const budgetBps = topBps * 0.3;
  let nowMs = 0;
  const transcoder = TurboTranscoder.open();
  const stage = new PictureStage({ sourceQuality: 80, observer: ladder });
  const received = new Received();
  const sink = new PictureStageSink({
    stage,
    transcoder,
    target: received,
    nowMs: () => nowMs,
    choose: (captureUs, now) => {
      const decision = ladder.choose(budgetBps, now);
      return { ...decision.rung, admit: ladder.admit(captureUs / 1000) };
    },
  });
  try {
    // 6 s at 30 fps on a virtual clock; each transcode finishes before the next frame.
    for (let i = 0; i < 180; i++) {
      nowMs = (i * 1000) / 30;
      sink.offer(source[i % source.length], Math.round(nowMs * 1000));
      await sink.idle();
    }
  } finally {
    transcoder.close();
  }
  assert.ok(ladder.rung.quality < 80 || ladder.rung.fps < 30 || ladder.rung.scale < 1);
  // The last 3 s: what was sent, against the budget (the ladder's up headroom leaves room).
  const lastUs = 3_000_000;
  const recent = received.frames.filter((f) => f.captureUs >= lastUs);
  const sentBps = (recent.reduce((sum, f) => sum + f.frame.length, 0) * 8) / 3;
  assert.ok(sentBps <= budgetBps, `${Math.round(sentBps)} bit/s sent, budget ${budgetBps}`);
  // The lowest rung still sends 5 fps: the picture keeps moving.
  assert.ok(recent.length >= 15, `${recent.length} frames in the last 3 s`);
  assert.ok(stage.counters.framesTranscoded > 0);
  assert.equal(
    stage.counters.framesOffered,
    stage.counters.framesPassed + stage.counters.framesTranscoded +
      stage.counters.framesSourceKept + stage.counters.transcodeFailures +
      stage.counters.framesDroppedForRate + stage.counters.framesSkippedBehind,
  );
});
