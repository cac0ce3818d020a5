/**
 * The `MetabaseStore` contract as a test suite. The memory, SQLite and PostgreSQL stores run it,
 * and so should a store you write:
 *
 * ```ts
 * import { metabaseStoreSuite } from 'handoff/testing';
 * metabaseStoreSuite({
 *   name: 'my store',
 *   setup: async () => MyMetabaseStore.open(freshDatabase()),
 *   teardown: async (store) => store.close(),
 * });
 * ```
 *
 * It pins down buckets (create, list, delete with and without force, project isolation), the
 * upload steps (begin, commit segment, commit object, inline objects, deadlines, versions of
 * concurrent uploads), reads, the listing (byte order, prefixes, collapsing, versions, pending,
 * paging), deletes and expiry, the full segment iteration, the piece-list compare-and-swap,
 * server-side move and copy (single-shot and chunked, retries, forged finishes, shared pieces,
 * the iteration guarantee), what garbage collection asks (streams created since a time, the
 * oldest upload in progress), and the refusal of malformed input.
 */
import { afterEach, beforeEach, describe } from 'vitest';
import type { MetabaseStore } from '../metainfo/metabase/port.js';
import { bucketTests } from './metabase-store/buckets.js';
import { cleanupTests } from './metabase-store/cleanup.js';
import { gcTests } from './metabase-store/gc.js';
import { listingTests } from './metabase-store/listing.js';
import { copyTests } from './metabase-store/move-copy.js';
import { moveTests } from './metabase-store/move.js';
import { segmentTests } from './metabase-store/segments.js';
import type { SuiteContext } from './metabase-store/context.js';
import { uploadTests } from './metabase-store/uploads.js';

/** How {@link metabaseStoreSuite} opens the store under test. */
export interface MetabaseStoreSuiteSetup {
  /** Names the `describe` block, e.g. `'SQLite'`. */
  readonly name: string;
  /** A new, empty store for one test. */
  setup(): Promise<MetabaseStore>;
  /** Releases a store `setup` made; by default the suite calls `store.close()`. */
  teardown?(store: MetabaseStore): Promise<void>;
}

/** Registers the store contract tests for one implementation. */
export function metabaseStoreSuite(setup: MetabaseStoreSuiteSetup): void {
  describe(`metabase store: ${setup.name}`, () => {
    let current: MetabaseStore | undefined;
    beforeEach(async () => {
      current = await setup.setup();
    });
    afterEach(async () => {
      const store = current;
      current = undefined;
      if (store) await (setup.teardown ? setup.teardown(store) : store.close());
    });
    const context: SuiteContext = {
      get store() {
        if (!current) throw new Error('the metabase store suite has no store outside a test');
        return current;
      },
    };
    bucketTests(context);
    uploadTests(context);
    listingTests(context);
    cleanupTests(context);
    segmentTests(context);
    moveTests(context);
    copyTests(context);
    gcTests(context);
  });
}
