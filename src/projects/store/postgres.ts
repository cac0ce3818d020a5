/**
 * The PostgreSQL project store (pg; the SQL also runs on CockroachDB). Tables `projects` and
 * `api_keys`; keys are stored only as their SHA-256. The schema and operations are
 * {@link SqlProjectStore}'s, in PostgreSQL's dialect.
 */
import { POSTGRES } from '../../sql/dialect.js';
import { postgresExecutor } from '../../sql/executor.js';
import { openMigratedPool, type PostgresStoreOptions } from '../../sql/postgres.js';
import { projectMigrations, PROJECTS_STORE_NAME, SqlProjectStore } from './sql.js';

const MIGRATIONS = projectMigrations(POSTGRES);

/** The projects schema version this code writes. */
export const PROJECTS_POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * @example
 * ```ts
 * const projects = await PostgresProjectStore.open({ connectionString: process.env.DATABASE_URL! });
 * ```
 */
export class PostgresProjectStore extends SqlProjectStore {
  /** Connects and migrates the project tables to the current schema version. */
  static async open(options: PostgresStoreOptions): Promise<PostgresProjectStore> {
    return new PostgresProjectStore(postgresExecutor(await openMigratedPool(options, PROJECTS_STORE_NAME, MIGRATIONS)));
  }
}
