import { deepStrictEqual, throws } from "node:assert/strict";
import {
  ffmpegTiming,
  pacingFps,
  planRate,
  type RatePlan,
  type RateRequest,
  rateText,
  releaseFps,
  sdpFramesPerSecond,
} from "./rate_plan.ts";

Deno.test("planRate: the source, --passthrough and --fps make one of four plans", () => {
  const table: [string, RateRequest, RatePlan][] = [
    ["camera, no --fps", { sourceKind: "camera", passthrough: false, fps: null }, {
      kind: "capture",
      fps: 30,
    }],
    ["camera --passthrough --fps 60", { sourceKind: "camera", passthrough: true, fps: 60 }, {
      kind: "capture",
      fps: 60,
    }],
    ["test pattern --fps 15", { sourceKind: "testPattern", passthrough: false, fps: 15 }, {
      kind: "capture",
      fps: 15,
    }],
    ["re-encoded file", { sourceKind: "file", passthrough: false, fps: null }, {
      kind: "capture",
      fps: 30,
    }],
    ["re-encoded file --fps 600", { sourceKind: "file", passthrough: false, fps: 600 }, {
      kind: "capture",
      fps: 600,
    }],
    ["pass-through file", { sourceKind: "file", passthrough: true, fps: null }, {
      kind: "fileOwnRate",
    }],
    ["pass-through file --fps 300", { sourceKind: "file", passthrough: true, fps: 300 }, {
      kind: "released",
      fps: 300,
    }],
    ["pass-through file --fps max", { sourceKind: "file", passthrough: true, fps: "max" }, {
      kind: "max",
    }],
    ["re-encoded file --fps max", { sourceKind: "file", passthrough: false, fps: "max" }, {
      kind: "max",
    }],
  ];
  for (const [name, request, plan] of table) deepStrictEqual(planRate(request), plan, name);
});

Deno.test("planRate: --fps max is refused for sources that set their own pace", () => {
  for (const sourceKind of ["camera", "testPattern"] as const) {
    throws(() => planRate({ sourceKind, passthrough: false, fps: "max" }), RangeError);
  }
});

Deno.test("each plan's ffmpeg timing, pacing, release clock, SDP framerate and banner words", () => {
  const table: {
    plan: RatePlan;
    realtime: boolean;
    pacing: number;
    release: number | null;
    sdp: number | undefined;
    text: string;
  }[] = [
    {
      plan: { kind: "capture", fps: 25 },
      realtime: true,
      pacing: 25,
      release: null,
      sdp: 25,
      text: "25 fps",
    },
    // Plays at its own rate, which is not known here: no a=framerate rather than a wrong one.
    {
      plan: { kind: "fileOwnRate" },
      realtime: true,
      pacing: 30,
      release: null,
      sdp: undefined,
      text: "the file's own frame rate",
    },
    {
      plan: { kind: "released", fps: 300 },
      realtime: false,
      pacing: 300,
      release: 300,
      sdp: 300,
      text: "300 fps",
    },
    // As fast as it can be sent: the 240 pacing plans for is no frame rate to announce.
    {
      plan: { kind: "max" },
      realtime: false,
      pacing: 240,
      release: null,
      sdp: undefined,
      text: "as fast as possible",
    },
  ];
  for (const { plan, realtime, pacing, release, sdp, text } of table) {
    const name = JSON.stringify(plan);
    deepStrictEqual(ffmpegTiming(plan), { fps: pacing, realtime }, name);
    deepStrictEqual(pacingFps(plan), pacing, name);
    deepStrictEqual(releaseFps(plan), release, name);
    deepStrictEqual(sdpFramesPerSecond(plan), sdp, name);
    deepStrictEqual(rateText(plan), text, name);
  }
});
