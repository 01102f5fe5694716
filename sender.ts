/**
 * udpcam-send: captures a camera (or test pattern, or file) with ffmpeg and streams its JPEG
 * frames over UDP. This file only constructs and wires: the decisions live in lib/send (rate plan,
 * release policy, NACK responder, the lines printed), the world's edges in lib/io.
 *
 * @module
 */

import { formatHostPort, isMulticast } from "./lib/net/mod.ts";
import { onStopSignals, runMain, writeAllSync } from "./lib/cli/run_main.ts";
import { parseSenderArgs, SENDER_HELP, type SenderOptions } from "./lib/cli/sender_options.ts";
import { doctorMain } from "./lib/cli/doctor.ts";
import { listDevicesMain } from "./lib/cli/list_devices.ts";
import { buildFfmpegArgs, explainFfmpegExit } from "./lib/capture/mod.ts";
import { resolveCameraDevice } from "./lib/io/devices.ts";
import { captureOs } from "./lib/io/ffmpeg_capture.ts";
import { SupervisedCapture } from "./lib/io/supervised_capture.ts";
import { PacedSender } from "./lib/io/paced_sender.ts";
import { SealingSender } from "./lib/io/sealing_sender.ts";
import { openSenderSockets } from "./lib/io/multicast_socket.ts";
import { describeDestination, resolveDestinations } from "./lib/io/resolve_destinations.ts";
import { frameReleaser } from "./lib/io/frame_releaser.ts";
import { openAppendFile } from "./lib/io/output_file.ts";
import { StatusLine } from "./lib/io/status_line.ts";
import { writeSdpFile } from "./lib/io/sdp_file.ts";
import {
  NO_TRANSCODER,
  openLadderTranscoder,
  PictureStageSink,
} from "./lib/decode/picture_stage_sink.ts";
import {
  frameLinkOf,
  ladderQualities,
  LinkFitter,
  PASSTHROUGH_TOP_QUALITY,
  REENCODE_SCALES,
} from "./lib/adapt/mod.ts";
import { startRtspOutput } from "./lib/cli/rtsp_output.ts";
import { DatagramSealer, RootKey, SEAL_OVERHEAD_BYTES } from "./lib/crypto/mod.ts";
import { formatSenderLink, formatSenderStatus, SenderReporter } from "./lib/stats/mod.ts";
import {
  ffmpegTiming,
  MAX_REFUSALS_LOGGED,
  NackOpener,
  NackResponder,
  pacingFps,
  PictureStage,
  refusalLine,
  ReleasePolicy,
  sdpFramesPerSecond,
  senderReplies,
  senderStatsRecord,
  streamingLine,
  wireNote,
} from "./lib/send/mod.ts";
import { createPacketizer, WIRE_TRAITS } from "./lib/wire/mod.ts";
import { RetransmitHistory } from "./lib/wire/v1/mod.ts";
import { writeSdp } from "./lib/wire/rtp/mod.ts";
import { VERSION } from "./lib/version.ts";
import { newKeyFileMain } from "./lib/cli/key_file.ts";

async function stream(given: SenderOptions): Promise<number> {
  // Names in --to are resolved once, here: a name that does not resolve stops the sender now.
  const resolved = await resolveDestinations(given.destinations);
  const options = { ...given, destinations: resolved.map((r) => r.address) };
  const os = captureOs();
  const device = await resolveCameraDevice(options.source, options.ffmpegPath, os);
  const source = options.source.kind === "camera"
    ? { kind: "camera" as const, device }
    : options.source;
  const status = new StatusLine();
  const ffmpegArgs = buildFfmpegArgs({
    source,
    size: options.size,
    ...ffmpegTiming(options.rate),
    quality: options.quality,
    passthrough: options.passthrough,
    // RTP/JPEG needs baseline 4:2:0 frames with the standard Huffman tables: re-encoding makes them
    // so; --passthrough forwards the frames that already are (most webcams, files made for it).
    // RTSP clients get RTP/JPEG too, whatever --wire says.
    standardHuffmanTables: WIRE_TRAITS[options.wire].standardJpeg || options.rtsp !== null,
  }, os);
  // Bound first: a busy port is reported before anything else starts. Frames RTP/JPEG cannot
  // carry as they are (pass-through) are re-encoded for RTSP clients.
  const rtspOutput = options.rtsp && startRtspOutput(options.rtsp, {
    program: "udpcam-send",
    origin: options.passthrough ? "passthrough" : "encoded",
    log: (line) => status.log(line),
    framesPerSecond: sdpFramesPerSecond(options.rate),
  });
  const rtsp = rtspOutput?.server ?? null;

  // Multicast groups: bound to --multicast-if's address, with --ttl set (lib/io/multicast_socket.ts).
  const sockets = await openSenderSockets(options);
  const streamId = crypto.getRandomValues(new Uint32Array(1))[0];
  // Each destination gets its own retransmission budget (issue #19, finding 5).
  const requesters = Math.max(1, options.destinations.length);
  const history = options.nack ? new RetransmitHistory(streamId, { requesters }) : null;
  // --key: seal at the socket layer, so retransmitted copies get fresh nonces too.
  const root = options.key === null ? null : await RootKey.derive(options.key);
  const sealer = root === null ? null : await DatagramSealer.create(root, { startMs: Date.now() });
  const link = sealer === null ? sockets : new SealingSender(sockets, sealer);
  const nackOpener = root === null ? null : new NackOpener(root, options.destinations.length);
  // Reports are opened apart from NACKs, so each kind's refusals are counted on its own.
  const reportOpener = root === null ? null : new NackOpener(root, options.destinations.length);
  const { packetizer, fecCounters, paddingCounters } = createPacketizer({
    mode: options.wire,
    streamId,
    maxDatagramBytes: options.maxDatagramBytes,
    fec: options.fec,
    history,
    nowMs: () => performance.now(),
    reserveBytes: sealer === null ? 0 : SEAL_OVERHEAD_BYTES,
    padding: options.adapt,
  });
  if (options.sdpPath !== null) {
    // Players open it to receive the stream: it describes the first destination.
    const [{ hostname: host, port }] = options.destinations;
    const framesPerSecond = sdpFramesPerSecond(options.rate);
    writeSdpFile(options.sdpPath, writeSdp({ host, port, framesPerSecond }));
  }
  const note = wireNote(options.wire, options.maxDatagramBytes);
  if (note !== null) status.log(note);
  // Link fitting (--adapt, --max-rate; lib/adapt/link_fitter.ts). Without either, none of it is
  // built and frames go exactly as before.
  const fitting = options.adapt || options.maxRateBps !== null;
  const transcoder = options.adapt ? openLadderTranscoder((line) => status.log(line)) : null;
  const sourceQuality = options.passthrough ? PASSTHROUGH_TOP_QUALITY : options.quality;
  const fitter = !fitting ? null : new LinkFitter({
    streamId,
    destinations: options.destinations.map((d) => ({
      address: formatHostPort(d),
      group: isMulticast(d.hostname),
    })),
    adapt: options.adapt,
    ceilingBps: options.maxRateBps ?? Number.POSITIVE_INFINITY,
    keyed: sealer !== null,
    sourceFps: pacingFps(options.rate),
    ladder: !options.adapt ? null : {
      qualities: transcoder === null ? [sourceQuality] : ladderQualities(sourceQuality),
      scales: transcoder === null ? [1] : [...REENCODE_SCALES],
    },
    datagramOverheadBytes: sealer === null ? 0 : SEAL_OVERHEAD_BYTES,
  });
  const sender = new PacedSender(
    packetizer,
    link,
    pacingFps(options.rate),
    undefined,
    fitter && frameLinkOf(fitter, {
      paddingBytesSent: () => paddingCounters?.bytes ?? 0,
      // Capture times are wall-clock µs (lib/io/clock.ts): the frame's time in the sender.
      holdUs: (captureUs, nowMs) => (performance.timeOrigin + nowMs) * 1000 - captureUs,
    }),
  );
  let refusalsLogged = 0;
  sender.onRefused((error) => {
    // The first few reasons are enough to act on; the count stays in the stats.
    if (refusalsLogged++ >= MAX_REFUSALS_LOGGED) return;
    const { wire, passthrough } = options;
    status.log(refusalLine({ frameNumber: sender.counters.framesRead, error, wire, passthrough }));
  });
  const sealBytes = sealer === null ? 0 : SEAL_OVERHEAD_BYTES;
  const nacks = new NackResponder({
    history,
    opener: nackOpener,
    nowMs: () => performance.now(),
    sendTo: (copy, destination) => link.sendTo(copy, destination),
    // Repairs share the target with new frames (lib/adapt/rate_budget.ts).
    repairGate: fitter === null
      ? undefined
      : (bytes, destination, nowMs) => fitter.admitRepair(bytes + sealBytes, destination, nowMs),
  });
  // Replies on the sending sockets, by type, only from a destination (lib/net/reply_source.ts).
  const replies = senderReplies({ nacks, fitter, reportOpener, nowMs: () => performance.now() });
  const receiving = sockets.receive((datagram, source, from) =>
    replies.receive(datagram, source, from)
  );
  // The picture stage (lib/send/picture_stage.ts) goes before the pacer: per frame, the ladder's
  // quality, frame rate and size, re-encoded with libjpeg-turbo where it asks (no ffmpeg restart).
  const stage = fitter === null || !options.adapt
    ? null
    : new PictureStage({ sourceQuality, observer: fitter });
  const toDestinations = stage === null || fitter === null ? sender : new PictureStageSink({
    stage,
    transcoder: transcoder ?? NO_TRANSCODER,
    target: sender,
    choose: (captureUs, nowMs) => fitter.choose(captureUs, nowMs),
    onFailure: (error) => status.log(`udpcam-send: a frame could not be re-encoded: ${error}`),
  });
  const saving = options.savePath ? openAppendFile(options.savePath, "--save") : null;
  const save = saving?.file ?? null;
  if (saving !== null && saving.existingBytes > 0) {
    status.log(
      `udpcam-send: --save ${options.savePath} already holds ${saving.existingBytes} bytes: ` +
        "appending (a new run never overwrites a recording)",
    );
  }
  const policy = new ReleasePolicy(options.rate, options.maxFrames);
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => stop = resolve);
  const requestStop = () => {
    policy.stop();
    stop();
  };
  // Before the banner: whoever reads "streaming" may send SIGTERM right away.
  const removeSignals = onStopSignals(requestStop);
  // Frames go to the --to destinations and to RTSP clients; each skips on its own.
  const sinks = [
    ...(options.destinations.length > 0 ? [toDestinations] : []),
    ...(rtsp ? [rtsp] : []),
  ];
  const onFrame = frameReleaser({
    policy,
    sender: {
      offer: (frame, captureUs) => sinks.forEach((sink) => sink.offer(frame, captureUs)),
      idle: async () => void await Promise.all(sinks.map((sink) => sink.idle())),
    },
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
  const rtspUrl = rtsp && `rtsp://${formatHostPort(rtsp.address)}${rtsp.path}`;
  const destinations = [...resolved.map(describeDestination), ...(rtspUrl ? [rtspUrl] : [])]
    .join(", ");
  status.log(streamingLine({
    ...options,
    source,
    destinations,
    streamId,
    sealed: sealer !== null,
  }));
  rtspOutput?.startLines().forEach((line) => status.log(line));

  const reporter = new SenderReporter(performance.now());
  const report = () => {
    const nowMs = performance.now();
    const summary = reporter.report(nowMs, sender.counters);
    fitter?.tick(nowMs);
    const linkStats = fitter === null
      ? null
      : fitter.stats(nowMs, reportOpener === null ? {} : { ...reportOpener.counters });
    if (options.statsJson) {
      const record = senderStatsRecord(summary, {
        fec: options.fec ? fecCounters : null,
        retransmit: history?.counters ?? null,
        nacksRefused: nackOpener?.counters ?? null,
        captureRestarts: capture.restarts,
      }, { link: linkStats, picture: stage?.stats() ?? null });
      console.log(JSON.stringify(rtsp === null ? record : { ...record, rtsp: rtsp.stats() }));
    }
    const udpStatus = options.destinations.length > 0 || rtsp === null
      ? formatSenderStatus(destinations, summary) + formatSenderLink(linkStats)
      : `udpcam-send -> ${destinations}`;
    status.update(rtsp === null ? udpStatus : `${udpStatus} | ${rtsp.statusText()}`);
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
  await rtspOutput?.close();
  transcoder?.close();
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
      return await listDevicesMain(command.ffmpegPath, captureOs());
    case "doctor":
      return await doctorMain("send", { ffmpegPath: command.ffmpegPath, port: command.port });
    case "newKeyFile":
      return newKeyFileMain(command.path);
    case "stream":
      return await stream(command.options);
  }
}

if (import.meta.main) await runMain("udpcam-send", main);
