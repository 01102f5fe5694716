import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { fragmentCountFor, fragmentFrame } from "./packetizer.ts";
import { decodeHeader, HEADER_BYTES } from "./header.ts";
import { Prng } from "../../netsim/mod.ts";

const meta = { streamId: 7, frameSeq: 42, captureUs: 123_456 };

Deno.test("fragmentFrame cuts a frame into datagrams no larger than asked", () => {
  const prng = new Prng(1);
  for (const maxDatagramBytes of [576, 1200, 9216, 65507]) {
    for (const frameBytes of [1, 2, 545, 546, 547, 1170, 1171, 100_000]) {
      const frame = prng.bytes(frameBytes);
      const datagrams = fragmentFrame(frame, meta, maxDatagramBytes);
      equal(datagrams.length, fragmentCountFor(frameBytes, maxDatagramBytes));
      const rebuilt: number[] = [];
      datagrams.forEach((datagram, index) => {
        ok(datagram.length <= maxDatagramBytes, `${datagram.length} > ${maxDatagramBytes}`);
        const decoded = decodeHeader(datagram);
        ok(decoded.ok, `datagram ${index} of ${frameBytes} bytes does not decode`);
        deepStrictEqual(
          [decoded.header.fragmentIndex, decoded.header.fragmentCount, decoded.header.frameSeq],
          [index, datagrams.length, 42],
        );
        rebuilt.push(...datagram.subarray(HEADER_BYTES));
      });
      deepStrictEqual(new Uint8Array(rebuilt), frame);
    }
  }
});

Deno.test("fragmentFrame refuses empty frames and frames past 65535 fragments", () => {
  throws(() => fragmentFrame(new Uint8Array(0), meta, 1200), RangeError);
  const tooBig = new Uint8Array(65536 * (576 - HEADER_BYTES));
  throws(() => fragmentFrame(tooBig, meta, 576), /Cannot fragment/);
});
