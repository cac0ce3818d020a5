/**
 * The PostgreSQL metabase (pg), whose SQL also runs on CockroachDB: no functions, no advisory
 * locks, no sequences — transactions, row locks, `ON CONFLICT` and compare-and-swap updates.
 * Tables are `metabase_*` in the connection's schema; migrations run on open.
 */
import pg from 'pg';
import { FailedPreconditionError } from '../../core/errors.js';
import { PostgresRunner, withTransaction } from './sql/postgres-runner.js';
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

/** Codes a migrator that lost a race to another one sees; it retries and finds the work done. */
const MIGRATION_RACE = new Set(['23505', '42P07', '42710', '40001', '40P01']);

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

async function migrate(pool: pg.Pool): Promise<void> {
  await withTransaction(
    pool,
    async (client) => {
      await client.query('CREATE TABLE IF NOT EXISTS metabase_migrations (version INT PRIMARY KEY)');
      const { rows } = await client.query<{ version: number }>('SELECT COALESCE(MAX(version), 0)::INT AS version FROM metabase_migrations');
      const version = rows[0]?.version ?? 0;
      if (version > MIGRATIONS.length) {
        throw new FailedPreconditionError(`metabase has schema version ${version}, newer than this code (${MIGRATIONS.length})`);
      }
      for (let next = version; next < MIGRATIONS.length; next++) {
        await client.query(MIGRATIONS[next]!);
        // A second migrator that got this far too fails here on the primary key, and retries.
        await client.query('INSERT INTO metabase_migrations (version) VALUES ($1)', [next + 1]);
      }
    },
    (err) => MIGRATION_RACE.has((err as { code?: string }).code ?? ''),
  );
}
