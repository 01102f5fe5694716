/**
 * The main thread's handle on the receive worker (see `receive_worker.ts`).
 *
 * @module
 */

import type { ReceiveBufferResult } from "./socket_buffer.ts";
import type { HostPort } from "../net/mod.ts";
import { UserError } from "../errors.ts";
import type { DepacketizerCounters } from "../wire/frames/mod.ts";
import type { FromReceiveWorker, ReceiveSettings, ToReceiveWorker } from "./receive_messages.ts";

/** A complete frame as the main thread gets it. */
export type FrameMessage = Extract<FromReceiveWorker, { type: "frame" }>;

/** How long `stop` waits for the worker's last counters. */
const STOP_TIMEOUT_MS = 2000;

/** A running receive worker. */
export class ReceiveThread {
  readonly #worker: Worker;
  /** Where the socket listens (the real port when 0 was asked for). */
  readonly address: HostPort;
  /** The counters last reported by the worker. */
  counters: DepacketizerCounters | null = null;
  /** The worker's V8 heap in use when it last reported, bytes. */
  workerHeapUsedBytes = 0;
  /** Full collections the worker ran between frames, as of its last counters. */
  workerHeapCollections = 0;
  /** The socket's kernel receive buffer, as enlarged (or why it could not be). */
  readonly receiveBuffer: ReceiveBufferResult;
  #finalCounters: ((counters: DepacketizerCounters) => void) | null = null;

  private constructor(worker: Worker, address: HostPort, receiveBuffer: ReceiveBufferResult) {
    this.#worker = worker;
    this.address = address;
    this.receiveBuffer = receiveBuffer;
  }

  /**
   * Starts the worker listening as `settings` say; `onFrame` gets every complete frame.
   *
   * @throws {UserError} when the socket cannot be opened (port in use, ...).
   */
  static start(
    settings: ReceiveSettings,
    onFrame: (frame: FrameMessage) => void,
  ): Promise<ReceiveThread> {
    const worker = new Worker(new URL("./receive_worker.ts", import.meta.url).href, {
      type: "module",
    });
    return new Promise((resolve, reject) => {
      let thread: ReceiveThread | null = null;
      worker.onerror = (event) => {
        event.preventDefault();
        worker.terminate();
        // The worker's own error object stays in that thread; its text is what crosses.
        reject(
          new Error("Cannot run the receive worker.", { cause: event.error ?? event.message }),
        );
      };
      worker.onmessage = (event: MessageEvent<FromReceiveWorker>) => {
        const message = event.data;
        switch (message.type) {
          case "listening":
            thread = new ReceiveThread(worker, message.address, message.receiveBuffer);
            resolve(thread);
            break;
          case "error":
            worker.terminate();
            reject(new UserError(message.message, message.exitCode));
            break;
          case "frame":
            onFrame(message);
            break;
          case "counters":
            if (thread) {
              thread.counters = message.counters;
              thread.workerHeapUsedBytes = message.heapUsedBytes;
              thread.workerHeapCollections = message.heapCollections;
              if (message.final) thread.#finalCounters?.(message.counters);
            }
            break;
        }
      };
      const start: ToReceiveWorker = { type: "start", ...settings };
      worker.postMessage(start);
    });
  }

  /** Closes the socket, waits for the final counters, and ends the worker. */
  async stop(): Promise<DepacketizerCounters | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const final = new Promise<DepacketizerCounters | null>((resolve) => {
      this.#finalCounters = resolve;
      timer = setTimeout(() => resolve(this.counters), STOP_TIMEOUT_MS);
    });
    const stop: ToReceiveWorker = { type: "stop" };
    this.#worker.postMessage(stop);
    const counters = await final;
    clearTimeout(timer);
    this.#worker.terminate();
    if (counters) this.counters = counters;
    return counters;
  }
}
