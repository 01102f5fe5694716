/**
 * The files the programs write because the user named them (`--record`, `--save`, `--sdp`):
 * appended, never truncated, never written through a symbolic link, recordings created 0600.
 * Real programs, real files in a temporary folder.
 */

import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import {
  jsonLines,
  requireTool,
  startLoopbackReceiver,
  startProgram,
  startTestPatternSender,
  stopProgram,
} from "./support/programs.ts";
import { readMjpegFrames } from "./support/mjpeg.ts";
import { makeJpeg } from "./support/test_jpegs.ts";

const VICTIM_TEXT = "the file a planted link points at\n";

/** A folder with `victim.txt` and `link -> victim.txt`; removed after `body`. */
async function withPlantedLink(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "udpcam-output-" });
  try {
    await Deno.writeTextFile(`${dir}/victim.txt`, VICTIM_TEXT);
    await Deno.symlink(`${dir}/victim.txt`, `${dir}/link`);
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("udpcam-recv --record appends to an existing recording and creates a new one 0600", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  await withPlantedLink(async (dir) => {
    const earlier = await makeJpeg({ source: "testsrc2", width: 64, height: 48 });
    await Deno.writeFile(`${dir}/old.mjpeg`, earlier);
    for (const name of ["old.mjpeg", "new.mjpeg"]) {
      const { receiver, port } = await startLoopbackReceiver([
        ...["--headless", "--stats-json", "--frames", "5", "--duration", "30"],
        ...["--record", `${dir}/${name}`],
      ]);
      const sender = startTestPatternSender(port, ["--size", "320x240", "--duration", "30"]);
      try {
        const received = await receiver.done;
        equal(received.code, 0, received.stderr);
        if (name === "old.mjpeg") {
          match(received.stderr, /--record .*old\.mjpeg already holds \d+ bytes: appending/);
        }
      } finally {
        await stopProgram(sender);
        await stopProgram(receiver);
      }
    }
    const old = readMjpegFrames(`${dir}/old.mjpeg`);
    equal(old.length, 6, "the earlier frame and the 5 new ones");
    deepStrictEqual(old[0], earlier, "the earlier recording was not kept");
    equal(readMjpegFrames(`${dir}/new.mjpeg`).length, 5);
    equal((await Deno.stat(`${dir}/new.mjpeg`)).mode! & 0o777, 0o600);
  });
});

Deno.test("udpcam-recv --record refuses a symbolic link and leaves its target alone", async () => {
  await withPlantedLink(async (dir) => {
    const result = await startProgram("receiver.ts", [
      ...["--listen", "127.0.0.1:0", "--headless", "--duration", "5", "--record", `${dir}/link`],
    ]).done;
    equal(result.code, 1, result.stderr);
    match(
      result.stderr,
      /^udpcam-recv: Cannot write --record .*link: it is a symbolic link, and udpcam does not write through links\. Give the path of the file itself\./m,
    );
    equal(await Deno.readTextFile(`${dir}/victim.txt`), VICTIM_TEXT);
  });
});

Deno.test("udpcam-send --save appends and refuses links; --sdp replaces its file and refuses links", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  await withPlantedLink(async (dir) => {
    const earlier = await makeJpeg({ source: "testsrc2", width: 64, height: 48 });
    await Deno.writeFile(`${dir}/sent.mjpeg`, earlier);
    await Deno.writeTextFile(`${dir}/stream.sdp`, "an old SDP file\n");
    const send = (args: string[]) =>
      startProgram("sender.ts", [
        ...["--test-pattern", "--size", "320x240", "--to", "127.0.0.1:9", "--frames", "4"],
        ...args,
      ]).done;

    const saved = await send(["--save", `${dir}/sent.mjpeg`, "--stats-json"]);
    equal(saved.code, 0, saved.stderr);
    const frames = readMjpegFrames(`${dir}/sent.mjpeg`);
    deepStrictEqual(frames[0], earlier, "the earlier file was not kept");
    equal(frames.length, 1 + (jsonLines(saved.stdout).at(-1) as { framesRead: number }).framesRead);

    const sdp = await send(["--wire", "rtp", "--sdp", `${dir}/stream.sdp`]);
    equal(sdp.code, 0, sdp.stderr);
    match(await Deno.readTextFile(`${dir}/stream.sdp`), /^v=0\r\n[\s\S]*m=video 9 RTP\/AVP 26/);
    deepStrictEqual(
      [...Deno.readDirSync(dir)].map((entry) => entry.name).sort(),
      ["link", "sent.mjpeg", "stream.sdp", "victim.txt"],
      "a temporary file was left behind",
    );

    for (const args of [["--save", `${dir}/link`], ["--wire", "rtp", "--sdp", `${dir}/link`]]) {
      const refused = await send(args);
      equal(refused.code, 1, refused.stderr);
      match(refused.stderr, /Cannot write --(save|sdp) .*link: it is a symbolic link/);
      ok(!refused.stderr.includes("streaming"), refused.stderr);
      equal(await Deno.readTextFile(`${dir}/victim.txt`), VICTIM_TEXT, args.join(" "));
    }
  });
});
