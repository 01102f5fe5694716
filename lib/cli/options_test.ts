import { deepStrictEqual, equal, match, throws } from "node:assert/strict";
import { UserError } from "../errors.ts";
import { parseReceiverArgs, receiveSettings } from "./receiver_options.ts";
import { parseSenderArgs } from "./sender_options.ts";
import { withoutLeadingSeparator } from "./run_main.ts";

function streamOptions(args: string[]) {
  const command = parseSenderArgs(args);
  if (command.kind !== "stream") throw new Error(`expected stream, got ${command.kind}`);
  return command.options;
}

Deno.test("sender defaults: camera to 127.0.0.1:12345, 640x480@30, 1200-byte datagrams", () => {
  const options = streamOptions([]);
  deepStrictEqual(options.destinations, [{ hostname: "127.0.0.1", port: 12345 }]);
  deepStrictEqual(options.source, { kind: "camera", device: null });
  deepStrictEqual(options.size, { width: 640, height: 480 });
  deepStrictEqual(options.rate, { kind: "capture", fps: 30 });
  equal(options.maxDatagramBytes, 1200);
  equal(options.ffmpegPath, "ffmpeg");
});

Deno.test("sender flags", () => {
  const options = streamOptions([
    "--to",
    "[::1]:9000",
    "--to",
    "10.0.0.2:9001",
    "--test-pattern",
    "--size",
    "1920x1080",
    "--max-datagram",
    "576",
    "--frames",
    "10",
  ]);
  deepStrictEqual(options.destinations, [
    { hostname: "::1", port: 9000 },
    { hostname: "10.0.0.2", port: 9001 },
  ]);
  deepStrictEqual(options.source, { kind: "testPattern" });
  equal(options.maxDatagramBytes, 576);
  equal(options.maxFrames, 10);
  deepStrictEqual(streamOptions(["--file", "a.mp4", "--no-loop"]).source, {
    kind: "file",
    path: "a.mp4",
    loop: false,
  });
  equal(streamOptions(["--test-pattern"]).size?.width, 1280);
  // The rate plan: lib/send/rate_plan_test.ts has every case; these are the flags reaching it.
  deepStrictEqual(streamOptions(["--file", "a.mkv", "--fps", "max"]).rate, { kind: "max" });
  deepStrictEqual(streamOptions(["--file", "a.mkv"]).rate, { kind: "capture", fps: 30 });
  // A pass-through file follows its own timing unless --fps is given; then the sender's clock.
  deepStrictEqual(streamOptions(["--file", "a.mkv", "--passthrough"]).rate, {
    kind: "fileOwnRate",
  });
  deepStrictEqual(streamOptions(["--file", "a.mkv", "--passthrough", "--fps", "600"]).rate, {
    kind: "released",
    fps: 600,
  });
  deepStrictEqual(
    streamOptions(["--file", "a.mkv", "--fps", "600"]).rate,
    { kind: "capture", fps: 600 },
    "ffmpeg re-encodes at 600",
  );
  deepStrictEqual(streamOptions(["--test-pattern", "--fps", "15"]).rate, {
    kind: "capture",
    fps: 15,
  });
  equal(parseSenderArgs(["--list-devices"], () => "/opt/ffmpeg").kind, "listDevices");
});

Deno.test("sender rejects bad flags with the flag, the value and what is allowed", () => {
  const table: [string[], RegExp][] = [
    [
      ["--max-datagram", "575"],
      /--max-datagram must be a whole number from 576 to 65507, got "575"/,
    ],
    [["--max-datagram", "65508"], /from 576 to 65507/],
    [["--max-datagram", "12k"], /got "12k"/],
    [["--fps", "0"], /--fps must be/],
    [["--fps", "max"], /--fps max only applies to --file/],
    [["--fps", "241"], /--fps must be a whole number from 1 to 240/],
    [["--file", "a.mkv", "--fps", "1001"], /--fps must be a whole number from 1 to 1000/],
    [["--size", "640"], /--size must be WIDTHxHEIGHT/],
    [["--size", "641x480"], /even width and height/],
    [["--to", "nohost"], /--to "nohost" is not HOST:PORT/],
    [["--to", "h:0"], /port from 1 to 65535/],
    [["--test-pattern", "--file", "x"], /choose one source/],
    [["--test-pattern", "--passthrough"], /--passthrough needs a camera/],
    [["--bogus"], /unknown flag '--bogus'/],
    [["--to"], /argument missing/],
  ];
  for (const [args, expected] of table) {
    throws(() => parseSenderArgs(args), (error: unknown) => {
      equal(error instanceof UserError, true);
      equal((error as UserError).exitCode, 2);
      match((error as Error).message, expected);
      match((error as Error).message, /Run udpcam-send --help/);
      return true;
    }, args.join(" "));
  }
});

Deno.test("receiver flags", () => {
  const command = parseReceiverArgs(["--listen", "5000", "--headless", "--record", "o.mjpeg"]);
  if (command.kind !== "receive") throw new Error("expected receive");
  deepStrictEqual(command.options.listen, { hostname: "0.0.0.0", port: 5000 });
  equal(command.options.headless, true);
  equal(command.options.recordPath, "o.mjpeg");
  throws(() => parseReceiverArgs(["--listen", "x:y"]), /--listen "x:y" has no valid port/);
  throws(() => parseReceiverArgs(["--frame-timeout-ms", "5"]), /from 10 to 5000/);
});

Deno.test("receiveSettings: what the receive worker gets from the receiver's flags", () => {
  const plain = {
    listen: { hostname: "0.0.0.0", port: 12345 },
    multicastInterface: null,
    frameTimeoutMs: 250,
    nack: true,
    wire: "v1",
    key: null,
    maxClockSkewMs: 10_000,
    lockedStreamId: null,
    followNewest: false,
  };
  const cases: [string[], Record<string, unknown>][] = [
    [[], plain],
    [
      [
        ...["--listen", "239.1.2.3:5000", "--multicast-if", "eth0", "--frame-timeout-ms", "80"],
        ...["--no-nack", "--key", "correct horse", "--stream", "0x2a"],
      ],
      {
        ...plain,
        listen: { hostname: "239.1.2.3", port: 5000 },
        multicastInterface: "eth0",
        frameTimeoutMs: 80,
        nack: false,
        key: new TextEncoder().encode("correct horse"),
        lockedStreamId: 0x2a,
      },
    ],
    [["--follow-newest", "--allow-from", "10.0.0.0/8"], { ...plain, followNewest: true }],
    // RTP/JPEG has no retransmission requests.
    [["--wire", "rtp"], { ...plain, wire: "rtp", nack: false }],
  ];
  for (const [args, want] of cases) {
    const command = parseReceiverArgs(args);
    if (command.kind !== "receive") throw new Error("expected receive");
    const { allowFrom, ...settings } = receiveSettings(command.options);
    deepStrictEqual(settings, want, args.join(" "));
    equal(allowFrom, command.options.allowFrom, args.join(" "));
    equal(allowFrom.length, args.includes("--allow-from") ? 1 : 0, args.join(" "));
  }
});

Deno.test("receiver window flags: decoder, vsync, save folder", () => {
  const options = (args: string[]) => {
    const command = parseReceiverArgs(args);
    if (command.kind !== "receive") throw new Error("expected receive");
    return command.options;
  };
  const defaults = options([]);
  deepStrictEqual([defaults.decoder, defaults.vsync, defaults.saveDir], ["auto", true, "."]);
  const set = options(["--decoder", "wasm", "--no-vsync", "--save-dir", "/tmp/shots"]);
  deepStrictEqual([set.decoder, set.vsync, set.saveDir], ["wasm", false, "/tmp/shots"]);
  equal(options(["--decoder", "turbo"]).decoder, "turbo");
  const bad: [string[], RegExp][] = [
    [["--decoder", "ffmpeg"], /--decoder must be one of auto, turbo, wasm, got "ffmpeg"/],
    [["--save-dir", " "], /--save-dir needs a folder/],
    [["--decoder"], /argument missing/],
  ];
  for (const [args, expected] of bad) {
    throws(() => parseReceiverArgs(args), (error: unknown) => {
      equal((error as UserError).exitCode, 2);
      match((error as Error).message, expected);
      return true;
    }, args.join(" "));
  }
});

Deno.test("a leading -- from `deno task NAME -- flags` is ignored", () => {
  deepStrictEqual(withoutLeadingSeparator(["--", "--headless"]), ["--headless"]);
  deepStrictEqual(withoutLeadingSeparator(["--headless", "--"]), ["--headless", "--"]);
});
