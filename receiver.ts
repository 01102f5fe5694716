/**
 * udpcam-recv: receives a udpcam stream, reassembles frames in a worker, and records, reports or
 * shows them.
 *
 * @module
 */

import { formatHostPort } from "./lib/address.ts";
import { parseReceiverArgs, RECEIVER_HELP } from "./lib/cli/receiver_options.ts";
import { createOutputFile, onStopSignals, runMain, writeAllSync } from "./lib/cli/run_main.ts";
import { ReceiveThread } from "./lib/io/receive_thread.ts";
import { formatReceiverStatus, ReceiverReporter } from "./lib/receiver_report.ts";
import { LatencyWindow } from "./lib/stats.ts";
import { StatusLine } from "./lib/status_line.ts";
import { VERSION } from "./lib/version.ts";

async function main(args: string[]): Promise<number> {
  const command = parseReceiverArgs(args);
  if (command.kind === "help") {
    console.log(RECEIVER_HELP);
    return 0;
  }
  if (command.kind === "version") {
    console.log(`udpcam-recv ${VERSION}`);
    return 0;
  }
  const options = command.options;
  const status = new StatusLine();
  const record = options.recordPath ? createOutputFile(options.recordPath, "--record") : null;
  const latency = new LatencyWindow();
  const runLatency = new LatencyWindow(16384);
  let framesSeen = 0;
  let streamId: number | null = null;
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => stop = resolve);

  const thread = await ReceiveThread.start(options.listen, options.frameTimeoutMs, (frame) => {
    framesSeen++;
    streamId = frame.streamId;
    if (frame.captureUs !== null) {
      const latencyMs = (frame.completeUs - frame.captureUs) / 1000;
      latency.add(latencyMs);
      runLatency.add(latencyMs);
    }
    if (record) writeAllSync(record, frame.bytes);
    if (options.maxFrames > 0 && framesSeen >= options.maxFrames) stop();
  });
  const listen = formatHostPort(thread.address);
  status.log(
    `udpcam-recv: listening on ${listen}${options.headless ? " (headless)" : ""}` +
      (record ? `, recording to ${options.recordPath}` : ""),
  );

  const startMs = performance.now();
  const reporter = new ReceiverReporter(startMs);
  const report = (final = false) => {
    const summary = reporter.report(performance.now(), thread.counters, latency.take(), streamId);
    // The last line also summarises the whole run, for benchmarks and scripts.
    const line = final ? { ...summary, final, latencyMsRun: runLatency.take() } : summary;
    if (options.statsJson) console.log(JSON.stringify(line));
    status.update(formatReceiverStatus(listen, summary));
  };
  const timer = setInterval(() => report(), 1000);
  const removeSignals = onStopSignals(stop);
  const deadline = options.durationS > 0 ? setTimeout(stop, options.durationS * 1000) : undefined;

  await stopped;
  clearInterval(timer);
  clearTimeout(deadline);
  removeSignals();
  await thread.stop();
  report(true);
  status.finish();
  record?.close();
  return 0;
}

if (import.meta.main) await runMain("udpcam-recv", main);
