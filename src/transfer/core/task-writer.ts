/**
 * The runner of the lifecycle: reads tasks, asks `transition` what to do, persists with a
 * compare-and-swap, and only then announces and notifies. A lost compare-and-swap is retried from
 * a fresh read, so two racing changes are applied one after the other, never both from one read.
 */
import type { Clock } from '../../core/clock.js';
import { AbortedError, NotFoundError, type HandoffError } from '../../core/errors.js';
import { transition, type LifecycleEffect, type LifecycleEvent } from '../lifecycle.js';
import type { TaskChange, TransferTaskStore } from '../store/port.js';
import type { TaskId, TransferTask } from '../types.js';

/** One event for one task; `guard` may refuse it after each fresh read (e.g. wrong provider). */
export interface TaskEvent {
  readonly taskId: TaskId;
  readonly event: LifecycleEvent;
  readonly guard?: (task: TransferTask) => HandoffError | undefined;
}

/** Per event: the task after it (or unchanged), or why it was refused. */
export type TaskEventOutcome = { readonly ok: true; readonly task: TransferTask } | { readonly ok: false; readonly error: HandoffError };

/** How often a lost compare-and-swap is retried before the item gives up with `AbortedError`. */
const MAX_ATTEMPTS = 8;

export interface TaskWriterHooks {
  /** Called for every persisted change, in order. */
  announce(task: TransferTask, previous: TransferTask): void;
  /** Called after the announcement when the change deserves a notification. */
  notify(effect: Extract<LifecycleEffect, { type: 'notify' }>): Promise<void>;
}

/** Applies lifecycle events to stored tasks; see the file comment. */
export class TaskWriter {
  readonly #store: TransferTaskStore;
  readonly #clock: Clock;
  readonly #hooks: TaskWriterHooks;

  constructor(store: TransferTaskStore, clock: Clock, hooks: TaskWriterHooks) {
    this.#store = store;
    this.#clock = clock;
    this.#hooks = hooks;
  }

  /** Applies one event; see {@link TaskWriter.applyMany}. */
  async apply(item: TaskEvent): Promise<TaskEventOutcome> {
    const [outcome] = await this.applyMany([item]);
    return outcome!;
  }

  /**
   * Applies events in order, one outcome each. Events for distinct tasks share one read and one
   * bulk compare-and-swap; a second event for the same task waits for the next round, so it is
   * decided on the result of the first.
   */
  async applyMany(items: readonly TaskEvent[]): Promise<TaskEventOutcome[]> {
    const outcomes: TaskEventOutcome[] = new Array(items.length);
    for (const round of rounds(items)) await this.#round(items, round, outcomes);
    return outcomes;
  }

  async #round(items: readonly TaskEvent[], indexes: number[], outcomes: TaskEventOutcome[]): Promise<void> {
    let pending = indexes;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && pending.length > 0; attempt++) {
      const found = await this.#store.getMany(pending.map((i) => items[i]!.taskId));
      const byId = new Map(found.map((t) => [t.id, t]));
      const now = this.#clock.now();
      const changes: TaskChange[] = [];
      const decided: { index: number; effects: readonly LifecycleEffect[] }[] = [];
      for (const i of pending) {
        const item = items[i]!;
        const task = byId.get(item.taskId);
        if (!task) {
          outcomes[i] = { ok: false, error: new NotFoundError(`transfer task ${item.taskId} not found`) };
          continue;
        }
        const refused = item.guard?.(task);
        if (refused) {
          outcomes[i] = { ok: false, error: refused };
          continue;
        }
        const result = transition(task, item.event, now);
        if (!result.ok) outcomes[i] = { ok: false, error: result.error };
        else if (result.effects.length === 0) outcomes[i] = { ok: true, task };
        else {
          changes.push({ task: result.task, expectedRevision: task.revision });
          decided.push({ index: i, effects: result.effects });
          outcomes[i] = { ok: true, task: result.task };
        }
      }
      const applied = changes.length > 0 ? await this.#store.updateMany(changes) : [];
      const retry: number[] = [];
      for (const [k, { index, effects }] of decided.entries()) {
        if (applied[k]) await this.#afterPersist(effects);
        else retry.push(index);
      }
      pending = retry;
    }
    for (const i of pending) {
      outcomes[i] = { ok: false, error: new AbortedError(`transfer task ${items[i]!.taskId} kept changing concurrently; try again`) };
    }
  }

  /** The persist effect is done (the compare-and-swap above); the rest run in order. */
  async #afterPersist(effects: readonly LifecycleEffect[]): Promise<void> {
    for (const effect of effects) {
      if (effect.type === 'announce') this.#hooks.announce(effect.task, effect.previous);
      else if (effect.type === 'notify') await this.#hooks.notify(effect);
    }
  }
}

/** Splits item indexes into rounds where each task appears at most once, keeping order per task. */
function rounds(items: readonly TaskEvent[]): number[][] {
  const seen = new Map<TaskId, number>();
  const out: number[][] = [];
  items.forEach((item, i) => {
    const r = seen.get(item.taskId) ?? 0;
    seen.set(item.taskId, r + 1);
    (out[r] ??= []).push(i);
  });
  return out;
}
