/**
 * The compiled binaries get exactly the permissions in tools/permissions.ts; run both entry points
 * under those flags (and no others) and stream a test pattern end to end.
 */

import { equal, ok } from "node:assert/strict";
import { freeUdpPort, jsonLines, requireTool, startProgram } from "./support/programs.ts";
import {
  RECEIVER_PERMISSIONS,
  SENDER_PERMISSIONS,
  UNSTABLE_FLAGS,
  V8_FLAGS,
} from "../tools/permissions.ts";

Deno.test("both programs stream under exactly the permissions baked into the binaries", async () => {
  await requireTool("ffmpeg", "ffmpeg");
  const port = freeUdpPort();
  const receiver = startProgram(
    "receiver.ts",
    [
      "--listen",
      `127.0.0.1:${port}`,
      "--headless",
      "--stats-json",
      "--frames",
      "20",
      "--duration",
      "30",
    ],
    { permissions: [...UNSTABLE_FLAGS, ...RECEIVER_PERMISSIONS] },
  );
  await receiver.waitForStderr(/listening on/);
  const sender = startProgram(
    "sender.ts",
    ["--test-pattern", "--size", "320x240", "--to", `127.0.0.1:${port}`, "--frames", "40"],
    { permissions: [...UNSTABLE_FLAGS, ...SENDER_PERMISSIONS] },
  );
  const sent = await sender.done;
  equal(sent.code, 0, sent.stderr);
  const received = await receiver.done;
  equal(received.code, 0, received.stderr);
  const last = jsonLines(received.stdout).at(-1) as { frames: { complete: number } };
  ok(last.frames.complete >= 20, `${last.frames.complete} frames`);
});

Deno.test("deno task send|recv run with the binaries' V8 flags and permissions", () => {
  const config = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)));
  const tasks = [["send", SENDER_PERMISSIONS], ["recv", RECEIVER_PERMISSIONS]] as const;
  for (const [task, permissions] of tasks) {
    const command = config.tasks[task] as string;
    for (const flag of V8_FLAGS) ok(command.includes(flag), `${task}: ${flag}`);
    // The tasks may grant more (a whole --allow-env), never less.
    for (const permission of permissions) {
      const name = permission.split("=")[0];
      ok(command.split(" ").some((word) => word.split("=")[0] === name), `${task}: ${name}`);
    }
  }
});
