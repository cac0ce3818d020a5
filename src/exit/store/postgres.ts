/**
 * The PostgreSQL exit queue store (pg): the satellite's exits and transfer queues at scale, in
 * tables `exit_nodes` and `exit_queue` that can share a database with the satellite's other
 * stores. The SQL is plain enough for CockroachDB: upserts, `unnest` batches, `SELECT … FOR
 * UPDATE`, compare-and-swap updates; no PL/pgSQL, no advisory locks. The operations are
 * {@link SqlExitQueueStore}'s; this file runs them, each plan in one transaction retried from
 * the start on a serialization failure or deadlock.
 *
 * Finishing an exit deletes what is left of its queue in the same transaction as the
 * compare-and-swap: one large transaction when a big exit fails early, but never a finished exit
 * with rows still queued.
 */
import type pg from 'pg';
import { POSTGRES } from '../../sql/dialect.js';
import type { SqlStatement, SqlStep } from '../../sql/executor.js';
import { inTransaction, openMigratedPool, retryStatement, type PoolHandle, type PostgresStoreOptions } from '../../sql/postgres.js';
import { drivePlanAsync, type Plan, type SqlRow, type StepResult } from '../../sql/plan.js';
import type { ExitSqlRunner } from './runner.js';
import { EXIT_QUEUE_STORE_NAME, exitQueueMigrations } from './schema.js';
import { SqlExitQueueStore } from './sql.js';

const MIGRATIONS = exitQueueMigrations(POSTGRES);

/** The exit queue schema version this code writes. */
export const EXIT_QUEUE_POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

async function execute(client: pg.Pool | pg.PoolClient, { statement, values }: SqlStep): Promise<StepResult> {
  const result = await client.query({ name: statement.name, text: statement.text, values: [...values] });
  return { rows: result.rows as SqlRow[], count: result.rowCount ?? result.rows.length };
}

function postgresRunner({ pool, owned }: PoolHandle): ExitSqlRunner {
  return {
    dialect: POSTGRES,
    // A statement alone is a transaction of its own: run again after a serialization failure.
    query: (statement: SqlStatement, values: readonly unknown[]) => retryStatement(() => execute(pool, { statement, values })),
    transact: <T>(plan: () => Plan<T>) => inTransaction(pool, (client) => drivePlanAsync(plan(), (step) => execute(client, step))),
    close: async () => {
      if (owned && !pool.ended) await pool.end();
    },
  };
}

/**
 * @example
 * ```ts
 * const exits = await PostgresExitQueueStore.open({ connectionString: process.env.DATABASE_URL! });
 * const next = await exits.nextItems(nodeId, 10, inFlight);
 * ```
 */
export class PostgresExitQueueStore extends SqlExitQueueStore {
  /**
   * Connects — its own pool from `{ connectionString }`, or a pool the host owns, `{ pool }`,
   * which `close()` leaves open — and migrates the exit tables to the current schema version.
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresExitQueueStore> {
    return new PostgresExitQueueStore(postgresRunner(await openMigratedPool(options, EXIT_QUEUE_STORE_NAME, MIGRATIONS)));
  }
}
