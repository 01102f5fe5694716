/**
 * Loss recovery end to end: real ffmpeg test pattern → udpcam-send → fault-injecting relay →
 * udpcam-recv, comparing every recorded frame with what the sender read.
 */

import { equal, ok } from "node:assert/strict";
import {
  type LossRunOptions,
  type LossRunResult,
  runThroughLossyRelay,
} from "./support/loss_run.ts";
import { requireTool } from "./support/programs.ts";

const FRAMES = 150;

async function run(
  senderFlags: string[],
  lossPercent: number,
  seed: number,
): Promise<LossRunResult> {
  await requireTool("ffmpeg", "ffmpeg");
  const dir = await Deno.makeTempDir({ prefix: "udpcam-loss-" });
  try {
    const options: LossRunOptions = {
      size: "640x480",
      fps: 30,
      frames: FRAMES,
      senderFlags,
      faults: { lossPercent, seed },
      dir,
    };
    return await runThroughLossyRelay(options);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function describe(result: LossRunResult): string {
  return JSON.stringify({
    sent: result.framesSent,
    intact: result.framesIntact,
    relayLost: result.relay.forward.lost,
    recovery: result.receiver.recovery,
    retransmit: result.sender.retransmit,
  });
}

function assertExact(result: LossRunResult): void {
  equal(result.framesSent, FRAMES);
  equal(result.framesCorrupted, 0, `corrupted frames recorded: ${describe(result)}`);
  equal(result.framesOutOfOrder, 0, `frames recorded out of order: ${describe(result)}`);
  const frames = result.receiver.frames as { complete: number };
  equal(frames.complete, result.framesReceived);
}

Deno.test("no recovery: 5 % loss drops frames but never corrupts one", async () => {
  const result = await run(["--no-nack"], 5, 11);
  assertExact(result);
  ok(result.relay.forward.lost > 0, "the relay lost nothing");
  ok(result.framesIntact < FRAMES, `no frame was lost: ${describe(result)}`);
});

Deno.test("FEC (rs:20/3) at 2 % loss: at least 95 % of frames arrive, byte-identical", async () => {
  const result = await run(["--fec", "--no-nack"], 2, 12);
  assertExact(result);
  ok(result.framesIntact >= 0.95 * FRAMES, `too few frames: ${describe(result)}`);
  const recovery = result.receiver.recovery as { fecFragments: number };
  ok(recovery.fecFragments > 0, `FEC repaired nothing: ${describe(result)}`);
});

Deno.test("NACK at 2 % loss: at least 95 % of frames arrive, byte-identical", async () => {
  const result = await run([], 2, 13);
  assertExact(result);
  ok(result.framesIntact >= 0.95 * FRAMES, `too few frames: ${describe(result)}`);
  const recovery = result.receiver.recovery as {
    retransmittedFragments: number;
    nacksSent: number;
  };
  ok(recovery.nacksSent > 0 && recovery.retransmittedFragments > 0, describe(result));
  const retransmit = result.sender.retransmit as { nacksInvalid: number };
  equal(retransmit.nacksInvalid, 0, describe(result));
});

Deno.test("FEC and NACK together at 5 % loss: at least 95 % of frames, byte-identical", async () => {
  const result = await run(["--fec"], 5, 14);
  assertExact(result);
  ok(result.framesIntact >= 0.95 * FRAMES, `too few frames: ${describe(result)}`);
});
