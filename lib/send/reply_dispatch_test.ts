import { deepStrictEqual } from "node:assert/strict";
import { ReplyDispatcher, senderReplies } from "./reply_dispatch.ts";
import { NackOpener } from "./nack_opener.ts";
import { LinkFitter } from "../adapt/mod.ts";
import { DatagramSealer, RootKey } from "../crypto/mod.ts";
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

Deno.test("senderReplies: NACKs to the responder with their destination, reports to the fitter, opened under --key", async () => {
  const destinations = [
    { address: "127.0.0.1:5000", group: false },
    { address: "127.0.0.1:5001", group: false },
  ];
  const fitterFor = (keyed: boolean) =>
    new LinkFitter({
      streamId: 1,
      destinations,
      adapt: true,
      ceilingBps: Infinity,
      keyed,
      sourceFps: 30,
      ladder: null,
    });
  const from = { hostname: "127.0.0.1", port: 5001 };
  const source = { destination: 1, group: false };
  const stranger = { destination: -1, group: false };

  const nacked: number[] = [];
  const plainFitter = fitterFor(false);
  const plain = senderReplies({
    nacks: { receive: (_datagram, destination) => nacked.push(destination) },
    fitter: plainFitter,
    reportOpener: null,
    nowMs: () => 10,
  });
  plain.receive(NACK, source, from);
  plain.receive(REPORT, source, from);
  plain.receive(REPORT, stranger, { hostname: "10.9.9.9", port: 5001 });
  deepStrictEqual(nacked, [1]);
  const stats = plainFitter.stats(10);
  deepStrictEqual(stats.receivers.map((r) => [r.address, r.reportsAccepted]), [
    ["127.0.0.1:5001", 1],
  ]);
  deepStrictEqual(stats.reportsRefused.stranger, 1);

  // Under --key: a report sealed by the receiver at destination 1 is opened, then taken.
  const root = await RootKey.derive("correct horse", 1000);
  const sealer = await DatagramSealer.create(root, { startMs: 0 });
  const keyedFitter = fitterFor(true);
  const opener = new NackOpener(root, destinations.length);
  const keyed = senderReplies({
    nacks: { receive: () => {} },
    fitter: keyedFitter,
    reportOpener: opener,
    nowMs: () => 10,
  });
  keyed.receive(REPORT, source, from); // plain under --key: refused by the opener
  keyed.receive(await sealer.seal(REPORT), source, from);
  // Opening is asynchronous (WebCrypto): wait for it, at most 2 s.
  const accepted = () => keyedFitter.stats(10).receivers.map((r) => r.reportsAccepted);
  for (let i = 0; i < 400 && accepted().length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  deepStrictEqual(accepted(), [1]);
  deepStrictEqual(opener.counters.unauthenticated, 1);
});
