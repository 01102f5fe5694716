import { equal, ok } from "node:assert/strict";

const RELAY = new URL("../tools/relay.ts", import.meta.url).pathname;

function relayCommand(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", RELAY, ...args],
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("tools/relay.ts forwards N datagrams with seeded loss, then stops and reports", async () => {
  const destination = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const source = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const toPort = (destination.addr as Deno.NetAddr).port;
  const child = relayCommand([
    "--listen=127.0.0.1:0",
    `--to=127.0.0.1:${toPort}`,
    "--loss=10",
    "--burst=2",
    "--seed=3",
    "--max-datagrams=200",
    "--duration-s=20",
    "--report-s=0",
  ]).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  // The relay stops itself (--duration-s); this bounds the test if it does not.
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  // The first line names the real listening port.
  let first = "";
  while (!first.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    first += value;
  }
  const port = Number(/127\.0\.0\.1:(\d+) ->/.exec(first)?.[1]);
  ok(port > 0, `no port in ${first}`);
  let arrived = 0;
  const counting = (async () => {
    try {
      for (;;) {
        await destination.receive();
        arrived++;
      }
    } catch { /* closed */ }
  })();
  for (let i = 0; i < 200; i++) {
    await source.send(new Uint8Array(64), { transport: "udp", hostname: "127.0.0.1", port });
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  let rest = "";
  for (;;) {
    const { value, done } = await lines.read();
    if (done) break;
    rest += value;
  }
  const status = await child.status;
  clearTimeout(killer);
  const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
  equal(status.code, 0, stderr);
  const summary = /stopped after .*in (\d+), out (\d+), lost (\d+)/.exec(rest);
  ok(summary, `no summary in ${rest}`);
  const [, inCount, outCount, lost] = summary.map(Number);
  equal(inCount, 200);
  equal(outCount + lost, 200);
  ok(lost > 0, "no loss at 10 %");
  await new Promise((resolve) => setTimeout(resolve, 100));
  equal(arrived, outCount);
  destination.close();
  source.close();
  await counting;
});

Deno.test("tools/relay.ts refuses bad flags with one sentence and exit code 2", async () => {
  const table: [string[], RegExp][] = [
    [["--to=127.0.0.1:1"], /--listen HOST:PORT is required/],
    [["--listen=127.0.0.1:0", "--to=nowhere"], /--to "nowhere" is not HOST:PORT/],
    [["--listen=127.0.0.1:0", "--to=127.0.0.1:1", "--loss=150"], /--loss must be a number/],
    [["--listen=127.0.0.1:0", "--to=127.0.0.1:1", "--frobnicate"], /unknown flag/],
    [["--listen=127.0.0.1:0", "--to=127.0.0.1:1", "--loss=60", "--burst=1.1"], /burstLength/],
    [["--listen=203.0.113.9:9", "--to=127.0.0.1:1"], /not on this machine/],
  ];
  for (const [args, message] of table) {
    const { code, stderr } = await relayCommand(args).output();
    const text = new TextDecoder().decode(stderr).trim();
    equal(code, 2, `${args}: ${text}`);
    ok(text.startsWith("Cannot start relay: "), text);
    ok(message.test(text), `${args}: ${text}`);
    ok(!/\n\s+at /.test(text), `stack trace in: ${text}`);
  }
});
