import { deepStrictEqual } from "node:assert/strict";
import { ReplyDispatcher } from "./reply_dispatch.ts";
import { encodeLinkReport, encodeNack, fragmentFrame } from "../wire/v1/mod.ts";
import { Prng } from "../netsim/mod.ts";

const NACK = encodeNack({
  streamId: 1,
  frameSeq: 2,
  fragmentCount: 3,
  ranges: [{ first: 0, count: 1 }],
});
const REPORT = encodeLinkReport({
  streamId: 1,
  reportSeq: 0,
  intervalMs: 200,
  totalDatagramsReceived: 1,
  totalDatagramsLost: 0,
  totalFramesCompleted: 0,
  totalFramesLost: 0,
  datagramsReceived: 1,
  datagramsLost: 0,
  framesCompleted: 0,
  framesLost: 0,
  bytesReceived: 100,
  echoFrameSeq: 0,
  echoCaptureUsLow: 0,
  holdUs: 0,
  queueDelayUs: 0,
  delayTrendUsPerS: 0,
  delaySamples: 0,
});

Deno.test("ReplyDispatcher: each datagram goes to one place by its type (table)", () => {
  const table: [name: string, datagram: Uint8Array, went: string[]][] = [
    ["a NACK", NACK, ["nack 0"]],
    ["a report", REPORT, ["report 0"]],
    [
      "a fragment",
      fragmentFrame(new Uint8Array(10), { streamId: 1, frameSeq: 0, captureUs: 0 }, 100)[0],
      [],
    ],
    ["three bytes", new Uint8Array([0x55, 0x43, 1]), []],
    ["empty", new Uint8Array(0), []],
  ];
  for (const [name, datagram, went] of table) {
    const seen: string[] = [];
    const dispatch = new ReplyDispatcher<number, string>({
      nack: (_d, source) => seen.push(`nack ${source}`),
      report: (_d, source) => seen.push(`report ${source}`),
    });
    dispatch.receive(datagram, 0, "x");
    deepStrictEqual(seen, went, name);
  }
});

Deno.test("ReplyDispatcher fuzz: every datagram is counted exactly once", () => {
  const prng = new Prng(11);
  let handled = 0;
  const dispatch = new ReplyDispatcher<number, string>({
    nack: () => handled++,
    report: () => handled++,
  });
  for (let i = 0; i < 2000; i++) {
    const datagram = i % 3 === 0 ? NACK : i % 3 === 1 ? REPORT : prng.bytes(prng.int(0, 40));
    dispatch.receive(datagram, 0, "x");
  }
  const { nacks, reports, other } = dispatch.counters;
  deepStrictEqual(nacks + reports + other, 2000);
  deepStrictEqual(nacks + reports, handled);
});
