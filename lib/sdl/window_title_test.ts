import { equal } from "node:assert/strict";
import { snapshotFileName, WindowTitle, type WindowTitleInput } from "./window_title.ts";

const BASE: WindowTitleInput = {
  listen: "127.0.0.1:12345",
  waiting: false,
  fps: 29.97,
  mbps: 12.345,
  framesComplete: 0,
  framesDropped: 0,
  latencyP50Ms: 41.6,
  frameSize: { width: 1280, height: 720 },
};

Deno.test("window title: stats, per-interval loss, waiting", () => {
  const title = new WindowTitle();
  equal(
    title.format({ ...BASE, waiting: true, frameSize: null }),
    "udpcam - waiting for stream on 127.0.0.1:12345",
  );
  equal(
    title.format({ ...BASE, framesComplete: 30 }),
    "udpcam 1280x720 | 30.0 fps | 12.3 Mbit/s | lost 0.0% | latency p50 42 ms",
  );
  // 27 complete and 3 lost since the last title: 10% lost in this interval.
  equal(
    title.format({ ...BASE, framesComplete: 57, framesDropped: 3, latencyP50Ms: null }),
    "udpcam 1280x720 | 30.0 fps | 12.3 Mbit/s | lost 10.0%",
  );
  equal(
    title.format({ ...BASE, framesComplete: 87, framesDropped: 3 }).includes("lost 0.0%"),
    true,
  );
});

Deno.test("snapshot names: UTC time, frame number, collision suffix", () => {
  const ms = Date.UTC(2024, 0, 31, 23, 59, 58, 7);
  equal(snapshotFileName(ms, 42), "udpcam-20240131-235958-007-f42.jpg");
  equal(snapshotFileName(ms, -1, 3), "udpcam-20240131-235958-007-f4294967295-3.jpg");
});

Deno.test("the waiting title says why datagrams make no frame", () => {
  const title = new WindowTitle().format({
    listen: "0.0.0.0:12345",
    waiting: true,
    fps: 0,
    mbps: 1,
    framesComplete: 0,
    framesDropped: 0,
    latencyP50Ms: null,
    frameSize: null,
    problem: "datagrams are arriving but fail authentication: check --key",
  });
  equal(
    title,
    "udpcam - waiting for stream on 0.0.0.0:12345: datagrams are arriving but fail " +
      "authentication: check --key",
  );
});
