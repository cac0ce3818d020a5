/**
 * The SQLite exit queue store (better-sqlite3): the embedded satellite's exits and transfer
 * queues, in tables `exit_nodes` and `exit_queue` that can share a file with the satellite's
 * other stores. The operations are {@link SqlExitQueueStore}'s; this file runs them — every plan
 * synchronously inside one IMMEDIATE transaction, so nothing else on the connection can come
 * between its statements.
 */
import type Database from 'better-sqlite3';
import { SQLITE } from '../../sql/dialect.js';
import { numbered, type SqlStatement, type SqlStep } from '../../sql/executor.js';
import { openMigratedSqlite, type SqliteHandle, type SqliteStoreOptions } from '../../sql/sqlite.js';
import { drivePlan, type Plan, type SqlRow, type StepResult } from '../../sql/plan.js';
import type { ExitSqlRunner } from './runner.js';
import { EXIT_QUEUE_STORE_NAME, exitQueueMigrations } from './schema.js';
import { SqlExitQueueStore } from './sql.js';

const MIGRATIONS = exitQueueMigrations(SQLITE);

/** The exit queue schema version this code writes. */
export const EXIT_QUEUE_SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

function sqliteRunner({ db, owned }: SqliteHandle): ExitSqlRunner {
  const prepared = new Map<string, Database.Statement>();
  const execute = ({ statement, values }: SqlStep): StepResult => {
    let compiled = prepared.get(statement.name);
    if (!compiled) prepared.set(statement.name, (compiled = db.prepare(statement.text)));
    if (compiled.reader) {
      const rows = compiled.all(numbered(values)) as SqlRow[];
      return { rows, count: rows.length };
    }
    return { rows: [], count: compiled.run(numbered(values)).changes };
  };
  const transaction = db.transaction((run: () => unknown) => run());
  return {
    dialect: SQLITE,
    query: async (statement: SqlStatement, values: readonly unknown[]) => execute({ statement, values }),
    transact: async <T>(plan: () => Plan<T>) => transaction.immediate(() => drivePlan(plan(), execute)) as T,
    close: async () => {
      if (owned && db.open) db.close();
    },
  };
}

/**
 * @example
 * ```ts
 * const exits = await SqliteExitQueueStore.open({ path: '/var/lib/satellite/satellite.db' });
 * const { record, created } = await exits.startExit(nodeId, Date.now());
 * ```
 */
export class SqliteExitQueueStore extends SqlExitQueueStore {
  /**
   * Opens (creating if needed) the database — its own connection to `{ path }`, or a connection
   * the host owns, `{ database }`, which `close()` leaves open — and migrates the exit tables.
   */
  static async open(options: SqliteStoreOptions): Promise<SqliteExitQueueStore> {
    return new SqliteExitQueueStore(sqliteRunner(openMigratedSqlite(options, EXIT_QUEUE_STORE_NAME, MIGRATIONS)));
  }
}
