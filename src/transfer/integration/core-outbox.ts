/**
 * Delivers the store's outbox to the core in bulk, oldest first. While the core is down the
 * updates stay in the store (and survive a restart); pushes are retried with capped backoff.
 */
import type { Clock } from '../../core/clock.js';
import type { TransferTaskUpdate } from '../types.js';
import { backoffDelay, type IntegrationPolicy } from './policy.js';
import type { CoreLink } from './ports.js';
import type { IntegrationStore } from './store.js';

export interface CoreOutboxOptions {
  readonly store: IntegrationStore;
  readonly core: CoreLink;
  readonly clock: Clock;
  readonly policy: IntegrationPolicy;
  readonly batchSize: number;
  /** Told about pushes that failed and items the core refused. */
  readonly onError: (error: unknown, context: string) => void;
}

/** See the file comment. */
export class CoreOutbox {
  readonly #o: CoreOutboxOptions;
  #inFlightSeq = 0;
  #failures = 0;
  #retryAt = 0;
  #flushing: Promise<void> | null = null;

  constructor(options: CoreOutboxOptions) {
    this.#o = options;
  }

  /**
   * The highest outbox sequence number being pushed right now; updates must not be merged into
   * those entries (they would be acknowledged without having been sent).
   */
  get inFlightSeq(): number {
    return this.#inFlightSeq;
  }

  /** Pushes everything pending (unless a failed push's backoff has not expired). One flush at a time. */
  flush(): Promise<void> {
    this.#flushing ??= this.#drain().finally(() => (this.#flushing = null));
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    const { store, core, clock } = this.#o;
    if (clock.now() < this.#retryAt) return;
    for (;;) {
      // The core must never see a state the store could lose in a crash.
      try {
        await store.flush?.();
      } catch (err) {
        this.#o.onError(err, 'the store could not make its updates durable; not pushing them');
        return;
      }
      const batch = store.pendingUpdates(this.#o.batchSize);
      const last = batch.at(-1);
      if (!last) return;
      this.#inFlightSeq = last.seq;
      let outcomes;
      try {
        outcomes = await core.updateTransferTasks(batch.map((p) => p.update));
      } catch (err) {
        this.#failures += 1;
        this.#retryAt = clock.now() + backoffDelay(this.#failures, this.#o.policy);
        this.#o.onError(err, `pushing ${batch.length} update(s) to the core failed; retrying later`);
        return;
      } finally {
        this.#inFlightSeq = 0;
      }
      this.#failures = 0;
      this.#retryAt = 0;
      outcomes.forEach((outcome, i) => {
        if (!outcome.ok) this.#o.onError(new Error(outcome.reason), `the core refused ${describe(batch[i]?.update)}`);
      });
      store.acknowledgeUpdates(last.seq);
    }
  }
}

function describe(update: TransferTaskUpdate | undefined): string {
  return update ? `an update of task ${update.taskId}` : 'an update';
}
