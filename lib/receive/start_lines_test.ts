import { deepStrictEqual } from "node:assert/strict";
import { type ReceiverStart, receiverStartLines } from "./start_lines.ts";

const HEADLESS: ReceiverStart = {
  listen: "127.0.0.1:5000",
  videoDriver: null,
  driverWarning: null,
  recordPath: null,
  receiveBufferNote: null,
  browserUrls: [],
};

Deno.test("receiverStartLines: listening first, then the notes, each a line of its own", () => {
  const cases: { name: string; start: ReceiverStart; lines: string[] }[] = [
    {
      name: "headless",
      start: HEADLESS,
      lines: ["udpcam-recv: listening on 127.0.0.1:5000 (headless)"],
    },
    {
      name: "headless, recording, small buffer, two browser URLs",
      start: {
        ...HEADLESS,
        recordPath: "/tmp/out.mjpeg",
        receiveBufferNote: "small UDP receive buffer: run sysctl",
        browserUrls: ["http://127.0.0.1:8080/", "http://10.0.0.2:8080/"],
      },
      lines: [
        "udpcam-recv: listening on 127.0.0.1:5000 (headless), recording to /tmp/out.mjpeg",
        "udpcam-recv: small UDP receive buffer: run sysctl",
        "udpcam-recv: browser view at http://127.0.0.1:8080/",
        "udpcam-recv: browser view at http://10.0.0.2:8080/",
      ],
    },
    {
      name: "a window on x11",
      start: { ...HEADLESS, listen: "[::]:12345", videoDriver: "x11" },
      lines: ["udpcam-recv: listening on [::]:12345 (window, SDL video driver x11)"],
    },
    {
      name: "a window on offscreen, warned, before the buffer note",
      start: {
        ...HEADLESS,
        videoDriver: "offscreen",
        driverWarning: "the window is invisible: do this.",
        receiveBufferNote: "small buffer",
      },
      lines: [
        "udpcam-recv: listening on 127.0.0.1:5000 (window, SDL video driver offscreen)",
        "udpcam-recv: the window is invisible: do this.",
        "udpcam-recv: small buffer",
      ],
    },
  ];
  for (const c of cases) deepStrictEqual(receiverStartLines(c.start), c.lines, c.name);
});
