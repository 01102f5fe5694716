import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { parseReceiverArgs } from "./receiver_options.ts";
import { parseSenderArgs } from "./sender_options.ts";
import { UserError } from "../errors.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function receive(args: string[], env: Record<string, string> = {}) {
  const command = parseReceiverArgs(args, (name) => env[name], () => bytes("file passphrase\n"));
  if (command.kind !== "receive") throw new Error(command.kind);
  return command.options;
}

Deno.test("receiver: --key, --stream, --follow-newest, --allow-from", () => {
  const plain = receive([]);
  deepStrictEqual(
    [plain.key, plain.streamId, plain.followNewest, plain.allowFrom],
    [null, null, false, []],
  );
  deepStrictEqual(receive([], { UDPCAM_KEY: "env passphrase" }).key, bytes("env passphrase"));
  deepStrictEqual(receive(["--key-file", "k.txt"]).key, bytes("file passphrase"));
  equal(receive(["--stream", "0x1A2B3C4D"]).streamId, 0x1a2b3c4d);
  equal(receive(["--stream", "ff"]).streamId, 0xff);
  equal(receive(["--follow-newest"]).followNewest, true);
  // An SSRC is a stream id: RTP takes both.
  equal(receive(["--wire", "rtp", "--stream", "0xabc"]).streamId, 0xabc);
  equal(receive(["--wire", "rtp", "--follow-newest"]).followNewest, true);
  equal(receive([]).maxClockSkewMs, 10_000);
  equal(receive(["--max-clock-skew", "2.5"]).maxClockSkewMs, 2500);
  equal(receive(["--max-clock-skew", "86400"]).maxClockSkewMs, 86_400_000);
  const rules = receive(["--allow-from", "10.0.0.0/8", "--allow-from", "fd00::1"]).allowFrom;
  deepStrictEqual(rules.map((rule) => [rule.text, rule.prefixBits]), [
    ["10.0.0.0/8", 104],
    ["fd00::1", 128],
  ]);
});

Deno.test("bad security flags are usage errors naming the flag (table)", () => {
  const table: [() => unknown, RegExp][] = [
    [() => receive(["--stream", "xyz"]), /--stream must be a hex stream id/],
    [() => receive(["--stream", "1", "--follow-newest"]), /choose one/],
    [() => receive(["--wire", "legacy", "--follow-newest"]), /need --wire v1 or rtp/],
    [() => receive(["--wire", "legacy", "--stream", "1"]), /need --wire v1 or rtp/],
    [() => receive(["--allow-from", "10.0.0.0/40"]), /--allow-from .*prefix/],
    [() => receive(["--key", "short"]), /at least 12/],
    [() => receive(["--key", "elevenchars"]), /has 11 characters; use at least 12/],
    [() => receive(["--max-clock-skew", "0"]), /--max-clock-skew must be a number from 0.1/],
    [() => receive(["--max-clock-skew", "1e6"]), /--max-clock-skew must be a number/],
    [() => receive(["--wire", "legacy", "--key", "long enough key"]), /needs --wire v1/],
    [() => parseSenderArgs(["--wire", "rtp", "--key", "long enough key"]), /needs --wire v1/],
  ];
  for (const [call, message] of table) {
    throws(call, (error: unknown) => error instanceof UserError && message.test(error.message));
  }
});

Deno.test("sender: --key and --retry", () => {
  const command = parseSenderArgs(["--test-pattern", "--key", "long enough key", "--retry"]);
  if (command.kind !== "stream") throw new Error(command.kind);
  deepStrictEqual(command.options.key, bytes("long enough key"));
  equal(command.options.retry, true);
});
