import { abortReason } from '../core/abort.js';

/**
 * A small bounded queue between a connection's reader and a call's consumer. `put` waits while
 * the queue is full, which stops the reader, which lets the transport push back on the peer:
 * that is how backpressure reaches the far end.
 */
export class Inbox<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;
  #ended = false;
  #error: Error | undefined;
  #taker: ((v: IteratorResult<T>) => void) | undefined;
  #takerReject: ((err: Error) => void) | undefined;
  #space: (() => void) | undefined;

  constructor(capacity = 2) {
    this.#capacity = capacity;
  }

  /** Adds an item; resolves when there is room for the next one. */
  async put(item: T): Promise<void> {
    if (this.#ended || this.#error) return;
    const taker = this.#taker;
    if (taker) {
      this.#clearTaker();
      taker({ value: item, done: false });
      return;
    }
    this.#items.push(item);
    while (this.#items.length >= this.#capacity && !this.#ended && !this.#error) {
      await new Promise<void>((resolve) => (this.#space = resolve));
    }
  }

  /** No more items will come; a waiting `take` gets `done`. */
  end(): void {
    this.#ended = true;
    const taker = this.#taker;
    this.#clearTaker();
    taker?.({ value: undefined, done: true });
    this.#wakeSpace();
  }

  /** Fails waiting and future `take`s with `error` and drops queued items. */
  fail(error: Error): void {
    if (this.#error) return;
    this.#error = error;
    this.#items.length = 0;
    const reject = this.#takerReject;
    this.#clearTaker();
    reject?.(error);
    this.#wakeSpace();
  }

  take(signal?: AbortSignal): Promise<IteratorResult<T>> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#items.length > 0) {
      const value = this.#items.shift()!;
      this.#wakeSpace();
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise((resolve, reject) => {
      this.#taker = resolve;
      this.#takerReject = reject;
    });
  }

  #clearTaker(): void {
    this.#taker = undefined;
    this.#takerReject = undefined;
  }

  #wakeSpace(): void {
    const space = this.#space;
    this.#space = undefined;
    space?.();
  }
}
