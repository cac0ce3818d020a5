import { CanceledError, DeadlineExceededError, HandoffError } from './errors.js';

/**
 * The error to throw when `signal` has fired: the signal's own reason when it is a handoff
 * error (e.g. a {@link DeadlineExceededError} set by a deadline), otherwise `CanceledError`.
 */
export function abortReason(signal: AbortSignal): HandoffError {
  const reason: unknown = signal.reason;
  if (reason instanceof HandoffError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new DeadlineExceededError('deadline exceeded', { cause: reason });
  }
  return new CanceledError('operation canceled', { cause: reason });
}

/** Throws the typed reason when `signal` has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/**
 * Resolves with `promise`, or rejects with the abort reason as soon as `signal` fires. The
 * listener is removed on every exit path.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Waits `ms` milliseconds, or rejects when `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return raceAbort(
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => clearTimeout(t), { once: true });
    }),
    signal,
  );
}
