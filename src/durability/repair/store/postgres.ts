/**
 * The PostgreSQL repair queue (pg): the satellite's repair queue at scale, in table
 * `repair_queue`, which can share a database with the satellite's other stores. The SQL is plain
 * enough for CockroachDB: upserts, `unnest` batches, a claim that is one compare-and-swap
 * `UPDATE`; no `SKIP LOCKED`, no PL/pgSQL, no advisory locks. The operations are
 * {@link SqlRepairQueueStore}'s; this file holds the schema's dialect.
 */
import { POSTGRES } from '../../../sql/dialect.js';
import { postgresExecutor } from '../../../sql/executor.js';
import { openMigratedPool, type PostgresStoreOptions } from '../../../sql/postgres.js';
import { REPAIR_QUEUE_STORE_NAME, repairQueueMigrations, SqlRepairQueueStore } from './sql.js';

const MIGRATIONS = repairQueueMigrations(POSTGRES);

/** The repair queue schema version this code writes. */
export const REPAIR_QUEUE_POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * @example
 * ```ts
 * const queue = await PostgresRepairQueueStore.open({ connectionString: process.env.DATABASE_URL! });
 * const item = await queue.next(Date.now(), 30 * 60_000);
 * ```
 */
export class PostgresRepairQueueStore extends SqlRepairQueueStore {
  /**
   * Connects — its own pool from `{ connectionString }`, or a pool the host owns, `{ pool }`,
   * which `close()` leaves open — and migrates the queue table to the current schema version.
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresRepairQueueStore> {
    return new PostgresRepairQueueStore(postgresExecutor(await openMigratedPool(options, REPAIR_QUEUE_STORE_NAME, MIGRATIONS)));
  }
}
