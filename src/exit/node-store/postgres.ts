/**
 * The PostgreSQL node exit store (pg; the SQL also runs on CockroachDB): `graceful_exit_status`
 * for a node that keeps its state in a server database. The operations are
 * {@link SqlNodeExitStore}'s; the schema is schema.ts's.
 */
import { postgresExecutor } from '../../sql/executor.js';
import { openMigratedPool, type PostgresStoreOptions } from '../../sql/postgres.js';
import { GRACEFUL_EXIT_STATUS_POSTGRES, GRACEFUL_EXIT_V2_POSTGRES } from './schema.js';
import { NODE_EXIT_STORE_NAME, SqlNodeExitStore } from './sql.js';

/** Each entry moves the schema one version up; never edit one that has shipped, append instead. */
const MIGRATIONS: readonly string[] = [GRACEFUL_EXIT_STATUS_POSTGRES, GRACEFUL_EXIT_V2_POSTGRES];

/** The node exit schema version this code writes. */
export const NODE_EXIT_POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * @example
 * ```ts
 * const exits = await PostgresNodeExitStore.open({ connectionString: process.env.DATABASE_URL! });
 * ```
 */
export class PostgresNodeExitStore extends SqlNodeExitStore {
  /**
   * Connects — its own pool from `{ connectionString }`, or a pool the host owns, `{ pool }`,
   * which `close()` leaves open — and migrates the table to the current schema version.
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresNodeExitStore> {
    return new PostgresNodeExitStore(postgresExecutor(await openMigratedPool(options, NODE_EXIT_STORE_NAME, MIGRATIONS)));
  }
}
