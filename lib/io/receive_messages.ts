/**
 * Messages between the receiver's main thread and its receive worker.
 *
 * @module
 */

import type { AddressRule, HostPort } from "../net/mod.ts";
import type { DepacketizerCounters } from "../wire/frames/mod.ts";
import type { WireMode } from "../wire/mod.ts";
import type { ReceiveBufferResult } from "./socket_buffer.ts";

/** How the receive worker receives: everything the main thread decides before it starts. */
export interface ReceiveSettings {
  /** Where to listen. */
  listen: HostPort;
  /** With a multicast `listen` group: the interface to join it on (`--multicast-if`), or null. */
  multicastInterface?: string | null;
  /** Incomplete frames are given up after this long. */
  frameTimeoutMs: number;
  /**
   * Ask the stream's source to send lost fragments again (NACKs, docs/protocol.md). Senders
   * started with `--no-nack` ignore the requests.
   */
  nack: boolean;
  /** The wire format to expect. */
  wire: WireMode;
  /** Key bytes to open sealed datagrams and seal NACKs with (`--key`), or null. */
  key?: Uint8Array | null;
  /**
   * With `key`: sealed datagrams must carry a capture time within this many ms of the receiver's
   * clock (`--max-clock-skew`); a session quiet this long is forgotten.
   */
  maxClockSkewMs: number;
  /** Follow only this stream id (`--stream`), or null. */
  lockedStreamId?: number | null;
  /** Switch at once to any new stream (`--follow-newest`). */
  followNewest?: boolean;
  /** Take datagrams only from these sources (`--allow-from`); empty or absent: anyone. */
  allowFrom?: AddressRule[];
}

/** Main thread → worker. */
export type ToReceiveWorker =
  | ({ type: "start" } & ReceiveSettings)
  | { type: "stop" };

/** Worker → main thread. */
export type FromReceiveWorker =
  | {
    type: "listening";
    address: HostPort;
    /** The socket's kernel receive buffer after enlarging it (lib/io/socket_buffer.ts). */
    receiveBuffer: ReceiveBufferResult;
  }
  | { type: "error"; message: string; exitCode: number }
  | {
    type: "frame";
    streamId: number;
    frameSeq: number;
    /** Sender's capture time, µs since the Unix epoch, if the wire mode carries it. */
    captureUs: number | null;
    /** When the frame completed in the worker, µs since the Unix epoch. */
    completeUs: number;
    /** The JPEG; its buffer is transferred. */
    bytes: Uint8Array;
  }
  | {
    type: "counters";
    counters: DepacketizerCounters;
    final: boolean;
    /** The worker's V8 heap in use, bytes (for the receiver's memory stats). */
    heapUsedBytes: number;
    /** Full garbage collections the worker ran between frames (lib/io/heap_collector.ts). */
    heapCollections: number;
  };
