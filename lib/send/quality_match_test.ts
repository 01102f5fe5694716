import assert from "node:assert/strict";
import { qualityToQscale } from "../capture/mod.ts";
import { libjpegQualityFor } from "./quality_match.ts";

Deno.test("libjpegQualityFor: the libjpeg quality quantizing like ffmpeg at each --quality", () => {
  // [--quality, ffmpeg's qscale, libjpeg quality]: S = 100 × qscale/8 × 2106/3672, then the
  // quality giving S (200 − 2q from 50 up, 5000/q below).
  const cases: [number, number, number][] = [
    [100, 2, 93], // S 14.3
    [90, 5, 82], // S 35.8
    [80, 8, 71], // S 57.4: the default --quality
    [70, 11, 61], // S 78.9
    [60, 14, 50], // S 100.4 → 5000/100.4 = 49.8
    [50, 17, 41], // S 121.9
    [40, 20, 35], // S 143.4
    [1, 31, 22], // S 222.2
  ];
  for (const [quality, qscale, want] of cases) {
    assert.equal(qualityToQscale(quality), qscale, `qscale of ${quality}`);
    assert.equal(libjpegQualityFor(quality), want, `--quality ${quality}`);
  }
});

Deno.test("libjpegQualityFor never falls as --quality rises and stays in 1..100", () => {
  let previous = 0;
  for (let quality = -5; quality <= 105; quality++) {
    const libjpeg = libjpegQualityFor(quality);
    assert.ok(libjpeg >= previous && libjpeg >= 1 && libjpeg <= 100, `${quality} → ${libjpeg}`);
    previous = libjpeg;
  }
});
