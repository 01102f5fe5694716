import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import type { FecSetting } from "../../fec/mod.ts";
import { fecParityDatagrams } from "./parity.ts";
import { fragmentFrame } from "./packetizer.ts";
import { Prng } from "../../netsim/mod.ts";
import { decodeHeader, FecSchemeId, HEADER_BYTES, PacketType, readParityFields } from "./header.ts";

const meta = { streamId: 9, frameSeq: 77, captureUs: 5_000_000 };

Deno.test("parity datagrams decode, describe their group and come p0-of-all-groups first", () => {
  const frame = new Prng(1).bytes(46_000);
  const data = fragmentFrame(frame, meta, 1200); // 40 fragments of 1150 bytes
  equal(data.length, 40);
  const table: FecSetting[] = [
    { scheme: "xor", groupData: 10, groupParity: 1, interleaved: false },
    { scheme: "rs", groupData: 12, groupParity: 2, interleaved: true },
    { scheme: "rs", groupData: 40, groupParity: 4 },
  ];
  for (const setting of table) {
    const parity = fecParityDatagrams(data, setting);
    const groups = Math.ceil(40 / setting.groupData);
    equal(parity.length, groups * setting.groupParity);
    parity.forEach((datagram, slot) => {
      const decoded = decodeHeader(datagram);
      ok(decoded.ok, `${setting.scheme} slot ${slot}`);
      equal(datagram.length, HEADER_BYTES + 4 + 1150);
      const { header } = decoded;
      deepStrictEqual(
        [
          header.type,
          header.fragmentIndex,
          header.fragmentCount,
          header.frameSeq,
          header.frameBytes,
        ],
        [PacketType.Parity, slot % groups, 40, 77, 46_000],
      );
      equal(
        header.typeSpecific,
        setting.scheme === "xor" ? FecSchemeId.Xor : FecSchemeId.ReedSolomon,
      );
      deepStrictEqual(readParityFields(datagram), {
        scheme: header.typeSpecific,
        groupData: setting.groupData,
        groupParity: setting.groupParity,
        parityIndex: Math.floor(slot / groups),
        interleaved: setting.interleaved ?? true,
      });
    });
  }
});

Deno.test("fecParityDatagrams refuses bad settings and partial frames", () => {
  const data = fragmentFrame(new Prng(2).bytes(5000), meta, 1200);
  throws(() => fecParityDatagrams(data, { scheme: "xor", groupData: 4, groupParity: 2 }), /xor/);
  throws(() => fecParityDatagrams(data.slice(1), { scheme: "xor", groupData: 4, groupParity: 1 }));
  throws(() => fecParityDatagrams([], { scheme: "rs", groupData: 4, groupParity: 1 }), /Cannot/);
});
