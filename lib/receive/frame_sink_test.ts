import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { testsrcJpegs } from "../../tests/support/ffmpeg_frames.ts";
import { Prng } from "../netsim/mod.ts";
import { RUN_LATENCY_WARMUP_FRAMES } from "../stats/mod.ts";
import { type CompleteFrame, FrameSink, type FrameSinkOptions } from "./frame_sink.ts";

const JPEGS = await testsrcJpegs(3);

/** Not JPEGs, each with the reason lib/jpeg/parse.ts gives. */
const MALFORMED: Record<string, Uint8Array> = {
  noSoi: new Uint8Array([0x00, 0x01, 0x02, 0x03]),
  // A whole frame cut after its headers: the scan runs into the end without an EOI.
  noEoi: JPEGS[0].subarray(0, JPEGS[0].length - 2),
};

function frame(bytes: Uint8Array, fields: Partial<CompleteFrame> = {}): CompleteFrame {
  return { streamId: 7, frameSeq: 0, captureUs: null, completeUs: 0, bytes, ...fields };
}

/** A sink whose outputs write down what they got, in one log. */
function recordingSink(options: Partial<FrameSinkOptions> = {}) {
  const log: string[] = [];
  const recorded: Uint8Array[] = [];
  const sink = new FrameSink({
    maxFrames: 0,
    recorder: {
      write: (jpeg) => {
        recorded.push(jpeg);
        log.push("record");
      },
    },
    publisher: { publishFrame: (_jpeg, info) => log.push(`publish ${info.frameSeq}`) },
    betweenFrames: () => log.push("between"),
    onMaxFrames: () => log.push("max"),
    ...options,
  });
  return { sink, log, recorded };
}

Deno.test("parseJpeg's verdict decides: JPEGs go to every output, malformed frames only count", () => {
  for (const [reason, bytes] of Object.entries(MALFORMED)) {
    const { sink, log } = recordingSink();
    equal(sink.push(frame(bytes), 5), false, reason);
    deepStrictEqual(log, [], reason);
    deepStrictEqual(sink.counters, {
      framesPushed: 1,
      framesAccepted: 0,
      framesMalformed: { [reason]: 1 },
    }, reason);
    equal(sink.firstFrameCompleteMs, null, reason);
    equal(sink.streamId, null, reason);
  }
  const { sink, log, recorded } = recordingSink();
  ok(sink.push(frame(JPEGS[0], { frameSeq: 1, streamId: 0xabc }), 12.3456));
  // Recorded, then published, then (headless) the moment between frames.
  deepStrictEqual(log, ["record", "publish 1", "between"]);
  equal(recorded[0], JPEGS[0]);
  equal(sink.firstFrameCompleteMs, 12.35);
  equal(sink.streamId, 0xabc);
  ok(sink.push(frame(JPEGS[1], { frameSeq: 2, streamId: 0xdef }), 40));
  equal(sink.firstFrameCompleteMs, 12.35, "the first frame's time stays");
  equal(sink.streamId, 0xdef, "the last frame's stream");
});

Deno.test("with a display attached, it gets every frame, malformed ones too", () => {
  const { sink, log } = recordingSink();
  const shown: number[] = [];
  sink.push(frame(JPEGS[0], { frameSeq: 1 }), 0);
  sink.attachDisplay({ push: (f) => shown.push(f.frameSeq) });
  sink.push(frame(MALFORMED.noSoi, { frameSeq: 2 }), 1);
  sink.push(frame(JPEGS[1], { frameSeq: 3 }), 2);
  deepStrictEqual(shown, [2, 3]);
  // The display says when a frame went out; the sink no longer does.
  deepStrictEqual(log, ["record", "publish 1", "between", "record", "publish 3"]);
});

Deno.test("--frames: onMaxFrames once, at the n-th JPEG; malformed frames do not count", () => {
  // firesAt: the index of the frame whose push calls onMaxFrames, or null for never.
  const cases: { maxFrames: number; frames: Uint8Array[]; firesAt: number | null }[] = [
    { maxFrames: 0, frames: [JPEGS[0], JPEGS[1], JPEGS[2]], firesAt: null },
    { maxFrames: 1, frames: [JPEGS[0], JPEGS[1]], firesAt: 0 },
    { maxFrames: 2, frames: [JPEGS[0], MALFORMED.noSoi, JPEGS[1], JPEGS[2]], firesAt: 2 },
    { maxFrames: 3, frames: [JPEGS[0], JPEGS[1]], firesAt: null },
  ];
  for (const c of cases) {
    const calls: number[] = [];
    let index = 0;
    const sink = new FrameSink({ maxFrames: c.maxFrames, onMaxFrames: () => calls.push(index) });
    for (; index < c.frames.length; index++) sink.push(frame(c.frames[index]), index);
    deepStrictEqual(calls, c.firesAt === null ? [] : [c.firesAt], `--frames ${c.maxFrames}`);
  }
});

Deno.test("latency is complete minus capture, per interval and over the run after warm-up", () => {
  const sink = new FrameSink({ maxFrames: 0 });
  equal(sink.takeLatency(), null, "no samples yet");
  const base = 1_700_000_000_000_000;
  // captureUs null (legacy mode): no sample, but the frame is accepted.
  ok(sink.push(frame(JPEGS[0], { captureUs: null, completeUs: base }), 0));
  equal(sink.takeLatency(), null);
  for (let i = 0; i < RUN_LATENCY_WARMUP_FRAMES + 4; i++) {
    // 10, 20, 30, 40 ms after the warm-up frames (which take 1 ms).
    const latencyUs = i < RUN_LATENCY_WARMUP_FRAMES ? 1000 : (i - RUN_LATENCY_WARMUP_FRAMES + 1) *
      10_000;
    sink.push(frame(JPEGS[0], { captureUs: base, completeUs: base + latencyUs }), i);
  }
  deepStrictEqual(sink.takeLatency(), {
    p50: 1,
    p95: 30,
    p99: 40,
    samples: RUN_LATENCY_WARMUP_FRAMES + 4,
  });
  equal(sink.takeLatency(), null, "a new interval starts empty");
  deepStrictEqual(sink.takeRunReport(), {
    latencyMsRun: { p50: 20, p95: 40, p99: 40, samples: 4 },
    firstFrameCompleteMs: 0,
  });
  // A capture time after completion: the clocks differ, so no figure rather than a wrong one.
  sink.push(frame(JPEGS[0], { captureUs: base + 5000, completeUs: base }), 99);
  equal(sink.takeLatency(), null);
});

Deno.test("fuzz: pushed = accepted + malformed by reason, and each output saw what it should", () => {
  const pool = [...JPEGS, ...Object.values(MALFORMED)];
  const rounds = Number(Deno.env.get("UDPCAM_FUZZ_ROUNDS") ?? 200);
  const prng = new Prng(16);
  for (let round = 0; round < rounds; round++) {
    const maxFrames = prng.int(0, 6);
    const attachAt = prng.int(0, 12);
    const count = prng.int(0, 12);
    let recorded = 0, published = 0, between = 0, shown = 0, maxCalls = 0;
    const sink = new FrameSink({
      maxFrames,
      recorder: { write: () => recorded++ },
      publisher: { publishFrame: () => published++ },
      betweenFrames: () => between++,
      onMaxFrames: () => maxCalls++,
    });
    let acceptedBeforeDisplay = 0, pushedAfterDisplay = 0;
    for (let i = 0; i < count; i++) {
      if (i === attachAt) sink.attachDisplay({ push: () => shown++ });
      const bytes = pool[prng.int(0, pool.length - 1)];
      // Random bytes now and then: anything that is not a JPEG is counted, never thrown.
      const input = prng.int(0, 9) === 0 ? prng.bytes(prng.int(0, 64)) : bytes;
      const accepted = sink.push(frame(input, { frameSeq: i }), i);
      if (i >= attachAt) pushedAfterDisplay++;
      else if (accepted) acceptedBeforeDisplay++;
    }
    const c = sink.counters;
    const malformed = Object.values(c.framesMalformed).reduce((a, b) => a + b, 0);
    const label = `round ${round}`;
    equal(c.framesPushed, count, label);
    equal(c.framesAccepted + malformed, c.framesPushed, label);
    equal(recorded, c.framesAccepted, label);
    equal(published, c.framesAccepted, label);
    equal(between, acceptedBeforeDisplay, label);
    equal(shown, pushedAfterDisplay, label);
    equal(maxCalls, maxFrames > 0 && c.framesAccepted >= maxFrames ? 1 : 0, label);
    equal(sink.firstFrameCompleteMs === null, c.framesAccepted === 0, label);
  }
});
