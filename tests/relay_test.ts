import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { lookup } from "node:dns/promises";

const RELAY = new URL("../tools/relay.ts", import.meta.url).pathname;

function relayCommand(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", RELAY, ...args],
    stdout: "piped",
    stderr: "piped",
  });
}

/** Reads `reader` until a whole line has come; returns everything read. */
async function readLine(reader: ReadableStreamDefaultReader<string>): Promise<string> {
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  return text;
}

/** Reads `reader` to its end. */
async function readAll(reader: ReadableStreamDefaultReader<string>): Promise<string> {
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += value;
  }
}

Deno.test("tools/relay.ts --queue-ms: a burst over the rate arrives later rather than lost, up to the queue", async () => {
  const destination = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const source = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const toPort = (destination.addr as Deno.NetAddr).port;
  const burst = 300;
  // 800 kbit/s: a 1000-byte datagram takes 10 ms on the link, so 200 ms of queue holds 20 waiting
  // behind the one on the link. The schedule's second step (at an hour) is never reached.
  const child = relayCommand([
    "--listen=127.0.0.1:0",
    `--to=127.0.0.1:${toPort}`,
    "--rate-schedule=800@0,400@3600",
    "--queue-ms=200",
    `--max-datagrams=${burst}`,
    "--duration-s=20",
    "--report-s=0",
  ]).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const first = await readLine(lines);
  ok(first.includes("rate schedule 800@0,400@3600"), first);
  ok(first.includes(`"queueMs":200`), first);
  const port = Number(/127\.0\.0\.1:(\d+) ->/.exec(first)?.[1]);
  ok(port > 0, `no port in ${first}`);
  const ids: number[] = [];
  const counting = (async () => {
    try {
      for (;;) {
        const [datagram] = await destination.receive();
        ids.push(new DataView(datagram.buffer, datagram.byteOffset).getUint32(0));
      }
    } catch { /* closed */ }
  })();
  for (let i = 0; i < burst; i++) {
    const datagram = new Uint8Array(1000);
    new DataView(datagram.buffer).setUint32(0, i);
    await source.send(datagram, { transport: "udp", hostname: "127.0.0.1", port });
    // Pace a little so the loopback socket buffers never overflow: the test counts exactly.
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const rest = await readAll(lines);
  const status = await child.status;
  clearTimeout(killer);
  const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
  equal(status.code, 0, stderr);
  const summary = new RegExp(
    "stopped after .*in (\\d+), out (\\d+), lost (\\d+) .*over rate (\\d+), queue drops (\\d+), " +
      "queueing delay max ([\\d.]+) ms",
  ).exec(rest);
  ok(summary, `no summary in ${rest}`);
  const [inCount, outCount, lost, overRate, queueDrops] = summary.slice(1, 6).map(Number);
  const maxDelayMs = Number(summary[6]);
  equal(inCount, burst);
  deepStrictEqual([lost, overRate], [0, 0]);
  // Nothing vanished: each datagram went out or was dropped at the tail of a full queue.
  equal(outCount + queueDrops, burst);
  ok(queueDrops > 0, "the queue never filled");
  // The queue was full at least once (a drop), so its longest wait is within one datagram's
  // serialization of 200 ms, and never past it: the model's bound, not a measured time.
  ok(maxDelayMs > 190 && maxDelayMs <= 200, `max queueing delay ${maxDelayMs}`);
  // At least the queue's worth arrived (the first 21 of a burst always fit, whatever the timing),
  // where the policer with its 5000-byte bucket would have passed 5 at once.
  ok(outCount >= 21, `only ${outCount} out`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  equal(ids.length, outCount);
  // In order: a queue serves first come, first served.
  deepStrictEqual(ids, [...ids].sort((a, b) => a - b));
  equal(new Set(ids).size, ids.length);
  destination.close();
  source.close();
  await counting;
});

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
    [["--listen=127.0.0.1:0", "--to=0.0.0.0:9"], /to 0\.0\.0\.0:9, which is no one address/],
    [
      ["--listen=127.0.0.1:0", "--to=127.0.0.1:1", "--rate-schedule=4000@0,2000"],
      /--rate-schedule step 2 "2000" is not KBPS@SECONDS \(e\.g\. 20000@0,4000@10,20000@20\)/,
    ],
    [
      ["--listen=127.0.0.1:0", "--to=127.0.0.1:1", "--rate-schedule=4000@5"],
      /--rate-schedule the first step must start at 0/,
    ],
    [
      ["--listen=127.0.0.1:0", "--to=127.0.0.1:1", "--rate-schedule=4000@0,2000@9,1000@3"],
      /--rate-schedule step 3 starts at 3 s, not after step 2/,
    ],
    [
      ["--listen=127.0.0.1:0", "--to=127.0.0.1:1", "--rate-schedule=0@0"],
      /--rate-schedule step 1 has a rate of 0 kbit\/s/,
    ],
    [
      ["--listen=127.0.0.1:0", "--to=127.0.0.1:1", "--rate-schedule=4000@0", "--rate-kbps=100"],
      /give --rate-kbps or --rate-schedule, not both/,
    ],
    [
      ["--listen=127.0.0.1:0", "--to=127.0.0.1:1", "--queue-ms=60"],
      /--queue-ms needs a rate to queue for; add --rate-kbps or --rate-schedule/,
    ],
    [
      ["--listen=127.0.0.1:0", "--to=127.0.0.1:1", "--queue-ms=-5", "--rate-kbps=100"],
      /--queue-ms must be a number from 0 to 60000/,
    ],
    [
      [
        "--listen=127.0.0.1:0",
        "--to=127.0.0.1:1",
        "--queue-ms=60",
        "--rate-kbps=100",
        "--bucket-bytes=9000",
      ],
      /--bucket-bytes sizes the policer that --queue-ms replaces/,
    ],
  ];
  for (const [args, message] of table) {
    const { code, stderr } = await relayCommand(args).output();
    const text = new TextDecoder().decode(stderr).trim();
    equal(code, 2, `${args}: ${text}`);
    ok(text.startsWith("Cannot start relay: "), text);
    ok(message.test(text), `${args}: ${text}`);
    ok(!/\n\s+at /.test(text), `stack trace in: ${text}`);
    // A bad flag points at --help; a bind failure says what to use instead (checked above).
    const bindFailure = /not on this machine|no one address/.test(message.source);
    if (!bindFailure) {
      ok(/\. Run deno run -A tools\/relay\.ts --help for usage\.$/.test(text), text);
    }
    equal(text.split("\n").length, 1, `more than one line: ${text}`);
  }
});

Deno.test("tools/relay.ts resolves a --to name once and relays to that address", async () => {
  // Wherever this machine's resolver puts localhost, the destination listens there.
  const { address } = await lookup("localhost");
  const destination = Deno.listenDatagram({ transport: "udp", hostname: address, port: 0 });
  const source = Deno.listenDatagram({ transport: "udp", hostname: address, port: 0 });
  const toPort = (destination.addr as Deno.NetAddr).port;
  const child = relayCommand([
    `--listen=${address.includes(":") ? `[${address}]` : address}:0`,
    `--to=localhost:${toPort}`,
    "--max-datagrams=3",
    "--duration-s=20",
    "--report-s=0",
  ]).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const first = await readLine(lines);
  const shown = address.includes(":") ? `[${address}]` : address;
  ok(first.includes(`-> ${shown}:${toPort} (localhost),`), first);
  const port = Number(/:(\d+) ->/.exec(first)?.[1]);
  for (let i = 0; i < 3; i++) {
    await source.send(new Uint8Array([i]), { transport: "udp", hostname: address, port });
  }
  const got: number[] = [];
  for (let i = 0; i < 3; i++) got.push((await destination.receive())[0][0]);
  deepStrictEqual(got, [0, 1, 2]);
  await readAll(lines);
  equal((await child.status).code, 0);
  clearTimeout(killer);
  await child.stderr.cancel();
  destination.close();
  source.close();
});
