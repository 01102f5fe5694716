/**
 * `--doctor`, pure part: turns what the probes found (ffmpeg, cameras, libraries, display, port,
 * buffers) into checks with a fix each, and the report.
 *
 * @module
 */

export {
  addressesCheck,
  camerasCheck,
  displayCheck,
  doctorExitCode,
  ffmpegCheck,
  formatCheck,
  formatDoctorReport,
  libraryMissingReason,
  libraryPathFromMaps,
  macDatagramCheck,
  parseProcInteger,
  portCheck,
  reasonOf,
  receiveBufferCheck,
  sdlCheck,
  turboJpegCheck,
} from "./diagnosis.ts";
export type {
  CamerasProbe,
  DoctorCheck,
  DoctorProfile,
  FfmpegProbe,
  LibraryLoadFailure,
  LibraryProbe,
  MaxDatagramProbe,
  PortProbe,
} from "./diagnosis.ts";
