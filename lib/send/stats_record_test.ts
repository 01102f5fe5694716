import { equal, notStrictEqual } from "node:assert/strict";
import { senderStatsRecord } from "./stats_record.ts";

const SUMMARY = {
  elapsedS: 2.01,
  framesRead: 61,
  framesSent: 60,
  framesSkipped: 1,
  framesTooLarge: 0,
  datagramsSent: 720,
  bytesSent: 864_000,
  sendErrors: 0,
  fps: 30,
  mbps: 3.46,
};
const SUMMARY_JSON = '{"elapsedS":2.01,"framesRead":61,"framesSent":60,"framesSkipped":1,' +
  '"framesTooLarge":0,"datagramsSent":720,"bytesSent":864000,"sendErrors":0,"fps":30,"mbps":3.46';

Deno.test("senderStatsRecord: the --stats-json line, field for field and in order", () => {
  const table: [string, Parameters<typeof senderStatsRecord>[1], string][] = [
    [
      "legacy or rtp: no recovery",
      { fec: null, retransmit: null, nacksRefused: null, captureRestarts: 0 },
      ',"fec":null,"retransmit":null,"nacksRefused":null,"captureRestarts":0}',
    ],
    [
      "v1 with FEC, NACK, --key and two restarts",
      {
        fec: { parityDatagrams: 90, parityBytes: 108_000 },
        retransmit: {
          nacksReceived: 5,
          nacksInvalid: 1,
          datagramsRetransmitted: 7,
          bytesRetransmitted: 8400,
          retransmitCapped: 2,
        },
        nacksRefused: {
          unauthenticated: 3,
          keyPending: 1,
          authFailed: 0,
          replay: 4,
          staleSession: 0,
          sealVersion: 0,
        },
        captureRestarts: 2,
      },
      ',"fec":{"parityDatagrams":90,"parityBytes":108000},"retransmit":{"nacksReceived":5,' +
      '"nacksInvalid":1,"datagramsRetransmitted":7,"bytesRetransmitted":8400,' +
      '"retransmitCapped":2},"nacksRefused":{"unauthenticated":3,"keyPending":1,' +
      '"authFailed":0,"replay":4,"staleSession":0,"sealVersion":0},"captureRestarts":2}',
    ],
  ];
  for (const [name, recovery, tail] of table) {
    equal(JSON.stringify(senderStatsRecord(SUMMARY, recovery)), SUMMARY_JSON + tail, name);
  }
});

Deno.test("senderStatsRecord copies the counters: later counting does not change a record", () => {
  const fec = { parityDatagrams: 1, parityBytes: 100 };
  const record = senderStatsRecord(SUMMARY, {
    fec,
    retransmit: null,
    nacksRefused: null,
    captureRestarts: 0,
  });
  fec.parityDatagrams++;
  notStrictEqual(record.fec, fec);
  equal(record.fec?.parityDatagrams, 1);
});
