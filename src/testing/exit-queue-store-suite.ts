/**
 * The `ExitQueueStore` contract as a test suite. The memory, SQLite and PostgreSQL stores run it,
 * and so should a store you write:
 *
 * ```ts
 * import { exitQueueStoreSuite } from 'handoff/testing';
 * exitQueueStoreSuite({
 *   name: 'my store',
 *   open: async () => MyExitQueueStore.open(freshDatabase()),
 *   reopen: async (store) => { await store.close(); return MyExitQueueStore.open(sameDatabase()); },
 * });
 * ```
 *
 * It checks that starting an exit is idempotent (and exactly one of racing starts creates it),
 * that gathering batches never queue or count a piece twice (keeping the lower durability,
 * moving the cursor, adding only new pieces' bytes), the order transfers go out in, per-piece
 * sends and failures, that finishing an item counts it exactly once even when finished
 * concurrently, that finishing an exit is a compare-and-swap that empties the queue, that
 * activity never moves backwards, listing filters, refusal of malformed input without a change,
 * counter invariants over random sequences of operations and, when `reopen` is given, durability.
 */
import { afterEach, describe } from 'vitest';
import type { ExitQueueStore } from '../exit/queue-store.js';
import type { SuiteContext } from './exit-queue-store/fixtures.js';
import { gatheringTests } from './exit-queue-store/gathering.js';
import { invariantTests } from './exit-queue-store/invariants.js';
import { transferTests } from './exit-queue-store/transfers.js';

/** How {@link exitQueueStoreSuite} opens the store under test. */
export interface ExitQueueStoreSuiteSetup {
  /** Names the `describe` block, e.g. `'SQLite'`. */
  readonly name: string;
  /** A new, empty store for one test. The suite closes it. */
  open(): Promise<ExitQueueStore>;
  /** Closes `store` and opens the same data again; omit for stores that keep nothing. */
  reopen?(store: ExitQueueStore): Promise<ExitQueueStore>;
}

/** Registers the store contract tests for one implementation. */
export function exitQueueStoreSuite(setup: ExitQueueStoreSuiteSetup): void {
  describe(`exit queue store: ${setup.name}`, () => {
    let store: ExitQueueStore | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });
    const reopen = setup.reopen?.bind(setup);
    const context: SuiteContext = {
      open: async () => (store = await setup.open()),
      // The reopened store is the one the suite closes after the test.
      reopen: reopen && (async (s: ExitQueueStore) => (store = await reopen(s))),
    };
    gatheringTests(context);
    transferTests(context);
    invariantTests(context);
  });
}
