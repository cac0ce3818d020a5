/**
 * Fans out a storage node's exit progress (its `onExitProgress` option) to whoever listens, such
 * as the admin endpoint's `NodeAdmin.WatchExits` streams.
 */
import type { NodeExitStatus } from '../../exit/types.js';

/**
 * @example
 * ```ts
 * const feed = new ExitProgressFeed();
 * const node = await StorageNode.start({ ...options, onExitProgress: feed.publish });
 * const stop = feed.subscribe((status) => console.log(exitPercent(status)));
 * ```
 */
export class ExitProgressFeed {
  readonly #listeners = new Set<(status: NodeExitStatus) => void>();

  /** Hands `status` to every listener; bound, so it can be passed as a callback. */
  readonly publish = (status: NodeExitStatus): void => {
    for (const listener of this.#listeners) listener(status);
  };

  /** Listens until the returned function is called. */
  subscribe(listener: (status: NodeExitStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
