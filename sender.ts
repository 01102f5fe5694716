/**
 * udpcam-send: captures a camera (or test pattern, or file) with ffmpeg and streams its JPEG
 * frames over UDP.
 *
 * @module
 */

import { formatHostPort, MACOS_MAX_DATAGRAM_BYTES } from "./lib/net/mod.ts";
import { createOutputFile, onStopSignals, runMain, writeAllSync } from "./lib/cli/run_main.ts";
import { parseSenderArgs, SENDER_HELP, type SenderOptions } from "./lib/cli/sender_options.ts";
import { UserError } from "./lib/errors.ts";
import { buildFfmpegArgs, type CaptureOs, explainFfmpegExit } from "./lib/capture/mod.ts";
import { describeFecSetting } from "./lib/fec/mod.ts";
import { listCameras } from "./lib/io/devices.ts";
import { doctorMain } from "./lib/cli/doctor.ts";
import { captureOs } from "./lib/io/ffmpeg_capture.ts";
import { SupervisedCapture } from "./lib/io/supervised_capture.ts";
import { PacedSender } from "./lib/io/paced_sender.ts";
import { SealingSender } from "./lib/io/sealing_sender.ts";
import { DatagramSealer, SEAL_OVERHEAD_BYTES } from "./lib/crypto/mod.ts";
import { openSenderSockets } from "./lib/io/multicast_socket.ts";
import { RetransmitHistory } from "./lib/wire/v1/mod.ts";
import { formatSenderStatus, SenderReporter } from "./lib/stats/mod.ts";
import { frameReleaser } from "./lib/io/frame_releaser.ts";
import {
  ffmpegTiming,
  NackOpener,
  NackResponder,
  pacingFps,
  rateText,
  ReleasePolicy,
  sdpFramesPerSecond,
} from "./lib/send/mod.ts";
import { StatusLine } from "./lib/io/status_line.ts";
import { VERSION } from "./lib/version.ts";
import { createPacketizer } from "./lib/wire/mod.ts";
import { LEGACY_MAX_SEGMENTS, legacySegmentBytes } from "./lib/wire/legacy/mod.ts";
import { writeSdp } from "./lib/wire/rtp/mod.ts";

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
  const status = new StatusLine();
  // RTP/JPEG needs baseline 4:2:0 frames with the standard Huffman tables: re-encoding makes them
  // so; --passthrough forwards the frames that already are (most webcams, files made for it).
  const rtp = options.wire === "rtp";
  const ffmpegArgs = buildFfmpegArgs({
    source,
    size: options.size,
    ...ffmpegTiming(options.rate),
    quality: options.quality,
    passthrough: options.passthrough,
    standardHuffmanTables: rtp,
  }, os);

  // Multicast groups: bound to --multicast-if's address, with --ttl set (lib/io/multicast_socket.ts).
  const sockets = await openSenderSockets(options);
  const streamId = crypto.getRandomValues(new Uint32Array(1))[0];
  const fec = options.fec;
  const history = options.nack ? new RetransmitHistory(streamId) : null;
  // --key: seal at the socket layer, so retransmitted copies get fresh nonces too.
  const sealer = options.key === null ? null : await DatagramSealer.create(options.key);
  const link = sealer === null ? sockets : new SealingSender(sockets, sealer);
  const nackOpener = options.key === null ? null : new NackOpener(options.key);
  const { packetizer, fecCounters } = createPacketizer({
    mode: options.wire,
    streamId,
    maxDatagramBytes: options.maxDatagramBytes,
    fec,
    history,
    nowMs: () => performance.now(),
    reserveBytes: sealer === null ? 0 : SEAL_OVERHEAD_BYTES,
  });
  if (options.sdpPath !== null) writeSdpFile(options.sdpPath, options);
  if (options.wire === "legacy") status.log(legacyNote(options.maxDatagramBytes));
  const sender = new PacedSender(packetizer, link, pacingFps(options.rate));
  let refusalsLogged = 0;
  sender.onRefused((error) => {
    // The first few reasons are enough to act on; the count stays in the stats.
    if (refusalsLogged++ >= 3) return;
    const reason = error instanceof Error ? error.message : String(error);
    const hint = rtp && options.passthrough
      ? " Or drop --passthrough to have udpcam re-encode."
      : "";
    status.log(`udpcam-send: skipped frame ${sender.counters.framesRead}: ${reason}${hint}`);
  });
  const nacks = new NackResponder({
    history,
    opener: nackOpener,
    nowMs: () => performance.now(),
    sendTo: (copy, destination) => link.sendTo(copy, destination),
  });
  // Replies on the sending sockets: NACKs get answered at once, outside the frame pacing.
  const receiving = sockets.receive((datagram, from) => nacks.receive(datagram, from));
  const save = options.savePath ? createOutputFile(options.savePath, "--save") : null;
  const policy = new ReleasePolicy(options.rate, options.maxFrames);
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => stop = resolve);
  const requestStop = () => {
    policy.stop();
    stop();
  };
  // Before the banner: whoever reads "streaming" may send SIGTERM right away.
  const removeSignals = onStopSignals(requestStop);
  const onFrame = frameReleaser({
    policy,
    sender,
    save: save === null ? null : (frame) => writeAllSync(save, frame),
    onLastFrame: requestStop,
  });
  let failure: string | null = null;
  const capture = new SupervisedCapture({
    ffmpegPath: options.ffmpegPath,
    args: ffmpegArgs,
    onFrame,
    retry: options.retry,
    explain: (stderrTail, exitCode, framesThisRun) =>
      explainFfmpegExit(stderrTail, exitCode, options.source, device, framesThisRun),
    log: (message) => status.log(`udpcam-send: ${message}`),
    onEnd: (why) => {
      failure = why;
      stop();
    },
  });
  const destinations = options.destinations.map(formatHostPort).join(", ");
  status.log(
    `udpcam-send: streaming ${describe(options, device)} to ${destinations} ` +
      `(stream id 0x${
        streamId.toString(16).padStart(8, "0")
      }, ${options.wire} wire, datagrams <= ${options.maxDatagramBytes} bytes, FEC ${
        fec ? describeFecSetting(fec) : "off"
      }, NACK ${options.nack ? "answered" : "off"}, ${
        sealer ? "sealed with AES-256-GCM" : "not encrypted"
      })`,
  );

  const reporter = new SenderReporter(performance.now());
  const report = () => {
    const summary = reporter.report(performance.now(), sender.counters);
    if (options.statsJson) {
      const recovery = {
        fec: fec ? fecCounters : null,
        retransmit: history ? { ...history.counters } : null,
        nacksRefused: nackOpener ? { ...nackOpener.counters } : null,
        captureRestarts: capture.restarts,
      };
      console.log(JSON.stringify({ ...summary, ...recovery }));
    }
    status.update(formatSenderStatus(destinations, summary));
  };
  const timer = setInterval(report, 1000);
  const deadline = options.durationS > 0
    ? setTimeout(requestStop, options.durationS * 1000)
    : undefined;

  let exitCode = 0;

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

/** Writes the SDP that players open to receive the RTP stream (first destination). */
function writeSdpFile(path: string, options: SenderOptions): void {
  const destination = options.destinations[0];
  const sdp = writeSdp({
    host: destination.hostname,
    port: destination.port,
    framesPerSecond: sdpFramesPerSecond(options.rate),
  });
  try {
    Deno.writeTextFileSync(path, sdp);
  } catch (error) {
    throw new UserError(
      `Cannot write --sdp ${path}: ${(error as Error).message}. Check that the folder exists.`,
    );
  }
}

/** What legacy mode can carry, and the macOS limit its original 64 KB datagrams run into. */
function legacyNote(maxDatagramBytes: number): string {
  const maxFrameBytes = LEGACY_MAX_SEGMENTS * legacySegmentBytes(maxDatagramBytes);
  const mac = maxDatagramBytes > MACOS_MAX_DATAGRAM_BYTES
    ? ` Note: macOS refuses datagrams over ${MACOS_MAX_DATAGRAM_BYTES} bytes (net.inet.udp.maxdgram).`
    : "";
  return `udpcam-send: legacy wire format: frames up to ${maxFrameBytes} bytes ` +
    `(255 datagrams of ${maxDatagramBytes}); raise --max-datagram for bigger frames ` +
    `(the original design uses 65473).${mac}`;
}

function describe(options: SenderOptions, device: string | null): string {
  const size = options.size ? `${options.size.width}x${options.size.height}` : "source size";
  const what = options.source.kind === "camera"
    ? `camera ${device ?? "(default)"}`
    : options.source.kind === "file"
    ? `file ${options.source.path}`
    : "test pattern";
  const rate = rateText(options.rate);
  return `${what} at ${size} ${rate}${options.passthrough ? " (pass-through)" : ""}`;
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
