/**
 * Everything a satellite keeps, as one object: the metabase, the overlay, projects, the
 * bandwidth ledger and graceful exits. Memory for tests and embedding, one SQLite file for a
 * single machine, or PostgreSQL / CockroachDB for scale — every store passes the same suite on each.
 */
import type { ContainmentStore } from '../durability/audit/containment-store.js';
import { MemoryContainmentStore } from '../durability/audit/store/memory.js';
import type { RepairQueueStore } from '../durability/repair/queue-store.js';
import { MemoryRepairQueueStore } from '../durability/repair/store/memory.js';
import type { ExitQueueStore } from '../exit/queue-store.js';
import { MemoryExitQueueStore } from '../exit/store/memory.js';
import { MemoryMetabaseStore } from '../metainfo/metabase/memory.js';
import type { MetabaseStore } from '../metainfo/metabase/port.js';
import type { LedgerStore } from '../orders/ledger/port.js';
import { MemoryLedgerStore } from '../orders/ledger/store/memory.js';
import type { OverlayStore } from '../overlay/port.js';
import { MemoryOverlayStore } from '../overlay/store/memory.js';
import type { ProjectStore } from '../projects/port.js';
import { MemoryProjectStore } from '../projects/store/memory.js';

/** Every store of a satellite, opened together by {@link openSatelliteStore}. */
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

/** Where a satellite keeps its data: memory, one SQLite file, or PostgreSQL / CockroachDB. */
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
    // The adapters load on demand, so importing handoff/satellite loads neither better-sqlite3 nor pg.
    case 'sqlite':
      return (await import('./store-sqlite.js')).openSqliteSatelliteStore(options);
    case 'postgres':
      return (await import('./store-postgres.js')).openPostgresSatelliteStore(options);
  }
}

/** Closes each store in turn (a helper of the adapters). */
export async function closeAll(stores: Record<string, { close(): Promise<void> | void }>): Promise<void> {
  for (const store of Object.values(stores)) await store.close();
}
