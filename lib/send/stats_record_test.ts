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
      ',"fec":null,"retransmit":null,"nacksRefused":null,"captureRestarts":0,"link":null,' +
      '"picture":null}',
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
      '"authFailed":0,"replay":4,"staleSession":0,"sealVersion":0},"captureRestarts":2,"link":null,"picture":null}',
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

Deno.test("senderStatsRecord: link fitting's part comes last, copied", () => {
  const link = {
    adapt: true,
    maxRateMbps: null,
    targetMbps: 3.8,
    state: "hold",
    reason: "hold: loss 3 %",
    picture: { quality: 40, fps: 20, scale: 0.5, reason: "link 3.8 Mbit/s: q 40, 20 fps" },
    receivers: [],
    silentS: 0.2,
    reportsRefused: { stranger: 1 },
    framesSkipped: 2,
    repairBytesRefused: 0,
    paddingBytes: 0,
  };
  const record = senderStatsRecord(
    SUMMARY,
    { fec: null, retransmit: null, nacksRefused: null, captureRestarts: 0 },
    { link, picture: null },
  );
  link.reportsRefused.stranger = 5;
  equal(record.link?.reportsRefused.stranger, 1);
  equal(
    JSON.stringify(record).slice(SUMMARY_JSON.length),
    ',"fec":null,"retransmit":null,"nacksRefused":null,"captureRestarts":0,"link":{"adapt":true,' +
      '"maxRateMbps":null,"targetMbps":3.8,"state":"hold","reason":"hold: loss 3 %","picture":' +
      '{"quality":40,"fps":20,"scale":0.5,"reason":"link 3.8 Mbit/s: q 40, 20 fps"},"receivers":' +
      '[],"silentS":0.2,"reportsRefused":{"stranger":1},"framesSkipped":2,"repairBytesRefused":0,' +
      '"paddingBytes":0},"picture":null}',
  );
});
