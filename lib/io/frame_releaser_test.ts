import { deepStrictEqual, equal } from "node:assert/strict";
import { frameReleaser } from "./frame_releaser.ts";
import { PacedSender } from "./paced_sender.ts";
import { MultiDestinationSender } from "./udp.ts";
import { createPacketizer } from "../wire/mod.ts";
import { type RatePlan, ReleasePolicy } from "../send/mod.ts";
import { receiveUpTo } from "../../tests/support/udp.ts";

/**
 * Feeds `frames` (one byte each, its index) through a frameReleaser onto a real PacedSender and
 * loopback socket (checking that every frame offered is sent or skipped), waiting whenever the
 * callback asks to; `stopAfter` stops the run (as a signal would) once that many frames were fed.
 * Returns what was offered, saved and told.
 */
async function feed(plan: RatePlan, maxFrames: number, frames: number, stopAfter = Infinity) {
  const receiver = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const { hostname, port } = receiver.addr as Deno.NetAddr;
  const sockets = MultiDestinationSender.open([{ hostname, port }]);
  try {
    const { packetizer } = createPacketizer({
      mode: "v1",
      streamId: 1,
      maxDatagramBytes: 1200,
      fec: null,
      history: null,
      nowMs: () => 0,
    });
    const sender = new PacedSender(packetizer, sockets, 1000);
    const policy = new ReleasePolicy(plan, maxFrames);
    const saved: number[] = [];
    let lastFrames = 0;
    const onFrame = frameReleaser({
      policy,
      sender,
      save: (frame) => saved.push(frame[0]),
      onLastFrame: () => lastFrames++,
    });
    const waits: boolean[] = [];
    for (let i = 0; i < frames; i++) {
      const wait = onFrame(new Uint8Array([i]));
      if (i + 1 >= stopAfter) policy.stop();
      waits.push(wait !== undefined);
      await wait;
    }
    await sender.idle();
    const { framesRead, framesSent, framesSkipped, datagramsSent } = sender.counters;
    // One datagram per frame; a frame replaced while waiting to be sent is skipped, not lost.
    equal((await receiveUpTo(receiver, datagramsSent)).length, framesSent);
    equal(framesSent + framesSkipped, framesRead);
    return {
      offered: framesRead,
      saved,
      lastFrames,
      waits,
    };
  } finally {
    sockets.close();
    receiver.close();
  }
}

Deno.test("frameReleaser: what each plan offers, saves and makes reading wait for", async () => {
  const table: [string, RatePlan, number, number, Awaited<ReturnType<typeof feed>>][] = [
    ["capture: reading never waits", { kind: "capture", fps: 30 }, 0, 3, {
      offered: 3,
      saved: [0, 1, 2],
      lastFrames: 0,
      waits: [false, false, false],
    }],
    ["max: reading waits for each frame to be sent", { kind: "max" }, 0, 3, {
      offered: 3,
      saved: [0, 1, 2],
      lastFrames: 0,
      waits: [true, true, true],
    }],
    ["released at 200 fps: each frame held for its slot", { kind: "released", fps: 200 }, 0, 3, {
      offered: 3,
      saved: [0, 1, 2],
      lastFrames: 0,
      waits: [true, true, true],
    }],
    ["--frames 2: the third frame is dropped, the end told once", { kind: "max" }, 2, 4, {
      offered: 2,
      saved: [0, 1],
      lastFrames: 1,
      waits: [true, true, false, false],
    }],
  ];
  for (const [name, plan, maxFrames, frames, expected] of table) {
    deepStrictEqual(await feed(plan, maxFrames, frames), expected, name);
  }
});

Deno.test("frameReleaser: a frame held for its slot when the run stops is not sent", async () => {
  // The second frame is stopped while held (its slot is 100 ms on): it is neither saved nor sent.
  const result = await feed({ kind: "released", fps: 10 }, 0, 2, 2);
  equal(result.offered, 1);
  deepStrictEqual(result.saved, [0]);
  deepStrictEqual(result.waits, [true, true]);
});
