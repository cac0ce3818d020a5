/**
 * How the satellite's PostgreSQL stores (overlay, projects, ledger) get their pool, so each opens
 * the same way: from `{ connectionString }`, or from a pool the host owns, `{ pool }`. A store
 * ends only a pool it created itself.
 */
import pg from 'pg';
import { toHex } from '../core/bytes.js';
import { getCryptoProvider } from '../crypto/select.js';
import { cockroachModePoolConfig, cockroachModeRequested } from './cockroach-mode.js';
import { migratePostgres } from './migrations.js';

export { AmbiguousCommitError, hasSqlState, inTransaction, retryStatement, type TransactionOptions } from './transaction.js';

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

/**
 * A pool as every handoff store makes one: an idle connection that dies must not crash the host
 * (the next query reports the problem). A URL with `handoff_mode=cockroachdb` gets CockroachDB
 * mode (cockroach-mode.ts), PostgreSQL behaving as CockroachDB does, for tests.
 */
export function createPool(connectionString: string | undefined, maxConnections = 4): pg.Pool {
  const mode = connectionString && cockroachModeRequested(connectionString) ? cockroachModePoolConfig(connectionString) : {};
  const pool = new pg.Pool({ connectionString, max: maxConnections, ...mode });
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


/** A database made for one test network, bench or test run; see {@link createScratchDatabase}. */
export interface ScratchDatabase {
  /** Connection URL of the new database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database, ending any connection still open to it; later calls do nothing. */
  drop(): Promise<void>;
}

/**
 * Creates a uniquely named, empty database on the server at `serverUrl`, so concurrent runs
 * never see each other's rows.
 *
 * @example
 * ```ts
 * const db = await createScratchDatabase(process.env.HANDOFF_PG_URL!, 'handoff_test');
 * try { await use(db.url); } finally { await db.drop(); }
 * ```
 */
export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${process.pid}_${toHex(getCryptoProvider().randomBytes(6))}`;
  const admin = async (text: string): Promise<Record<string, unknown>[]> => {
    const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
    client.on('error', () => {}); // reported by the query itself
    await client.connect();
    try {
      return (await client.query(text)).rows;
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  // PostgreSQL drops a database others are connected to only WITH (FORCE); CockroachDB has no
  // such clause and drops it anyway (CASCADE: with whatever tables it holds).
  const drop = async (): Promise<void> => {
    const cockroach = /cockroach/i.test(String((await admin('SELECT version() AS v'))[0]?.v));
    await admin(cockroach ? `DROP DATABASE IF EXISTS ${name} CASCADE` : `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await drop();
    },
  };
}
