import { equal, match } from "node:assert/strict";
import { explainFfmpegExit, ffmpegMissingMessage } from "./ffmpeg_errors.ts";

const camera = { kind: "camera", device: null } as const;

Deno.test("explainFfmpegExit names the cause and the next step", () => {
  const table: [string[], RegExp][] = [
    [
      ["[video4linux2,v4l2 @ 0x1] Cannot open video device /dev/video0: No such file or directory"],
      /no such camera.*--list-devices.*--test-pattern/,
    ],
    [
      ["[video4linux2,v4l2 @ 0x1] Cannot open video device /dev/video0: Device or resource busy"],
      /busy.*--device/,
    ],
    [["/dev/video0: Permission denied"], /permission denied.*video group/],
    [
      ["[dshow @ 0x1] Could not find video device with name [Cam] among source devices of type video."],
      /no such camera/,
    ],
  ];
  for (const [stderr, expected] of table) {
    const message = explainFfmpegExit(stderr, 1, camera, "/dev/video0", 0);
    match(message, expected);
    match(message, /^Cannot open camera \/dev\/video0/);
  }
  match(
    explainFfmpegExit(
      ["x.mp4: No such file or directory"],
      1,
      { kind: "file", path: "x.mp4", loop: true },
      null,
      0,
    ),
    /Cannot open file x.mp4: no such file/,
  );
  match(explainFfmpegExit(["boom"], 1, camera, "/dev/video0", 50), /after 50 frames.*boom/);
  match(explainFfmpegExit([], 3, { kind: "testPattern" }, null, 0), /exited with code 3\. Check/);
});

Deno.test("ffmpegMissingMessage gives the install line per OS", () => {
  match(ffmpegMissingMessage("ffmpeg", "linux"), /apt install ffmpeg.*--ffmpeg PATH/);
  match(ffmpegMissingMessage("ffmpeg", "darwin"), /brew install ffmpeg/);
  equal(ffmpegMissingMessage("ffmpeg", "windows").includes("winget"), true);
});
