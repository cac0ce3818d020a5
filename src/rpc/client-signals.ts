/**
 * The client's cancellation plumbing: a call's signal and deadline made one signal
 * (`callSignal`), and the client's closing signal freed of Node's listener warning
 * (`unlimitedListeners`).
 */
import { DeadlineExceededError } from '../core/errors.js';
import type { CallOptions } from './client-options.js';

const noop = (): void => undefined;
/** A call with neither signal nor timeout: shared, so it costs no allocation. */
const NO_SIGNAL = Object.freeze({ signal: undefined, dispose: noop });

/**
 * Every dial in flight listens on the client's closing signal: a burst of more than 10 callers
 * made Node print a "possible EventTarget memory leak" warning for what is no leak. Node only
 * (through `process.getBuiltinModule`, which browsers and bundlers never see).
 */
export function unlimitedListeners(signal: AbortSignal): void {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const events = proc?.getBuiltinModule?.('node:events') as { setMaxListeners?: (n: number, target: EventTarget) => void } | undefined;
  events?.setMaxListeners?.(0, signal);
}

/**
 * Combines the caller's signal and timeout into one signal; `dispose` clears the timer. With
 * neither, there is no signal at all: the common call pays for nothing.
 */
export function callSignal(options: CallOptions): { signal: AbortSignal | undefined; dispose(): void } {
  const outer = options.signal;
  if (options.timeoutMs === undefined) return outer === undefined ? NO_SIGNAL : { signal: outer, dispose: noop };
  const controller = new AbortController();
  const onOuter = (): void => controller.abort(outer!.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  const timer = setTimeout(() => controller.abort(new DeadlineExceededError(`deadline of ${options.timeoutMs} ms exceeded`)), options.timeoutMs);
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}
