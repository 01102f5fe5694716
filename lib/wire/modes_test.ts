import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createPacketizer, type SenderWireSettings } from "./modes.ts";
import { Reassembler } from "./v1/mod.ts";
import { Prng } from "../netsim/mod.ts";

const SETTINGS: SenderWireSettings = {
  mode: "v1",
  streamId: 9,
  maxDatagramBytes: 1200,
  fec: null,
  history: null,
  nowMs: () => 0,
};
const FRAME = new Prng(5).bytes(46_000);

Deno.test("v1 padding: off by default, the same datagrams whatever is asked", () => {
  const plain = createPacketizer(SETTINGS);
  const asked = createPacketizer(SETTINGS);
  equal(plain.paddingCounters, null);
  const copies = (datagrams: Uint8Array[]) => datagrams.map((d) => [...d]);
  deepStrictEqual(
    copies(asked.packetizer.packetize(FRAME, 1, 20_000)),
    copies(plain.packetizer.packetize(FRAME, 1)),
  );
});

Deno.test("v1 padding: extra parity of about the bytes asked, within the datagram size (table)", () => {
  const cases: [name: string, fec: SenderWireSettings["fec"], paddingBytes: number][] = [
    ["no FEC, none asked", null, 0],
    ["no FEC, 12 kB", null, 12_000],
    ["no FEC, more than the frame", null, 100_000],
    ["no FEC, more than three frames", null, 200_000],
    ["rs:20/3, 12 kB", { scheme: "rs", groupData: 20, groupParity: 3, interleaved: true }, 12_000],
  ];
  for (const [name, fec, paddingBytes] of cases) {
    const { packetizer, fecCounters, paddingCounters } = createPacketizer({
      ...SETTINGS,
      fec,
      padding: true,
    });
    const datagrams = packetizer.packetize(FRAME, 1, paddingBytes);
    ok(datagrams.every((d) => d.length <= 1200), name);
    const data = datagrams.filter((d) => d[3] === 0).length;
    const parity = datagrams.length - data;
    const base = fec === null ? 0 : Math.ceil(data / fec.groupData) * fec.groupParity;
    equal(fecCounters?.parityDatagrams ?? 0, base, name);
    equal(paddingCounters!.datagrams, parity - base, name);
    const padded = paddingCounters!.bytes;
    // About what was asked, never more than three times the frame's own datagrams.
    const dataBytes = datagrams.filter((d) => d[3] === 0).reduce((sum, d) => sum + d.length, 0);
    const most = Math.min(paddingBytes, 3 * dataBytes);
    ok(padded <= most + 1200 * 3, `${name}: ${padded}`);
    if (paddingBytes > 0) ok(padded >= most * 0.8, `${name}: ${padded}`);
    // Padding repairs: the frame comes out whole with one fragment lost.
    const reassembler = new Reassembler();
    let frame = null;
    for (const [index, datagram] of datagrams.entries()) {
      if (index === 3) continue;
      frame = reassembler.push(datagram, 0) ?? frame;
    }
    if (parity > 0) deepStrictEqual(frame?.bytes, FRAME, name);
  }
});
