/**
 * The runner of one move or copy on the uplink's side: feeds events to the pure
 * {@link moveFlowTransition} one at a time and starts what each effect names — a call to the
 * satellite, a re-wrap, a retry timer — feeding each outcome back as an event. It decides nothing.
 */
import { abortReason } from '../core/abort.js';
import { holdProcess, type Clock, type TimerHandle } from '../core/clock.js';
import type { MetadataKey, SegmentKey } from '../metainfo/metabase/move.js';
import * as Metainfo from '../metainfo/methods.js';
import type { ObjectInfo } from '../metainfo/schemas.js';
import type { UnaryMethod } from '../rpc/method.js';
import { initialMoveFlow, moveFlowTransition, type MoveAnswer, type MoveFlowEffect, type MoveFlowEvent, type MoveFlowState, type MoveMethodName, type MovePlan, type MoveRetryPolicy, type MoveStep } from './flow.js';
import * as M from './methods.js';

/** The RPC behind each method name a {@link MoveCall} carries, for hosts that call through an `RpcClient`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const MOVE_FLOW_METHODS: Readonly<Record<MoveMethodName, UnaryMethod<any, any>>> = Object.freeze({
  'Metainfo.GetObject': Metainfo.GetObject,
  'Metainfo.BeginMoveObject': M.BeginMoveObject,
  'Metainfo.BeginCopyObject': M.BeginCopyObject,
  'Metainfo.GetMoveSegments': M.GetMoveSegments,
  'Metainfo.PutMoveKeys': M.PutMoveKeys,
  'Metainfo.FinishMoveObject': M.FinishMoveObject,
  'Metainfo.FinishCopyObject': M.FinishCopyObject,
});

/** What the runner needs from its host: the satellite, the keys, a clock. */
export interface MoveFlowHost {
  /** Makes one call; rejects with the typed error the satellite or the transport gave. */
  call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, signal: AbortSignal): Promise<Res>;
  /** Re-wraps `keys` for the new path under fresh nonces, packed as a key page (`rewrapKeyPage` does it with an `ObjectRekeying`). */
  rewrap(keys: readonly SegmentKey[], signal: AbortSignal): Promise<Uint8Array>;
  rewrapMetadata(metadataKey: MetadataKey): MetadataKey;
  /** Resolves or rejects with the error to report for a missing object (e.g. `explainMissingObject`). */
  explainMissing(error: unknown): Promise<unknown>;
  readonly clock: Clock;
}

/** Options of running the move flow over RPC: cancellation, progress, retries. */
export interface RunMoveFlowOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((progress: { readonly segmentsDone: number; readonly segmentCount: number }) => void) | undefined;
  readonly retry?: Partial<MoveRetryPolicy> | undefined;
}

/**
 * Runs one move or copy to its end: the object at its destination, or the typed error. Calls
 * still in flight when it fails are canceled; retry timers are cleared.
 *
 * @example
 * ```ts
 * const object = await runMoveFlow(host, plan, { signal, onProgress: (p) => console.log(p.segmentsDone) });
 * ```
 */
export function runMoveFlow(host: MoveFlowHost, plan: MovePlan, options: RunMoveFlowOptions = {}): Promise<ObjectInfo> {
  return new MoveFlowRunner(host, initialMoveFlow(plan, options.retry), options).run();
}

class MoveFlowRunner {
  #state: MoveFlowState;
  readonly #events: MoveFlowEvent[] = [];
  #pumping = false;
  readonly #timers = new Map<MoveStep, TimerHandle>();
  /** Cancels what is still running once the flow has ended. */
  readonly #stop = new AbortController();
  #settle!: { resolve: (object: ObjectInfo) => void; reject: (error: unknown) => void };
  readonly #onAbort = (): void => this.#dispatch({ type: 'abort', error: abortReason(this.options.signal!) });

  constructor(
    private readonly host: MoveFlowHost,
    state: MoveFlowState,
    private readonly options: RunMoveFlowOptions,
  ) {
    this.#state = state;
  }

  run(): Promise<ObjectInfo> {
    const done = new Promise<ObjectInfo>((resolve, reject) => (this.#settle = { resolve, reject }));
    const { signal } = this.options;
    if (signal?.aborted) this.#dispatch({ type: 'abort', error: abortReason(signal) });
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#dispatch({ type: 'start' });
    return done;
  }

  #dispatch(event: MoveFlowEvent): void {
    this.#events.push(event);
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#events.length > 0) {
        const step = moveFlowTransition(this.#state, this.#events.shift()!);
        this.#state = step.state;
        for (const effect of step.effects) this.#run(effect);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Starts what `effect` names; every outcome comes back through #dispatch. */
  #run(effect: MoveFlowEffect): void {
    const { host } = this;
    switch (effect.type) {
      case 'call': {
        const { step, method, request } = effect.call;
        attempt(() => host.call(MOVE_FLOW_METHODS[method], request, this.#stop.signal)).then(
          (response) => this.#dispatch({ type: 'answered', step, response } as MoveAnswer),
          (error: unknown) => this.#dispatch({ type: 'callFailed', step, error }),
        );
        return;
      }
      case 'scheduleRetry':
        this.#clearTimer(effect.step);
        // The move is awaited: its retry wait holds the process even when no socket is left open.
        this.#timers.set(effect.step, holdProcess(host.clock.setTimeout(() => {
          this.#timers.delete(effect.step);
          this.#dispatch({ type: 'retryDue', step: effect.step });
        }, effect.afterMs)));
        return;
      case 'cancelRetry':
        this.#clearTimer(effect.step);
        return;
      case 'rewrap':
        attempt(() => host.rewrap(effect.keys, this.#stop.signal)).then(
          (page) => this.#dispatch({ type: 'rewrapped', page, count: effect.keys.length }),
          (error: unknown) => this.#dispatch({ type: 'rewrapFailed', error }),
        );
        return;
      case 'rewrapMetadata':
        try {
          this.#events.push({ type: 'metadataRewrapped', metadataKey: host.rewrapMetadata(effect.metadataKey) });
        } catch (error) {
          this.#events.push({ type: 'rewrapFailed', error });
        }
        return;
      case 'progress':
        try {
          this.options.onProgress?.({ segmentsDone: effect.segmentsDone, segmentCount: effect.segmentCount });
        } catch (error) {
          // The caller's own callback failed: the caller gives up.
          this.#events.push({ type: 'abort', error });
        }
        return;
      case 'explainMissing':
        attempt(() => host.explainMissing(effect.error)).then(
          (error) => this.#dispatch({ type: 'explained', error }),
          (error: unknown) => this.#dispatch({ type: 'explained', error }),
        );
        return;
      case 'done':
        this.#end();
        this.#settle.resolve(effect.object);
        return;
      case 'fail':
        this.#end();
        this.#settle.reject(effect.error);
        return;
    }
  }

  #clearTimer(step: MoveStep): void {
    const timer = this.#timers.get(step);
    if (timer !== undefined) this.host.clock.clearTimeout(timer);
    this.#timers.delete(step);
  }

  #end(): void {
    this.options.signal?.removeEventListener('abort', this.#onAbort);
    for (const step of [...this.#timers.keys()]) this.#clearTimer(step);
    this.#stop.abort();
  }
}

/** The promise `start` returns, or its synchronous throw as a rejection (a host's call may throw before it returns). */
function attempt<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Waits `ms` on `clock`, or rejects with the typed reason once `signal` fires. */
export function delay(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = holdProcess(clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
