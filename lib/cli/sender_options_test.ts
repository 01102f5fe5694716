import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { DEFAULT_FEC_SETTING } from "../fec/mod.ts";
import { UserError } from "../errors.ts";
import { parseFecSetting, parseSenderArgs, type SenderOptions } from "./sender_options.ts";

function options(args: string[]): SenderOptions {
  const command = parseSenderArgs(args);
  if (command.kind !== "stream") throw new Error(`expected stream, got ${command.kind}`);
  return command.options;
}

Deno.test("FEC off and NACK on by default; --fec alone is the default setting", () => {
  equal(options([]).fec, null);
  deepStrictEqual(options(["--fec"]).fec, DEFAULT_FEC_SETTING);
  equal(options([]).nack, true);
  equal(options(["--no-nack"]).nack, false);
  equal(options(["--fec", "off"]).fec, null);
  deepStrictEqual(options(["--fec", "xor:10"]).fec, {
    scheme: "xor",
    groupData: 10,
    groupParity: 1,
    interleaved: true,
  });
  deepStrictEqual(options(["--fec=rs:8/2", "--test-pattern"]).fec, {
    scheme: "rs",
    groupData: 8,
    groupParity: 2,
    interleaved: true,
  });
});

Deno.test("--fec refuses settings it cannot use, naming the flag", () => {
  for (const value of ["rs:250/10", "xor:0", "rs:20", "reed", "rs:20/0", "xor:300"]) {
    throws(() => parseSenderArgs(["--fec", value]), (error: unknown) => {
      equal(error instanceof UserError && error.exitCode, 2, value);
      equal((error as Error).message.includes("--fec"), true, (error as Error).message);
      return true;
    });
  }
  deepStrictEqual(parseFecSetting("RS:4/4"), {
    scheme: "rs",
    groupData: 4,
    groupParity: 4,
    interleaved: true,
  });
});

Deno.test("--rtsp: alongside --to, or alone (no UDP destination); refused where it cannot work", () => {
  const alone = options(["--test-pattern", "--rtsp", "8554"]);
  deepStrictEqual(alone.destinations, []);
  deepStrictEqual(alone.rtsp, {
    listen: { hostname: "127.0.0.1", port: 8554 },
    path: "/udpcam",
    users: [],
  });
  const both = options(["--rtsp", "0.0.0.0:8554", "--rtsp-user", "cam:pw", "--to", "10.0.0.2:9"]);
  deepStrictEqual(both.destinations, [{ hostname: "10.0.0.2", port: 9 }]);
  deepStrictEqual(both.rtsp?.users, [{ username: "cam", password: "pw" }]);
  equal(options([]).rtsp, null);
  deepStrictEqual(options([]).destinations, [{ hostname: "127.0.0.1", port: 12345 }]);
  const env = { UDPCAM_RTSP_USER: "nvr:secret" };
  const command = parseSenderArgs(["--rtsp", "8554"], (name) => env[name as keyof typeof env]);
  equal(command.kind === "stream" && command.options.rtsp?.users[0].username, "nvr");
  const doctor = parseSenderArgs(["--rtsp", "8554", "--doctor"]);
  deepStrictEqual(doctor, { kind: "doctor", ffmpegPath: "ffmpeg", port: 12345 });
  const table: [string[], RegExp][] = [
    [["--rtsp", "8554", "--size", "2048x1152"], /--rtsp carries frames up to 2040 pixels/],
    [["--rtsp", "8554", "--wire", "rtp", "--sdp", "a.sdp"], /--sdp describes the stream to --to/],
    [["--rtsp-user", "a:b"], /--rtsp-user only applies with --rtsp/],
    [["--rtsp", "cam"], /--rtsp "cam" is not HOST:PORT/],
  ];
  for (const [args, message] of table) {
    throws(() => parseSenderArgs(args), (error: unknown) => {
      equal(error instanceof UserError && error.exitCode, 2, args.join(" "));
      return message.test((error as Error).message);
    });
  }
});

Deno.test("--new-key-file FILE is a command of its own; an empty name is refused", () => {
  deepStrictEqual(parseSenderArgs(["--new-key-file", "k.key"]), {
    kind: "newKeyFile",
    path: "k.key",
  });
  throws(() => parseSenderArgs(["--new-key-file", " "]), /--new-key-file needs a file name/);
});

Deno.test("--adapt and --max-rate: defaults per wire, values, and what is refused (table)", () => {
  const table: [args: string[], adapt: boolean, maxRateBps: number | null][] = [
    [[], true, null],
    [["--adapt", "off"], false, null],
    [["--adapt", "ON"], true, null],
    [["--wire", "rtp"], false, null],
    [["--wire", "legacy", "--max-rate", "4"], false, 4_000_000],
    [["--max-rate", "2.5"], true, 2_500_000],
    [["--adapt", "off", "--max-rate", "0.1"], false, 100_000],
  ];
  for (const [args, adapt, maxRateBps] of table) {
    const parsed = options(args);
    deepStrictEqual([parsed.adapt, parsed.maxRateBps], [adapt, maxRateBps], args.join(" "));
  }
  const refused: [string[], RegExp][] = [
    [["--adapt", "maybe"], /--adapt must be on or off, got "maybe"/],
    [["--wire", "rtp", "--adapt", "on"], /--adapt on needs --wire v1: rtp receivers send no/],
    [["--max-rate", "0"], /--max-rate must be a number from 0.1 to 10000, got "0"/],
    [["--max-rate", "fast"], /--max-rate must be a number/],
  ];
  for (const [args, message] of refused) {
    throws(() => parseSenderArgs(args), (error: unknown) => {
      equal(error instanceof UserError && error.exitCode, 2, args.join(" "));
      return message.test((error as Error).message);
    });
  }
});
