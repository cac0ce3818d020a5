/** The PostgreSQL / CockroachDB containment store (pg), table `audit_pending`; the operations are {@link SqlContainmentStore}'s. */
import { POSTGRES } from '../../../sql/dialect.js';
import { postgresExecutor } from '../../../sql/executor.js';
import { openMigratedPool, type PostgresStoreOptions } from '../../../sql/postgres.js';
import { CONTAINMENT_STORE_NAME, containmentMigrations, SqlContainmentStore } from './sql.js';

const MIGRATIONS = containmentMigrations(POSTGRES);

/** The containment schema version this code writes. */
export const CONTAINMENT_POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * @example
 * ```ts
 * const containment = await PostgresContainmentStore.open({ connectionString: process.env.DATABASE_URL! });
 * ```
 */
export class PostgresContainmentStore extends SqlContainmentStore {
  /** Connects (`{ connectionString }`, or a pool the host owns, `{ pool }`, left open by `close()`) and migrates the table. */
  static async open(options: PostgresStoreOptions): Promise<PostgresContainmentStore> {
    return new PostgresContainmentStore(postgresExecutor(await openMigratedPool(options, CONTAINMENT_STORE_NAME, MIGRATIONS)));
  }
}
