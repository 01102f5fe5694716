/**
 * Writes into one TCP connection in order without ever making the caller wait, and without
 * holding more than a fixed number of unsent bytes: {@linkcode ConnWriter.write} queues and
 * returns at once, one pump hands the queue to the kernel as fast as the peer reads. When the
 * queue would grow past its cap, `write` refuses (nothing is queued) and the caller decides
 * (the RTSP server closes such a connection). The queue's size is what the caller reads to skip
 * frames for a slow client (lib/rtsp/stream_delivery.ts).
 *
 * @module
 */

/** What a {@linkcode ConnWriter} writes into: a Deno TCP connection fits. */
export interface WritableConn {
  /** Writes some of `bytes`; resolves with how many were taken. */
  write(bytes: Uint8Array): Promise<number>;
  /** Closes the connection (a pending write then rejects). */
  close(): void;
}

/** An in-order, bounded, never-blocking writer into one connection. */
export class ConnWriter {
  readonly #conn: WritableConn;
  readonly #maxUnsentBytes: number;
  readonly #chunks: Uint8Array[] = [];
  /** Bytes of the first chunk already written. */
  #headOffset = 0;
  #unsentBytes = 0;
  #bytesWritten = 0;
  #pump: Promise<void> | null = null;
  #failed = false;
  #closed = false;

  /**
   * A writer holding at most `maxUnsentBytes` unsent bytes.
   *
   * @param conn The connection; the writer closes it in {@linkcode close}.
   * @param maxUnsentBytes Cap on queued bytes not yet taken by the kernel.
   */
  constructor(conn: WritableConn, maxUnsentBytes: number) {
    this.#conn = conn;
    this.#maxUnsentBytes = maxUnsentBytes;
  }

  /** Bytes queued and not yet taken by the kernel. */
  get unsentBytes(): number {
    return this.#unsentBytes;
  }

  /** Bytes the kernel has taken. */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** Whether a write failed (the peer reset the connection): nothing more is written. */
  get failed(): boolean {
    return this.#failed;
  }

  /**
   * Queues `bytes` (kept by reference: do not change them afterwards). Returns false, queueing
   * nothing, when they would take the queue past its cap, or the writer failed or closed.
   */
  write(bytes: Uint8Array): boolean {
    if (this.#failed || this.#closed) return false;
    if (bytes.length === 0) return true;
    if (this.#unsentBytes + bytes.length > this.#maxUnsentBytes) return false;
    this.#chunks.push(bytes);
    this.#unsentBytes += bytes.length;
    this.#pump ??= this.#run().finally(() => this.#pump = null);
    return true;
  }

  /** Resolves when the queue is empty (or the writer failed or closed). */
  async drained(): Promise<void> {
    // Bounded: each pass awaits a pump that ends when the queue empties or a write fails.
    while (this.#pump !== null) await this.#pump;
  }

  /**
   * Closes the connection once the queue is written, or after `graceMs` whatever is left (a peer
   * that does not read cannot hold the connection open). 0 closes at once. Idempotent.
   */
  async close(graceMs = 0): Promise<void> {
    if (this.#closed) return;
    if (graceMs > 0 && !this.#failed) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs));
      await Promise.race([this.drained(), grace]);
      clearTimeout(timer);
    }
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks.length = 0;
    this.#unsentBytes = 0;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    // A write pending on the closed connection rejects; the pump ends with it.
    await this.#pump?.catch(() => {});
  }

  async #run(): Promise<void> {
    while (this.#chunks.length > 0 && !this.#closed) {
      const chunk = this.#chunks[0];
      let written: number;
      try {
        written = await this.#conn.write(chunk.subarray(this.#headOffset));
      } catch {
        this.#failed = true;
        this.#chunks.length = 0;
        this.#unsentBytes = 0;
        return;
      }
      if (this.#closed) return;
      if (!(written > 0)) {
        // A connection that takes nothing without failing would make this loop spin.
        this.#failed = true;
        this.#chunks.length = 0;
        this.#unsentBytes = 0;
        return;
      }
      this.#bytesWritten += written;
      this.#unsentBytes -= written;
      this.#headOffset += written;
      if (this.#headOffset >= chunk.length) {
        this.#chunks.shift();
        this.#headOffset = 0;
      }
    }
  }
}
