import { abortReason } from '../core/abort.js';

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * A first-in, first-out queue of callers waiting for a value (a pooled connection, or the right
 * to dial one). A waiter whose signal fires leaves the queue at once and rejects with the
 * signal's typed reason (`CanceledError`, or the `DeadlineExceededError` a deadline set); a
 * settled waiter keeps no listener on its signal. The queue owns no timers.
 */
export class WaiterQueue<T> {
  /** In arrival order (a Set iterates in insertion order and deletes in O(1)). */
  readonly #waiters = new Set<Waiter<T>>();

  /** Callers waiting now. */
  get size(): number {
    return this.#waiters.size;
  }

  /** Waits for a value handed over by {@link deliver}; rejects at once when `signal` has fired. */
  wait(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = { resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          this.#waiters.delete(waiter);
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.add(waiter);
    });
  }

  /** Hands `value` to the oldest waiter; `false` (and `value` stays the caller's) when none waits. */
  deliver(value: T): boolean {
    const waiter = this.#shift();
    if (waiter === undefined) return false;
    waiter.resolve(value);
    return true;
  }

  /** Rejects the oldest waiter with `error`; `false` when none waits. */
  failOne(error: Error): boolean {
    const waiter = this.#shift();
    if (waiter === undefined) return false;
    waiter.reject(error);
    return true;
  }

  /** Rejects every waiter with `error`; returns how many there were. */
  failAll(error: Error): number {
    let count = 0;
    while (this.failOne(error)) count++;
    return count;
  }

  #shift(): Waiter<T> | undefined {
    const first = this.#waiters.values().next();
    if (first.done === true) return undefined;
    const waiter = first.value;
    this.#waiters.delete(waiter);
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
    return waiter;
  }
}
