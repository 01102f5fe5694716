/**
 * The SDP udpcam-send --wire rtp writes, per rate plan, through the real program: `a=framerate`
 * is the rate frames go out at, and is left out when nobody knows it (a pass-through file at its
 * own rate, `--fps max`) rather than announced wrong.
 */

import { deepStrictEqual, equal } from "node:assert/strict";
import { runFfmpeg } from "./support/ffmpeg_frames.ts";
import { requireTool, startProgram } from "./support/programs.ts";

/** The SDP for 127.0.0.1 (port written PORT), with `a=framerate:FPS` when `fps` is given. */
function expectedSdp(fps: number | null): string {
  return [
    "v=0",
    "o=- 0 0 IN IP4 127.0.0.1",
    "s=udpcam",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    "m=video PORT RTP/AVP 26",
    "a=rtpmap:26 JPEG/90000",
    ...(fps === null ? [] : [`a=framerate:${fps}`]),
    "a=recvonly",
    "",
  ].join("\r\n");
}

/** Runs udpcam-send --wire rtp --sdp once per case (a 10 fps clip as FILE); returns each SDP. */
async function sdpsWritten(cases: [string, string[]][]): Promise<[string, string][]> {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-sdp-rate-" });
  // Nobody reads this socket: it only holds the port, so the datagrams have somewhere to go.
  const sink = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (sink.addr as Deno.NetAddr).port;
  try {
    // A 10 fps clip with the standard Huffman tables, so RTP/JPEG carries it as it is.
    const clip = `${dir}/clip10.avi`;
    await runFfmpeg([
      ...["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-frames:v", "20"],
      ...["-c:v", "mjpeg", "-huffman", "default", "-pix_fmt", "yuvj420p", clip],
    ]);
    const written: [string, string][] = [];
    for (const [name, args] of cases) {
      const sdpPath = `${dir}/stream.sdp`;
      const sender = startProgram("sender.ts", [
        ...args.map((arg) => arg === "FILE" ? clip : arg),
        ...["--wire", "rtp", "--sdp", sdpPath, "--to", `127.0.0.1:${port}`, "--frames", "3"],
        ...["--duration", "20"],
      ]);
      const sent = await sender.done;
      equal(sent.code, 0, `${name}: ${sent.stderr}`);
      written.push([
        name,
        (await Deno.readTextFile(sdpPath)).replaceAll(`m=video ${port} `, "m=video PORT "),
      ]);
      await Deno.remove(sdpPath);
    }
    return written;
  } finally {
    sink.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Checks every case's SDP at once, so one run shows each one that differs. */
async function checkSdps(table: [string, string[], number | null][]): Promise<void> {
  const written = await sdpsWritten(table.map(([name, args]) => [name, args]));
  deepStrictEqual(written, table.map(([name, , fps]) => [name, expectedSdp(fps)]));
}

Deno.test("udpcam-send --sdp: a pass-through file at its own rate gets no a=framerate (it said 30 for a 10 fps file)", async () => {
  await checkSdps([
    [
      "pass-through file at its own rate (10 fps)",
      ["--file", "FILE", "--no-loop", "--passthrough"],
      null,
    ],
    [
      "pass-through file released at --fps 12",
      ["--file", "FILE", "--no-loop", "--passthrough", "--fps", "12"],
      12,
    ],
    ["re-encoded file: ffmpeg's fps filter makes 30", ["--file", "FILE", "--no-loop"], 30],
  ]);
});

Deno.test("udpcam-send --sdp: --fps max gets no a=framerate (it said 240, the rate pacing plans for)", async () => {
  await checkSdps([
    ["file --fps max", ["--file", "FILE", "--no-loop", "--fps", "max"], null],
    [
      "pass-through file --fps max",
      ["--file", "FILE", "--no-loop", "--passthrough", "--fps", "max"],
      null,
    ],
    ["test pattern --fps 15", ["--test-pattern", "--size", "160x120", "--fps", "15"], 15],
  ]);
});
