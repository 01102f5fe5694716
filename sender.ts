/**
 * udpcam-send: captures a camera (or test pattern, or file) with ffmpeg and streams its JPEG
 * frames over UDP.
 *
 * @module
 */

import { formatHostPort } from "./lib/address.ts";
import { createOutputFile, onStopSignals, runMain, writeAllSync } from "./lib/cli/run_main.ts";
import { parseSenderArgs, SENDER_HELP, type SenderOptions } from "./lib/cli/sender_options.ts";
import { UserError } from "./lib/errors.ts";
import { buildFfmpegArgs, type CaptureOs } from "./lib/ffmpeg_args.ts";
import { describeFecSetting } from "./lib/fec.ts";
import { fecParityDatagrams } from "./lib/fec_packetizer.ts";
import { explainFfmpegExit } from "./lib/ffmpeg_errors.ts";
import { V1Packetizer } from "./lib/fragmenter.ts";
import { listCameras } from "./lib/io/devices.ts";
import { doctorMain } from "./lib/io/doctor_checks.ts";
import { captureOs, startFfmpegCapture } from "./lib/io/ffmpeg_capture.ts";
import { PacedSender } from "./lib/io/paced_sender.ts";
import { MultiDestinationSender } from "./lib/io/udp.ts";
import { RetransmitHistory } from "./lib/retransmit_history.ts";
import { formatSenderStatus, SenderReporter } from "./lib/sender_report.ts";
import { epochMicros } from "./lib/stats.ts";
import { StatusLine } from "./lib/status_line.ts";
import { VERSION } from "./lib/version.ts";
import { PARITY_FIELDS_BYTES } from "./lib/wire.ts";
import type { FramePacketizer } from "./lib/wire_mode.ts";

async function printCameras(ffmpegPath: string, os: CaptureOs): Promise<number> {
  const cameras = await listCameras(ffmpegPath, os);
  if (cameras.length === 0) {
    console.log(
      "No cameras found. Plug one in (and check it works in another app), or stream without a " +
        "camera: udpcam-send --test-pattern",
    );
    return 1;
  }
  console.log("Cameras (use the first column with --device):");
  for (const camera of cameras) console.log(`  ${camera.device.padEnd(16)} ${camera.name}`);
  return 0;
}

/** On Windows dshow has no default camera: take the first one ffmpeg lists. */
async function resolveDevice(options: SenderOptions, os: CaptureOs): Promise<string | null> {
  if (options.source.kind !== "camera") return null;
  if (options.source.device !== null || os !== "windows") return options.source.device;
  const cameras = await listCameras(options.ffmpegPath, os);
  if (cameras.length === 0) {
    throw new UserError(
      "Cannot open the default camera: no camera found. Plug one in, or stream without a camera " +
        "with --test-pattern.",
    );
  }
  return cameras[0].device;
}

async function stream(options: SenderOptions): Promise<number> {
  const os = captureOs();
  const device = await resolveDevice(options, os);
  const source = options.source.kind === "camera"
    ? { kind: "camera" as const, device }
    : options.source;
  const ffmpegArgs = buildFfmpegArgs({
    source,
    size: options.size,
    fps: options.fps,
    quality: options.quality,
    passthrough: options.passthrough,
    standardHuffmanTables: false,
  }, os);

  const status = new StatusLine();
  const sockets = MultiDestinationSender.open(options.destinations);
  const streamId = crypto.getRandomValues(new Uint32Array(1))[0];
  const fec = options.fec;
  // Parity datagrams carry 4 bytes of FEC fields more than the largest fragment.
  const fragmenter = new V1Packetizer(
    streamId,
    fec ? options.maxDatagramBytes - PARITY_FIELDS_BYTES : options.maxDatagramBytes,
  );
  const history = options.nack ? new RetransmitHistory(streamId) : null;
  const fecCounters = { parityDatagrams: 0, parityBytes: 0 };
  const packetizer: FramePacketizer = {
    packetize(frame, captureUs) {
      const data = fragmenter.packetize(frame, captureUs);
      const parity = fec ? fecParityDatagrams(data, fec) : [];
      fecCounters.parityDatagrams += parity.length;
      fecCounters.parityBytes += parity.reduce((sum, d) => sum + d.length, 0);
      const all = parity.length > 0 ? [...data, ...parity] : data;
      history?.record(all, performance.now());
      return all;
    },
  };
  const sender = new PacedSender(packetizer, sockets, options.fps);
  // Replies on the sending sockets: NACKs get answered at once, outside the frame pacing.
  const receiving = sockets.receive((datagram, destination) => {
    if (history === null || !RetransmitHistory.isNack(datagram)) return;
    if (destination < 0) return history.refuseUnknownSource();
    const again = history.answer(datagram, performance.now());
    for (const copy of again) sockets.sendTo(copy, destination);
  });
  const save = options.savePath ? createOutputFile(options.savePath, "--save") : null;
  let stopRequested = false;
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => stop = resolve);
  const requestStop = () => {
    stopRequested = true;
    stop();
  };

  const capture = startFfmpegCapture(options.ffmpegPath, ffmpegArgs, (frame) => {
    if (stopRequested) return;
    const captureUs = epochMicros();
    if (save) writeAllSync(save, frame);
    sender.offer(frame, captureUs);
    if (options.maxFrames > 0 && sender.counters.framesRead >= options.maxFrames) requestStop();
  });
  const destinations = options.destinations.map(formatHostPort).join(", ");
  status.log(
    `udpcam-send: streaming ${describe(options, device)} to ${destinations} ` +
      `(stream id 0x${
        streamId.toString(16).padStart(8, "0")
      }, datagrams <= ${options.maxDatagramBytes} bytes, FEC ${
        fec ? describeFecSetting(fec) : "off"
      }, NACK ${options.nack ? "answered" : "off"})`,
  );

  const reporter = new SenderReporter(performance.now());
  const report = () => {
    const summary = reporter.report(performance.now(), sender.counters);
    if (options.statsJson) {
      const recovery = {
        fec: fec ? fecCounters : null,
        retransmit: history ? { ...history.counters } : null,
      };
      console.log(JSON.stringify({ ...summary, ...recovery }));
    }
    status.update(formatSenderStatus(destinations, summary));
  };
  const timer = setInterval(report, 1000);
  const removeSignals = onStopSignals(requestStop);
  const deadline = options.durationS > 0
    ? setTimeout(requestStop, options.durationS * 1000)
    : undefined;

  let exitCode = 0;
  let failure: string | null = null;
  capture.exited.then((code) => {
    if (stopRequested) return;
    if (code !== 0 || sender.counters.framesRead === 0) {
      failure = explainFfmpegExit(
        capture.stderrTail,
        code,
        options.source,
        device,
        sender.counters.framesRead,
      );
    }
    stop();
  });

  await stopped;
  clearInterval(timer);
  clearTimeout(deadline);
  removeSignals();
  await capture.stop();
  await sender.idle();
  sockets.close();
  await receiving;
  save?.close();
  report();
  status.finish();
  if (failure !== null) {
    console.error(`udpcam-send: ${failure}`);
    exitCode = 1;
  }
  return exitCode;
}

function describe(options: SenderOptions, device: string | null): string {
  const size = options.size ? `${options.size.width}x${options.size.height}` : "source size";
  const what = options.source.kind === "camera"
    ? `camera ${device ?? "(default)"}`
    : options.source.kind === "file"
    ? `file ${options.source.path}`
    : "test pattern";
  return `${what} at ${size} ${options.fps} fps${options.passthrough ? " (pass-through)" : ""}`;
}

async function main(args: string[]): Promise<number> {
  const command = parseSenderArgs(args, (name) => Deno.env.get(name));
  switch (command.kind) {
    case "help":
      console.log(SENDER_HELP);
      return 0;
    case "version":
      console.log(`udpcam-send ${VERSION}`);
      return 0;
    case "listDevices":
      return await printCameras(command.ffmpegPath, captureOs());
    case "doctor":
      return await doctorMain("send", { ffmpegPath: command.ffmpegPath, port: command.port });
    case "stream":
      return await stream(command.options);
  }
}

if (import.meta.main) await runMain("udpcam-send", main);
