/**
 * One producer, many consumers, newest item wins: each viewer of the HTTP stream gets the latest
 * frame it has not had yet whenever it asks, so a slow viewer skips frames instead of queueing them.
 *
 * Memory is one item (the latest) plus a constant per viewer, whatever the viewers do; publishing
 * costs O(viewers) and never waits for any of them.
 *
 * @module
 */

/** What one viewer has had so far. */
export interface FanoutViewerCounters {
  /** Items handed to this viewer. */
  sent: number;
  /** Items published while this viewer was busy and replaced before it asked again. */
  skipped: number;
}

/** One consumer of a {@linkcode FrameFanout}. */
export class FanoutViewer<T> {
  /** A number unique within its fanout, for logs and per-viewer counters. */
  readonly id: number;
  readonly #fanout: FrameFanout<T>;
  /** Publish index of the last item handed out (0 = none yet). */
  #lastIndex: number;
  #waiter: ((item: T | undefined) => void) | null = null;
  #closed = false;
  #sent = 0;
  #skipped = 0;

  /** @internal Use {@linkcode FrameFanout.join}. */
  constructor(fanout: FrameFanout<T>, id: number, lastIndex: number) {
    this.#fanout = fanout;
    this.id = id;
    this.#lastIndex = lastIndex;
  }

  /** This viewer's counters; frames already replaced while it was busy count as skipped. */
  get counters(): FanoutViewerCounters {
    if (this.#closed) return { sent: this.#sent, skipped: this.#skipped };
    const latestIndex = this.#fanout._latest?.index ?? 0;
    const pending = Math.max(0, latestIndex - this.#lastIndex - 1);
    return { sent: this.#sent, skipped: this.#skipped + pending };
  }

  /** Whether the viewer has left (or the fanout closed). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the viewer is waiting in {@linkcode next} for an item to be published. */
  get waiting(): boolean {
    return this.#waiter !== null;
  }

  /**
   * The newest item not yet handed to this viewer: at once when there is one, else when the next
   * one is published. Resolves undefined once the viewer is closed. One call at a time.
   */
  next(): Promise<T | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    const item = this.#takeNewest();
    if (item !== undefined) return Promise.resolve(item);
    if (this.#waiter) throw new Error("Cannot wait for a frame twice: one next() at a time");
    return new Promise((resolve) => this.#waiter = resolve);
  }

  /** Leaves the fanout; a pending {@linkcode next} resolves undefined. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#skipped = this.counters.skipped;
    this.#closed = true;
    this.#fanout._remove(this);
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.(undefined);
  }

  /** @internal Called by the fanout on publish: hands the item over if the viewer is waiting. */
  _offer(): void {
    if (!this.#waiter) return;
    const item = this.#takeNewest();
    if (item === undefined) return;
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter(item);
  }

  #takeNewest(): T | undefined {
    const latest = this.#fanout._latest;
    if (!latest || latest.index <= this.#lastIndex) return undefined;
    this.#skipped += latest.index - this.#lastIndex - 1;
    this.#lastIndex = latest.index;
    this.#sent++;
    this.#fanout._handedOut();
    return latest.item;
  }
}

/** Totals of a {@linkcode FrameFanout} since it was made. */
export interface FanoutCounters {
  /** Items published. */
  published: number;
  /** Viewers that joined. */
  joined: number;
  /** Joins refused because `maxViewers` were already there. */
  refused: number;
  /** Items handed to viewers, summed over viewers. */
  sent: number;
  /** Items skipped by busy viewers, summed over viewers (including those that left). */
  skipped: number;
}

/** Hands the newest published item to each viewer that asks; see the module doc. */
export class FrameFanout<T> {
  readonly #maxViewers: number;
  readonly #viewers = new Set<FanoutViewer<T>>();
  #nextId = 1;
  #published = 0;
  #joined = 0;
  #refused = 0;
  #sent = 0;
  #skippedByLeavers = 0;
  #closed = false;
  /** @internal The newest item and its publish index (1-based). */
  _latest: { item: T; index: number } | null = null;

  /**
   * Makes a fanout with no viewers and no item yet.
   *
   * @param maxViewers Most viewers at once; {@linkcode join} refuses past it.
   */
  constructor(maxViewers: number) {
    if (!Number.isInteger(maxViewers) || maxViewers < 1) {
      throw new RangeError(`Cannot make a frame fanout for ${maxViewers} viewers: need 1 or more`);
    }
    this.#maxViewers = maxViewers;
  }

  /** Viewers currently joined. */
  get viewerCount(): number {
    return this.#viewers.size;
  }

  /** The newest item, or undefined before the first. */
  get latest(): T | undefined {
    return this._latest?.item;
  }

  /** The current viewers, in the order they joined. */
  get viewers(): FanoutViewer<T>[] {
    return [...this.#viewers];
  }

  /** Totals since the fanout was made. */
  get counters(): FanoutCounters {
    let skipped = this.#skippedByLeavers;
    for (const viewer of this.#viewers) skipped += viewer.counters.skipped;
    return {
      published: this.#published,
      joined: this.#joined,
      refused: this.#refused,
      sent: this.#sent,
      skipped,
    };
  }

  /**
   * Adds a viewer, whose first item is the newest one already published (if any). Returns null
   * when `maxViewers` are already joined or the fanout is closed.
   */
  join(): FanoutViewer<T> | null {
    if (this.#closed || this.#viewers.size >= this.#maxViewers) {
      this.#refused++;
      return null;
    }
    const lastIndex = this._latest ? this._latest.index - 1 : this.#published;
    const viewer = new FanoutViewer(this, this.#nextId++, lastIndex);
    this.#viewers.add(viewer);
    this.#joined++;
    return viewer;
  }

  /** Makes `item` the newest and hands it to every waiting viewer; never waits. */
  publish(item: T): void {
    if (this.#closed) return;
    this._latest = { item, index: ++this.#published };
    for (const viewer of this.#viewers) viewer._offer();
  }

  /** Closes every viewer and refuses new ones. */
  close(): void {
    this.#closed = true;
    for (const viewer of [...this.#viewers]) viewer.close();
  }

  /** @internal */
  _remove(viewer: FanoutViewer<T>): void {
    if (this.#viewers.delete(viewer)) this.#skippedByLeavers += viewer.counters.skipped;
  }

  /** @internal */
  _handedOut(): void {
    this.#sent++;
  }
}
