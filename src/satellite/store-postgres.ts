/**
 * The satellite's stores on PostgreSQL or CockroachDB. Its own module so that pg loads only when
 * a satellite asks for PostgreSQL (see `openSatelliteStore`).
 */
import { PostgresContainmentStore } from '../durability/audit/store/postgres.js';
import { PostgresRepairQueueStore } from '../durability/repair/store/postgres.js';
import { PostgresExitQueueStore } from '../exit/store/postgres.js';
import { PostgresMetabaseStore } from '../metainfo/metabase/postgres.js';
import { PostgresLedgerStore } from '../orders/ledger/store/postgres.js';
import { PostgresOverlayStore } from '../overlay/store/postgres.js';
import { CachingProjectStore } from '../projects/cache.js';
import { PostgresProjectStore } from '../projects/store/postgres.js';
import { createPool } from '../sql/postgres.js';
import { closeAll, type SatelliteStore } from './store.js';

/** Every store of a satellite in one PostgreSQL / CockroachDB database, sharing one pool. */
export async function openPostgresSatelliteStore(options: { readonly connectionString: string; readonly maxConnections?: number }): Promise<SatelliteStore> {
  const pool = createPool(options.connectionString, options.maxConnections ?? 10);
  try {
    const stores = {
      metabase: await PostgresMetabaseStore.open({ pool }),
      overlay: await PostgresOverlayStore.open({ pool }),
      // API keys are looked up on every call: keep recent ones in memory (revocations apply within a minute).
      projects: new CachingProjectStore(await PostgresProjectStore.open({ pool })),
      ledger: await PostgresLedgerStore.open({ pool }),
      exits: await PostgresExitQueueStore.open({ pool }),
      repairQueue: await PostgresRepairQueueStore.open({ pool }),
      containment: await PostgresContainmentStore.open({ pool }),
    };
    return {
      ...stores,
      async close() {
        await closeAll(stores);
        await pool.end();
      },
    };
  } catch (err) {
    await pool.end();
    throw err;
  }
}
