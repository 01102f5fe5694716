/**
 * The browser view's pure parts (`--http`): the page, its URLs and token, the Host check, the
 * MJPEG multipart stream, the fan-out that lets each viewer skip frames on its own, and the
 * HTTP/1.1 request heads and response heads the server reads and writes.
 *
 * @module
 */

export { FanoutViewer, FrameFanout } from "./frame_fanout.ts";
export type { FanoutCounters, FanoutViewerCounters } from "./frame_fanout.ts";
export { canonicalHost, HostAllowList, hostOfHeader, isLoopbackHost } from "./host_check.ts";
export {
  MJPEG_BOUNDARY,
  mjpegContentType,
  mjpegPart,
  mjpegPreamble,
  MjpegReader,
} from "./mjpeg_multipart.ts";
export type { MjpegPartRead } from "./mjpeg_multipart.ts";
export {
  BAD_REQUEST_REASONS,
  DEFAULT_REQUEST_HEAD_LIMITS,
  headerValue,
  keepsAlive,
  RequestHeadReader,
} from "./request_head.ts";
export type {
  BadRequestReason,
  HeadReadResult,
  RequestHead,
  RequestHeadLimits,
} from "./request_head.ts";
export { responseHead } from "./response_head.ts";
export { tokenMatches, validateHttpToken } from "./token.ts";
export { VIEWER_PAGE_CSP, viewerPageHtml } from "./viewer_page.ts";
export { viewerUrls } from "./viewer_urls.ts";
export type { InterfaceAddress } from "./viewer_urls.ts";
