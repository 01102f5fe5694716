/**
 * udpcam-recv: receives a udpcam stream, reassembles frames in a worker, and records, reports or
 * shows them.
 *
 * @module
 */

import { formatHostPort } from "./lib/net/mod.ts";
import { parseReceiverArgs, RECEIVER_HELP } from "./lib/cli/receiver_options.ts";
import { createOutputFile, onStopSignals, runMain, writeAllSync } from "./lib/cli/run_main.ts";
import { doctorMain } from "./lib/cli/doctor.ts";
import { HttpViewer } from "./lib/io/http_viewer.ts";
import { ReceiveThread } from "./lib/io/receive_thread.ts";
import { viewerUrls } from "./lib/http/mod.ts";
import {
  formatReceiverStatus,
  LatencyWindow,
  ReceiverReporter,
  round2,
  RUN_LATENCY_WARMUP_FRAMES,
} from "./lib/stats/mod.ts";
import { openDisplay } from "./lib/sdl/open_display.ts";
import { StreamDisplay } from "./lib/sdl/stream_display.ts";
import { receiveBufferWarning } from "./lib/io/socket_buffer.ts";

import { StatusLine } from "./lib/io/status_line.ts";
import { parseJpeg } from "./lib/jpeg/mod.ts";
import { VERSION } from "./lib/version.ts";
import { HeapCollector } from "./lib/io/heap_collector.ts";

async function main(args: string[]): Promise<number> {
  const command = parseReceiverArgs(args, (name) => Deno.env.get(name));
  if (command.kind === "help") {
    console.log(RECEIVER_HELP);
    return 0;
  }
  if (command.kind === "version") {
    console.log(`udpcam-recv ${VERSION}`);
    return 0;
  }
  const options = command.options;
  if (command.kind === "doctor") {
    return await doctorMain("recv", {
      port: options.listen.port,
      hostname: options.listen.hostname,
      headless: options.headless,
      decoder: options.decoder,
    });
  }
  const status = new StatusLine();
  const heap = new HeapCollector({ nowMs: performance.now() });
  const opened = options.headless
    ? null
    : await openDisplay(options, (message) => status.log(message));
  let record: Deno.FsFile | null = null;
  let thread: ReceiveThread;
  let display: StreamDisplay | null = null;
  let http: HttpViewer | null = null;
  const latency = new LatencyWindow();
  const runLatency = new LatencyWindow(16384, RUN_LATENCY_WARMUP_FRAMES);
  let framesSeen = 0;
  /** When the first whole JPEG arrived, in ms since the process started. */
  let firstFrameCompleteMs: number | null = null;
  /** Complete frames that are not JPEGs, by lib/jpeg/parse.ts's reason. */
  const framesMalformed: Record<string, number> = {};
  let streamId: number | null = null;
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => stop = resolve);
  // Before "listening on": whoever reads it may send SIGTERM right away.
  const removeSignals = onStopSignals(() => stop());
  try {
    record = options.recordPath ? createOutputFile(options.recordPath, "--record") : null;
    http = options.http
      ? HttpViewer.start({ ...options.http, token: options.httpToken ?? undefined })
      : null;
    thread = await ReceiveThread.start({
      listen: options.listen,
      multicastInterface: options.multicastInterface,
      frameTimeoutMs: options.frameTimeoutMs,
      nack: options.nack,
      wire: options.wire,
      key: options.key,
      lockedStreamId: options.streamId,
      followNewest: options.followNewest,
      allowFrom: options.allowFrom,
    }, (frame) => {
      // Reassembled whole but not a JPEG (corrupt or forged bytes): counted, never recorded or
      // served. The window still gets it, so its decoder counts it with the frames it rejects.
      const parsed = parseJpeg(frame.bytes);
      if (!parsed.ok) {
        framesMalformed[parsed.reason] = (framesMalformed[parsed.reason] ?? 0) + 1;
        display?.push(frame);
        return;
      }
      framesSeen++;
      firstFrameCompleteMs ??= round2(performance.now());
      streamId = frame.streamId;
      if (frame.captureUs !== null) {
        const latencyMs = (frame.completeUs - frame.captureUs) / 1000;
        latency.add(latencyMs);
        runLatency.add(latencyMs);
      }
      if (record) writeAllSync(record, frame.bytes);
      // Before the display, which may hand the bytes on: publishFrame copies what it keeps.
      http?.publishFrame(frame.bytes, frame);
      display?.push(frame);
      // Headless, the frame has been handed on; with a window, after it is presented.
      if (!display) heap.betweenFrames(performance.now());
      if (options.maxFrames > 0 && framesSeen >= options.maxFrames) stop();
    });
  } catch (error) {
    await http?.close();
    record?.close();
    opened?.window.close();
    opened?.decoder.close();
    throw error;
  }
  const listen = formatHostPort(thread.address);
  status.log(
    `udpcam-recv: listening on ${listen}${options.headless ? " (headless)" : ""}` +
      (record ? `, recording to ${options.recordPath}` : ""),
  );
  const bufferNote = receiveBufferWarning(thread.receiveBuffer);
  if (bufferNote) status.log(`udpcam-recv: ${bufferNote}`);
  if (http) {
    for (const url of viewerUrls(http.address, options.httpToken ?? undefined, localInterfaces())) {
      status.log(`udpcam-recv: browser view at ${url}`);
    }
  }

  let displayError: unknown = null;
  let displayDone: Promise<void> = Promise.resolve();
  if (opened) {
    display = new StreamDisplay({
      window: opened.window,
      decoder: opened.decoder,
      listen,
      saveDir: options.saveDir,
      log: (message) => status.log(message),
      onQuit: stop,
      afterPresent: (nowMs) => heap.betweenFrames(nowMs),
    });
    displayDone = display.run().catch((error) => {
      displayError = error;
      stop();
    });
  }

  const startMs = performance.now();
  const reporter = new ReceiverReporter(startMs);
  const report = (final = false) => {
    const summary = reporter.report(performance.now(), thread.counters, latency.take(), streamId);
    let line: Record<string, unknown> = {
      ...summary,
      framesMalformed: { ...framesMalformed },
      memoryMB: memoryMB(thread.workerHeapUsedBytes),
      heapCollections: heap.collections + thread.workerHeapCollections,
    };
    let text = formatReceiverStatus(listen, summary);
    if (display) {
      const counters = display.counters;
      const presentedLatencyMs = display.takeLatency();
      line = { ...line, ...counters, presentedLatencyMs };
      text += ` | shown ${counters.framesShown}, skipped ${counters.framesSkipped}, ` +
        `undecodable ${counters.framesUndecodable}`;
      if (!final) {
        display.updateTitle({
          fps: summary.fps,
          mbps: summary.mbps,
          framesComplete: summary.frames.complete,
          framesDropped: summary.frames.dropped,
          latencyP50Ms: presentedLatencyMs?.p50 ?? summary.latencyMs?.p50 ?? null,
          problem: summary.problem,
        });
      }
    }
    // The last line also summarises the whole run, for benchmarks and scripts.
    if (final) {
      line = {
        ...line,
        final,
        latencyMsRun: runLatency.take(),
        firstFrameCompleteMs,
      };
      if (display) {
        line.presentedLatencyMsRun = display.takeRunLatency();
        line.firstFramePresentedMs = display.firstFramePresentedMs;
      }
    }
    if (options.statsJson) console.log(JSON.stringify(line));
    http?.publishStats(line);
    if (http) text += ` | ${http.viewerCount} browser viewers`;
    status.update(text);
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
  await http?.close();
  record?.close();
  opened?.window.close();
  display?.close();
  if (displayError) throw displayError;
  return 0;
}

/** The process's resident memory and both threads' V8 heaps in use, in MB (0.1 MB steps). */
function memoryMB(workerHeapUsedBytes: number): Record<string, number> {
  const usage = Deno.memoryUsage();
  const mb = (bytes: number) => Math.round(bytes / 104857.6) / 10;
  return {
    rss: mb(usage.rss),
    heapUsed: mb(usage.heapUsed),
    external: mb(usage.external),
    workerHeapUsed: mb(workerHeapUsedBytes),
  };
}

/** This machine's addresses, for printing reachable URLs; none when the OS will not say. */
function localInterfaces(): Deno.NetworkInterfaceInfo[] {
  try {
    return Deno.networkInterfaces();
  } catch {
    return [];
  }
}

if (import.meta.main) await runMain("udpcam-recv", main);
