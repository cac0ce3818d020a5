/**
 * The satellite's stores in one SQLite file. Its own module so that better-sqlite3 loads only
 * when a satellite asks for SQLite (see `openSatelliteStore`).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteContainmentStore } from '../durability/audit/store/sqlite.js';
import { SqliteRepairQueueStore } from '../durability/repair/store/sqlite.js';
import { SqliteExitQueueStore } from '../exit/store/sqlite.js';
import { SqliteMetabaseStore } from '../metainfo/metabase/sqlite.js';
import { SqliteLedgerStore } from '../orders/ledger/store/sqlite.js';
import { SqliteOverlayStore } from '../overlay/store/sqlite.js';
import { CachingProjectStore } from '../projects/cache.js';
import { SqliteProjectStore } from '../projects/store/sqlite.js';
import { openSqliteFile } from '../sql/sqlite.js';
import { closeAll, type SatelliteStore } from './store.js';

/** Every store of a satellite in `dir/satellite.db` (the directory is created if missing). */
export async function openSqliteSatelliteStore(options: { readonly dir: string }): Promise<SatelliteStore> {
  mkdirSync(options.dir, { recursive: true });
  const path = join(options.dir, 'satellite.db');
  // Every store on one connection. better-sqlite3 runs each call and each transaction to its end
  // synchronously, so a second connection in this process could never run beside the first; it
  // only cost: a commit on one connection makes the other drop its whole page cache, and a graceful
  // exit alternates between the metabase and the queue for every piece (docs/exit.md).
  const shared = openSqliteFile(path);
  const stores = {
    metabase: await SqliteMetabaseStore.open({ database: shared }),
    overlay: await SqliteOverlayStore.open({ database: shared }),
    projects: new CachingProjectStore(await SqliteProjectStore.open({ database: shared })),
    ledger: await SqliteLedgerStore.open({ database: shared }),
    exits: await SqliteExitQueueStore.open({ database: shared }),
    repairQueue: await SqliteRepairQueueStore.open({ database: shared }),
    containment: await SqliteContainmentStore.open({ database: shared }),
  };
  return {
    ...stores,
    async close() {
      await closeAll(stores);
      shared.close();
    },
  };
}
