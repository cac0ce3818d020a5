/**
 * The chunks of one piece on their way to its node. The segment's encoder pushes a chunk to every
 * piece's feed; each piece upload reads its own feed at its node's pace. The encoder only waits
 * for the fastest `success` feeds, so one slow node never slows an upload down: its backlog grows
 * (at most to its piece) until enough pieces are stored and its upload is cancelled.
 */
import { CanceledError } from '../core/errors.js';

/** Wakes whoever waits for a change in any of a set of feeds. */
export class FeedSignal {
  #waiters: Array<() => void> = [];

  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves at the next {@link notify}. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/** One piece's queue of chunks, read once as an async iterable. */
export class PieceFeed implements AsyncIterable<Uint8Array> {
  readonly #signal: FeedSignal;
  #queue: Uint8Array[] = [];
  #backlog = 0;
  #ended = false;
  #dropped = false;
  #wakeReader: (() => void) | undefined;

  constructor(signal: FeedSignal) {
    this.#signal = signal;
  }

  /** Bytes pushed and not yet taken by the upload. */
  get backlog(): number {
    return this.#backlog;
  }

  /** True once every chunk was pushed and taken: the upload has sent the whole piece. */
  get drained(): boolean {
    return this.#ended && this.#queue.length === 0;
  }

  /** False once the upload reading this feed has given up. */
  get alive(): boolean {
    return !this.#dropped;
  }

  push(chunk: Uint8Array): void {
    if (this.#dropped) return;
    this.#queue.push(chunk);
    this.#backlog += chunk.length;
    this.#wake();
  }

  /** No more chunks: the reader finishes once it has taken the queued ones. */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  /** The upload failed or was cancelled: free the backlog and ignore further chunks. */
  drop(): void {
    this.#dropped = true;
    this.#queue = [];
    this.#backlog = 0;
    this.#wake();
    this.#signal.notify();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      if (this.#dropped) throw new CanceledError('piece upload dropped');
      const chunk = this.#queue.shift();
      if (chunk !== undefined) {
        this.#backlog -= chunk.length;
        this.#signal.notify();
        yield chunk;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wakeReader = resolve));
    }
  }

  #wake(): void {
    const wake = this.#wakeReader;
    this.#wakeReader = undefined;
    wake?.();
  }
}
