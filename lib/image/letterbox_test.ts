import assert from "node:assert/strict";
import { letterboxRect } from "./letterbox.ts";

Deno.test("letterboxRect places content centred at its aspect ratio", () => {
  const cases: [number, number, number, number, [number, number, number, number]][] = [
    [640, 480, 640, 480, [0, 0, 640, 480]],
    [640, 480, 1280, 960, [0, 0, 1280, 960]],
    [1280, 720, 640, 480, [0, 60, 640, 360]],
    [640, 480, 1280, 720, [160, 0, 960, 720]],
    [320, 240, 1000, 100, [433, 0, 133, 100]],
    [1920, 1080, 1, 1, [0, 0, 1, 1]],
    [640, 480, 0, 0, [0, 0, 0, 0]],
    [0, 480, 640, 480, [0, 0, 0, 0]],
  ];
  for (const [cw, ch, ow, oh, want] of cases) {
    const r = letterboxRect(cw, ch, ow, oh);
    assert.deepEqual([r.x, r.y, r.width, r.height], want, `${cw}x${ch} in ${ow}x${oh}`);
  }
});

Deno.test("letterboxRect stays inside the output (seeded property test)", () => {
  let seed = 0x1234abcd;
  const next = (max: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return 1 + (((t ^ (t >>> 14)) >>> 0) % max);
  };
  for (let i = 0; i < 2000; i++) {
    const [cw, ch, ow, oh] = [next(4000), next(4000), next(4000), next(4000)];
    const r = letterboxRect(cw, ch, ow, oh);
    assert.ok(r.x >= 0 && r.y >= 0 && r.width >= 1 && r.height >= 1);
    assert.ok(r.x + r.width <= ow && r.y + r.height <= oh, `${cw}x${ch} in ${ow}x${oh}`);
    assert.ok(r.width === ow || r.height === oh, "touches two edges");
  }
});
