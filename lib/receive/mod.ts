/**
 * The receiver's pure parts: the datagram path from socket to depacketizer (source filter, seal
 * check, opening in order).
 *
 * @module
 */

export { MAX_PENDING_OPENS, ReceivePath } from "./receive_path.ts";
