import { equal } from "node:assert/strict";
import {
  formatReceiverLink,
  formatSenderLink,
  type LinkReceiverStats,
  type ReceiverLinkStats,
  type SenderLinkStats,
} from "./link_report.ts";

const REPORTING: ReceiverLinkStats = {
  reportsSent: 42,
  reportSendErrors: 0,
  to: "10.0.0.2:40000",
  lossPercent: 1.2,
  deliveredFps: 20,
  receiveMbps: 3.8,
  queueDelayMs: 3.5,
  delayTrendMsPerS: 0.4,
};

Deno.test("formatReceiverLink: what the receiver reports, in the status line (table)", () => {
  const cases: [name: string, stats: ReceiverLinkStats | null, text: string][] = [
    ["another wire", null, ""],
    ["no report yet", { ...REPORTING, reportsSent: 0 }, ""],
    ["reporting", REPORTING, " | reports 42 to 10.0.0.2:40000: loss 1.2 %, 20.0 fps, queue 3.5 ms"],
    [
      "no delay samples",
      { ...REPORTING, queueDelayMs: null },
      " | reports 42 to 10.0.0.2:40000: loss 1.2 %, 20.0 fps",
    ],
    [
      "some not sent",
      { ...REPORTING, reportSendErrors: 3 },
      " | reports 42 to 10.0.0.2:40000 (3 not sent): loss 1.2 %, 20.0 fps, queue 3.5 ms",
    ],
  ];
  for (const [name, stats, text] of cases) equal(formatReceiverLink(stats), text, name);
});

const RECEIVER: LinkReceiverStats = {
  address: "10.0.0.2:5000",
  state: "hold",
  targetMbps: 3.8,
  lossPercent: 1.2,
  rttMs: 41.6,
  deliveredFps: 20,
  receiveMbps: 3.5,
  queueDelayMs: 4,
  silentS: 0.1,
  reportsAccepted: 50,
};

const FITTED: SenderLinkStats = {
  adapt: true,
  maxRateMbps: null,
  targetMbps: 3.8,
  state: "hold",
  reason: "hold: loss 3 %",
  picture: { quality: 40, fps: 20, scale: 1, reason: "link 3.8 Mbit/s: q 40, 20 fps" },
  receivers: [RECEIVER],
  silentS: 0.1,
  reportsRefused: {},
  framesSkipped: 0,
  repairBytesRefused: 0,
  paddingBytes: 0,
};

Deno.test("formatSenderLink: the picture and why, the receivers heard, or the silence (table)", () => {
  const picture = " | link 3.8 Mbit/s: q 40, 20 fps";
  const cases: [name: string, stats: SenderLinkStats | null, text: string][] = [
    ["neither flag", null, ""],
    ["one receiver", FITTED, `${picture} | 10.0.0.2:5000: loss 1.2 %, RTT 42 ms, 20.0 fps`],
    [
      "no report yet",
      { ...FITTED, receivers: [], silentS: null },
      `${picture} | no receiver report yet`,
    ],
    [
      "reports stopped 4.6 s ago",
      { ...FITTED, silentS: 4.6, receivers: [{ ...RECEIVER, silentS: 4.6 }] },
      `${picture} | no receiver heard for 4 s`,
    ],
    [
      "three receivers: two shown, one counted",
      {
        ...FITTED,
        receivers: [
          RECEIVER,
          { ...RECEIVER, address: "10.0.0.3:5000", rttMs: null },
          { ...RECEIVER, address: "10.0.0.4:5000" },
        ],
      },
      `${picture} | 10.0.0.2:5000: loss 1.2 %, RTT 42 ms, 20.0 fps | 10.0.0.3:5000: loss 1.2 %, ` +
      "20.0 fps | 1 more",
    ],
    [
      "a silent receiver beside a live one is left out",
      { ...FITTED, receivers: [RECEIVER, { ...RECEIVER, address: "10.0.0.9:5000", silentS: 9 }] },
      `${picture} | 10.0.0.2:5000: loss 1.2 %, RTT 42 ms, 20.0 fps`,
    ],
    [
      "--adapt off --max-rate 4",
      { ...FITTED, adapt: false, picture: null, targetMbps: 4, receivers: [], silentS: null },
      " | held to 4.00 Mbit/s",
    ],
    [
      "--adapt off and nothing bounded",
      { ...FITTED, adapt: false, picture: null, targetMbps: null, receivers: [], silentS: null },
      "",
    ],
  ];
  for (const [name, stats, text] of cases) equal(formatSenderLink(stats), text, name);
});
