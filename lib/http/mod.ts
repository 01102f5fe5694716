/**
 * The browser view's pure parts (`--http`): the page, its URLs and token, the Host check, the
 * MJPEG multipart stream, and the fan-out that lets each viewer skip frames on its own.
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
export { tokenMatches, validateHttpToken } from "./token.ts";
export { VIEWER_PAGE_CSP, viewerPageHtml } from "./viewer_page.ts";
export { viewerUrls } from "./viewer_urls.ts";
export type { InterfaceAddress } from "./viewer_urls.ts";
