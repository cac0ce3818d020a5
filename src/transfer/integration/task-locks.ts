/**
 * One task at a time: the integration module's poll round, a user's control and a restart's
 * reconciliation may all want the same task; each waits for the one before it, so a task's
 * stored row is never read by one and overwritten by another mid-way.
 */
import type { TaskId } from '../types.js';

/**
 * Runs work per task in call order; work on different tasks runs concurrently.
 *
 * @example
 * ```ts
 * const locks = new TaskLocks();
 * await Promise.all([locks.run(7, poll), locks.run(7, pause)]); // pause waits for poll
 * ```
 */
export class TaskLocks {
  readonly #tails = new Map<TaskId, Promise<unknown>>();

  /** Runs `fn` once every earlier `fn` of `taskId` has settled; resolves (or rejects) with its outcome. */
  run<T>(taskId: TaskId, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(taskId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.#tails.set(taskId, next);
    void next.then(
      () => this.#tails.get(taskId) === next && this.#tails.delete(taskId),
      () => this.#tails.get(taskId) === next && this.#tails.delete(taskId),
    );
    return next;
  }
}
