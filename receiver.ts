/**
 * udpcam-recv: receives a udpcam stream, reassembles frames in a worker, and records, reports or
 * shows them. This file only constructs and wires; what happens to a frame is lib/receive's frame
 * sink, what is printed each second lib/stats' receiver lines.
 *
 * @module
 */

import { doctorMain } from "./lib/cli/doctor.ts";
import { httpOpenWarning, httpTokenNote } from "./lib/cli/http_options.ts";
import { parseReceiverArgs, RECEIVER_HELP, receiveSettings } from "./lib/cli/receiver_options.ts";
import { onStopSignals, runMain, writeAllSync } from "./lib/cli/run_main.ts";
import { viewerUrls } from "./lib/http/mod.ts";
import { HeapCollector } from "./lib/io/heap_collector.ts";
import { HttpViewer } from "./lib/io/http_viewer.ts";
import { localInterfaces } from "./lib/io/local_interfaces.ts";
import { memoryMB } from "./lib/io/memory_usage.ts";
import { type AppendFile, openAppendFile } from "./lib/io/output_file.ts";
import { ReceiveThread } from "./lib/io/receive_thread.ts";
import { receiveBufferWarning } from "./lib/io/socket_buffer.ts";
import { type RtspOutput, startRtspOutput } from "./lib/cli/rtsp_output.ts";
import { StatusLine } from "./lib/io/status_line.ts";
import { formatHostPort } from "./lib/net/mod.ts";
import { FrameSink, receiverStartLines } from "./lib/receive/mod.ts";
import { openDisplay } from "./lib/sdl/open_display.ts";
import { StreamDisplay } from "./lib/sdl/stream_display.ts";
import {
  type ReceiverLineInput,
  ReceiverReporter,
  receiverStatsLine,
  receiverStatusText,
  receiverTitleStats,
} from "./lib/stats/mod.ts";
import { VERSION } from "./lib/version.ts";

async function main(args: string[]): Promise<number> {
  const command = parseReceiverArgs(args, (name) => Deno.env.get(name));
  if (command.kind === "help" || command.kind === "version") {
    console.log(command.kind === "help" ? RECEIVER_HELP : `udpcam-recv ${VERSION}`);
    return 0;
  }
  const options = command.options;
  if (command.kind === "doctor") {
    const { listen: { port, hostname }, headless, decoder } = options;
    return await doctorMain("recv", { port, hostname, headless, decoder });
  }
  const status = new StatusLine();
  const log = (message: string) => status.log(message);
  const heap = new HeapCollector({ nowMs: performance.now() });
  const opened = options.headless ? null : await openDisplay(options, log);
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => stop = resolve);
  // Before "listening on": whoever reads it may send SIGTERM right away.
  const removeSignals = onStopSignals(() => stop());
  let recording: AppendFile | null = null;
  let http: HttpViewer | null = null;
  let rtspOutput: RtspOutput | null = null;
  let display: StreamDisplay | null = null;
  const closeOutputs = async () => {
    await http?.close();
    await rtspOutput?.close();
    recording?.file.close();
    opened?.window.close();
    // The display owns the decoder once it runs.
    if (display) display.close();
    else opened?.decoder.close();
  };
  const token = options.httpToken ?? undefined;
  let sink: FrameSink;
  let thread: ReceiveThread;
  try {
    recording = options.recordPath ? openAppendFile(options.recordPath, "--record") : null;
    const file = recording?.file ?? null;
    http = options.http
      ? HttpViewer.start({ ...options.http, token, extraHosts: options.httpHosts })
      : null;
    // A v1 sender's frames carry ffmpeg's optimal Huffman tables: re-encoded for RTSP clients.
    rtspOutput = options.rtsp && startRtspOutput(options.rtsp, {
      program: "udpcam-recv",
      origin: "received",
      log,
    });
    // Browsers and RTSP clients get the same accepted frames; each copies what it keeps.
    const publishers = [http, rtspOutput?.server ?? null].filter((publisher) => publisher !== null);
    sink = new FrameSink({
      maxFrames: options.maxFrames,
      recorder: file && { write: (jpeg) => writeAllSync(file, jpeg) },
      publisher: publishers.length === 0 ? null : {
        publishFrame: (jpeg, info) => publishers.forEach((p) => p.publishFrame(jpeg, info)),
      },
      betweenFrames: () => heap.betweenFrames(performance.now()),
      onMaxFrames: () => stop(),
    });
    thread = await ReceiveThread.start(
      receiveSettings(options),
      (frame) => sink.push(frame, performance.now()),
    );
  } catch (error) {
    await closeOutputs();
    throw error;
  }
  const listen = formatHostPort(thread.address);
  receiverStartLines({
    listen,
    videoDriver: opened?.videoDriver ?? null,
    driverWarning: opened?.driverWarning ?? null,
    recordPath: options.recordPath,
    receiveBufferNote: receiveBufferWarning(thread.receiveBuffer),
    // The token stays out of the log (and whatever collects it) unless --show-token.
    browserUrls: http
      ? viewerUrls(http.address, options.showToken ? token : undefined, localInterfaces())
      : [],
  }).forEach(log);
  for (const note of [httpOpenWarning(options), httpTokenNote(options)]) {
    if (note !== null) log(`udpcam-recv: ${note}`);
  }
  if (recording !== null && recording.existingBytes > 0) {
    log(
      `udpcam-recv: --record ${options.recordPath} already holds ${recording.existingBytes} ` +
        "bytes: appending (a new run never overwrites a recording)",
    );
  }
  rtspOutput?.startLines().forEach(log);
  const rtsp = rtspOutput?.server ?? null;

  let displayError: unknown = null;
  let displayDone: Promise<void> = Promise.resolve();
  if (opened) {
    display = new StreamDisplay({
      ...opened,
      listen,
      saveDir: options.saveDir,
      log,
      onQuit: stop,
      afterPresent: (nowMs) => heap.betweenFrames(nowMs),
    });
    sink.attachDisplay(display);
    displayDone = display.run().catch((error) => {
      displayError = error;
      stop();
    });
  }

  const reporter = new ReceiverReporter(performance.now());
  const report = (final = false) => {
    const input: ReceiverLineInput = {
      report: reporter.report(
        performance.now(),
        thread.counters,
        sink.takeLatency(),
        sink.streamId,
      ),
      framesMalformed: sink.counters.framesMalformed,
      memoryMB: memoryMB(thread.workerHeapUsedBytes),
      heapCollections: heap.collections + thread.workerHeapCollections,
      display: display?.takeReport(final) ?? null,
      final: final ? sink.takeRunReport() : null,
      httpViewers: http?.viewerCount ?? null,
    };
    const title = receiverTitleStats(input);
    if (title) display?.updateTitle(title);
    const line = receiverStatsLine(input);
    if (options.statsJson) {
      console.log(JSON.stringify(rtsp === null ? line : { ...line, rtsp: rtsp.stats() }));
    }
    http?.publishStats(line);
    const rtspText = rtsp === null ? "" : ` | ${rtsp.statusText()}`;
    status.update(receiverStatusText(listen, input) + rtspText);
  };
  const timer = setInterval(() => report(), 1000);
  const deadline = options.durationS > 0 ? setTimeout(stop, options.durationS * 1000) : undefined;

  await stopped;
  clearInterval(timer);
  clearTimeout(deadline);
  removeSignals();
  display?.stop();
  await displayDone;
  await thread.stop();
  report(true);
  status.finish();
  await closeOutputs();
  if (displayError) throw displayError;
  return 0;
}

if (import.meta.main) await runMain("udpcam-recv", main);
