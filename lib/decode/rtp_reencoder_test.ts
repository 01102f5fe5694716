import { equal, ok, throws } from "node:assert/strict";
import { parseJpeg } from "../jpeg/mod.ts";
import { RtpJpegPacketizer } from "../wire/rtp/mod.ts";
import { testsrcJpegs } from "../../tests/support/ffmpeg_frames.ts";
import { openRtpReencoder, rtpScaleEighths } from "./rtp_reencoder.ts";

Deno.test("rtpScaleEighths: the largest n/8 that brings a frame within 2040 pixels", () => {
  const cases: [number, number, number][] = [
    [1280, 720, 8],
    [2040, 2040, 8],
    [2048, 1080, 7],
    [3840, 2160, 4],
    [7680, 4320, 2],
    [65535, 10, 1],
  ];
  for (const [width, height, eighths] of cases) {
    equal(rtpScaleEighths(width, height), eighths, `${width}x${height}`);
  }
});

Deno.test("openRtpReencoder: frames with optimal Huffman tables and over 2040 pixels become carriable", async () => {
  const reencoder = openRtpReencoder();
  ok(reencoder !== null, "libjpeg-turbo (apt install libturbojpeg0) must load");
  const packetizer = new RtpJpegPacketizer({ maxDatagramBytes: 1400, ssrc: 1 });
  try {
    const cases: [string, string[]][] = [
      ["320x240", ["-huffman", "optimal", "-pix_fmt", "yuvj420p"]],
      ["320x240", ["-huffman", "default", "-pix_fmt", "yuvj422p"]],
      ["2560x1440", ["-huffman", "default", "-pix_fmt", "yuvj420p"]],
    ];
    for (const [size, encoderArgs] of cases) {
      const [frame] = await testsrcJpegs(1, size, encoderArgs);
      throws(() => packetizer.packetize(frame, 0), `${size} ${encoderArgs} is unfit as it is`);
      const fitted = await reencoder.reencode(frame);
      ok(fitted !== null, `${size} ${encoderArgs}`);
      ok(packetizer.packetize(fitted, 0).length > 0);
      const parsed = parseJpeg(fitted);
      ok(parsed.ok);
      ok(Math.max(parsed.info.width, parsed.info.height) <= 2040, `${size}`);
    }
    equal(await reencoder.reencode(new Uint8Array([1, 2, 3])), null, "not a JPEG");
  } finally {
    reencoder.close();
  }
});
