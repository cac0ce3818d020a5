/**
 * The PostgreSQL metabase (pg), whose SQL also runs on CockroachDB: no functions, no advisory
 * locks, no sequences — transactions, row locks, `ON CONFLICT` and compare-and-swap updates.
 * Tables are `metabase_*` in the connection's schema; migrations run on open, recorded in
 * `handoff_schema_versions` as every store's are.
 */
import pg from 'pg';
import { migratePostgres, type LegacyVersions } from '../../sql/migrations.js';
import { PostgresRunner, toPostgresError } from './sql/postgres-runner.js';
import { migrations } from './sql/schema.js';
import { SqlMetabaseStore } from './sql/store.js';
import { createPool } from '../../sql/postgres.js';

const MIGRATIONS = migrations('postgres');

/** The schema version this code writes. */
export const POSTGRES_METABASE_SCHEMA_VERSION = MIGRATIONS.length;

/** How the PostgreSQL metabase connects: its own pool from a URL, or a pool the host owns. */
export type PostgresMetabaseStoreOptions =
  | {
      /** e.g. `postgres://satellite@db/satellite`. */
      readonly connectionString: string;
      /** Connections of the pool this store creates (default 8). */
      readonly maxConnections?: number | undefined;
    }
  | {
      /** A pool the host owns; `close()` leaves it open. */
      readonly pool: pg.Pool;
    };

/**
 * @example
 * ```ts
 * const store = await PostgresMetabaseStore.open({ connectionString: process.env.DATABASE_URL! });
 * const object = await store.getObject({ projectId, bucket: 'photos', objectKey });
 * await store.close();
 * ```
 */
export class PostgresMetabaseStore extends SqlMetabaseStore {
  private constructor(runner: PostgresRunner) {
    super(runner, 'postgres');
  }

  /** Connects and migrates the metabase tables to the current schema version. */
  static async open(options: PostgresMetabaseStoreOptions): Promise<PostgresMetabaseStore> {
    const ownsPool = !('pool' in options);
    const pool = 'pool' in options ? options.pool : createPool(options.connectionString, options.maxConnections ?? 8);
    try {
      await migrate(pool);
    } catch (err) {
      if (ownsPool) await pool.end();
      throw err;
    }
    return new PostgresMetabaseStore(new PostgresRunner(pool, ownsPool));
  }
}

/** The metabase's row in `handoff_schema_versions`, like every other store's. */
export const METABASE_STORE_NAME = 'metabase';

/** Before `handoff_schema_versions`, the metabase kept one row per version in `metabase_migrations`; same step numbers. */
const LEGACY: LegacyVersions = { table: 'metabase_migrations', adopt: (version) => version };

async function migrate(pool: pg.Pool): Promise<void> {
  try {
    await migratePostgres(pool, METABASE_STORE_NAME, MIGRATIONS, LEGACY);
  } catch (err) {
    throw toPostgresError(err);
  }
}
