/**
 * Everything a satellite keeps, as one object: the metabase, the overlay, projects, the
 * bandwidth ledger and graceful exits. Memory for tests and embedding, one SQLite file for a
 * single machine, or PostgreSQL / CockroachDB for scale — every store passes the same suite on each.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainmentStore } from '../durability/audit/containment-store.js';
import { MemoryContainmentStore } from '../durability/audit/store/memory.js';
import { PostgresContainmentStore } from '../durability/audit/store/postgres.js';
import { SqliteContainmentStore } from '../durability/audit/store/sqlite.js';
import type { RepairQueueStore } from '../durability/repair/queue-store.js';
import { MemoryRepairQueueStore } from '../durability/repair/store/memory.js';
import { PostgresRepairQueueStore } from '../durability/repair/store/postgres.js';
import { SqliteRepairQueueStore } from '../durability/repair/store/sqlite.js';
import type { ExitQueueStore } from '../exit/queue-store.js';
import { MemoryExitQueueStore } from '../exit/store/memory.js';
import { PostgresExitQueueStore } from '../exit/store/postgres.js';
import { SqliteExitQueueStore } from '../exit/store/sqlite.js';
import { MemoryMetabaseStore } from '../metainfo/metabase/memory.js';
import type { MetabaseStore } from '../metainfo/metabase/port.js';
import { PostgresMetabaseStore } from '../metainfo/metabase/postgres.js';
import { SqliteMetabaseStore } from '../metainfo/metabase/sqlite.js';
import type { LedgerStore } from '../orders/ledger/port.js';
import { MemoryLedgerStore } from '../orders/ledger/store/memory.js';
import { PostgresLedgerStore } from '../orders/ledger/store/postgres.js';
import { SqliteLedgerStore } from '../orders/ledger/store/sqlite.js';
import type { OverlayStore } from '../overlay/port.js';
import { MemoryOverlayStore } from '../overlay/store/memory.js';
import { PostgresOverlayStore } from '../overlay/store/postgres.js';
import { SqliteOverlayStore } from '../overlay/store/sqlite.js';
import type { ProjectStore } from '../projects/port.js';
import { CachingProjectStore } from '../projects/cache.js';
import { MemoryProjectStore } from '../projects/store/memory.js';
import { PostgresProjectStore } from '../projects/store/postgres.js';
import { SqliteProjectStore } from '../projects/store/sqlite.js';
import { openSqliteFile } from '../sql/sqlite.js';
import { createPool } from '../sql/postgres.js';

export interface SatelliteStore {
  readonly metabase: MetabaseStore;
  readonly overlay: OverlayStore;
  readonly projects: ProjectStore;
  readonly ledger: LedgerStore;
  /** Exiting and exited nodes and their transfer queues. */
  readonly exits: ExitQueueStore;
  /** Segments waiting for repair. */
  readonly repairQueue: RepairQueueStore;
  /** Pending audits of contained nodes. */
  readonly containment: ContainmentStore;
  close(): Promise<void>;
}

export type SatelliteStoreOptions =
  | { readonly kind: 'memory' }
  /** One SQLite file, `satellite.db`, in `dir` (created if missing). */
  | { readonly kind: 'sqlite'; readonly dir: string }
  /** PostgreSQL or CockroachDB; one pool shared by every store. */
  | { readonly kind: 'postgres'; readonly connectionString: string; readonly maxConnections?: number };

/**
 * Opens every store of a satellite; migrations run as each opens.
 *
 * @example
 * ```ts
 * const store = await openSatelliteStore({ kind: 'postgres', connectionString: process.env.DATABASE_URL! });
 * ```
 */
export async function openSatelliteStore(options: SatelliteStoreOptions): Promise<SatelliteStore> {
  switch (options.kind) {
    case 'memory': {
      const stores = {
        metabase: new MemoryMetabaseStore(),
        overlay: new MemoryOverlayStore(),
        projects: new MemoryProjectStore(),
        ledger: new MemoryLedgerStore(),
        exits: new MemoryExitQueueStore(),
        repairQueue: new MemoryRepairQueueStore(),
        containment: new MemoryContainmentStore(),
      };
      return { ...stores, close: () => closeAll(stores) };
    }
    case 'sqlite': {
      mkdirSync(options.dir, { recursive: true });
      const path = join(options.dir, 'satellite.db');
      // The metabase keeps its own connection (its transactions are long); the small stores share one.
      const shared = openSqliteFile(path);
      const stores = {
        metabase: await SqliteMetabaseStore.open({ path }),
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
    case 'postgres': {
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
  }
}

async function closeAll(stores: Record<string, { close(): Promise<void> | void }>): Promise<void> {
  for (const store of Object.values(stores)) await store.close();
}
