/**
 * Command-line behaviour of the real programs that unit tests of the parsers cannot show: exit
 * codes and what is printed before anything streams.
 */

import { doesNotMatch, equal, match, ok } from "node:assert/strict";
import {
  jsonLines,
  requireTool,
  startLoopbackReceiver,
  startProgram,
  stopProgram,
} from "./support/programs.ts";
import { SENDER_PERMISSIONS, UNSTABLE_FLAGS } from "../tools/permissions.ts";

Deno.test("udpcam-send --to a name that does not resolve exits 1 at once, before streaming", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const sender = startProgram("sender.ts", [
    ...["--test-pattern", "--size", "320x240", "--to", "example.invalid:5000", "--frames", "5"],
  ]);
  const result = await sender.done;
  equal(result.code, 1, result.stderr);
  match(
    result.stderr,
    /^udpcam-send: Cannot resolve --to example\.invalid:5000: .*Check the name/m,
  );
  doesNotMatch(result.stderr, /streaming/);
});

Deno.test("udpcam-send --to localhost:PORT resolves once and reaches a 127.0.0.1 receiver", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const { receiver, port } = await startLoopbackReceiver([
    ...["--headless", "--stats-json", "--frames", "5", "--duration", "30"],
  ]);
  try {
    const sender = startProgram("sender.ts", [
      ...["--test-pattern", "--size", "320x240", "--to", `localhost:${port}`, "--frames", "30"],
      "--stats-json",
      // The binaries' permissions: the system resolver needs nothing beyond them.
    ], { permissions: [...UNSTABLE_FLAGS, ...SENDER_PERMISSIONS] });
    const sent = await sender.done;
    equal(sent.code, 0, sent.stderr);
    match(sent.stderr, new RegExp(`streaming .* to localhost:${port} \\(127\\.0\\.0\\.1\\)`));
    const last = jsonLines(sent.stdout).at(-1) as { sendErrors: number; framesSent: number };
    equal(last.sendErrors, 0);
    equal(last.framesSent, 30);
    const received = await receiver.done;
    equal(received.code, 0, received.stderr);
    const frames = jsonLines(received.stdout).at(-1) as { frames: { complete: number } };
    ok(frames.frames.complete >= 5, received.stdout);
  } finally {
    await stopProgram(receiver);
  }
});

Deno.test("a negative number for a numeric flag exits 2 with the flag's range", async () => {
  for (const entry of ["sender.ts", "receiver.ts"]) {
    const result = await startProgram(entry, ["--frames", "-1"]).done;
    equal(result.code, 2, `${entry}: ${result.stderr}`);
    match(result.stderr, /--frames must be a whole number from 1 to \d+, got "-1"/, entry);
  }
});
