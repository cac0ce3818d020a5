/**
 * How the satellite's PostgreSQL stores (overlay, projects, ledger) get their pool, so each opens
 * the same way: from `{ connectionString }`, or from a pool the host owns, `{ pool }`. A store
 * ends only a pool it created itself.
 */
import pg from 'pg';
import { migratePostgres } from './migrations.js';

/** How a PostgreSQL store connects: its own pool from a URL, or a pool the host owns. */
export type PostgresStoreOptions =
  | {
      /** e.g. `postgres://satellite@db/handoff`. */
      readonly connectionString: string;
      /** Connections of the pool this store creates (default 4). */
      readonly maxConnections?: number;
    }
  | {
      /** A pool the host owns (e.g. shared by every store of a satellite); `close()` leaves it open. */
      readonly pool: pg.Pool;
    };

/** @internal An opened pool and whether the store must end it. */
export interface PoolHandle {
  readonly pool: pg.Pool;
  readonly owned: boolean;
}

/** A pool as every handoff store makes one: an idle connection that dies must not crash the host (the next query reports the problem). */
export function createPool(connectionString: string | undefined, maxConnections = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: maxConnections });
  pool.on('error', () => {});
  return pool;
}

/** @internal */
export function openPool(options: PostgresStoreOptions): PoolHandle {
  if ('pool' in options) return { pool: options.pool, owned: false };
  return { pool: createPool(options.connectionString, options.maxConnections), owned: true };
}

/** @internal Opens (see {@link openPool}) and migrates `store`'s tables; ends what it opened if migrating fails. */
export async function openMigratedPool(options: PostgresStoreOptions, store: string, migrations: readonly string[]): Promise<PoolHandle> {
  const handle = openPool(options);
  try {
    await migratePostgres(handle.pool, store, migrations);
    return handle;
  } catch (err) {
    if (handle.owned) await handle.pool.end();
    throw err;
  }
}

// serialization_failure (CockroachDB asks for a retry), deadlock_detected.
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * Runs `body` in one transaction on one connection of `pool`, running it again (up to 5 times)
 * when the database asks for a retry, so `body` must do nothing but its queries.
 */
export async function inTransaction<T>(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      const code = (err as { code?: unknown }).code;
      if (attempt >= 5 || typeof code !== 'string' || !RETRYABLE.has(code)) throw err;
    } finally {
      client.release();
    }
  }
}
