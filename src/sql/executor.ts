/**
 * The few things a satellite store asks of its database, over better-sqlite3 and over pg, so a
 * store's operations are written once (the same pattern as the metabase's plan runners, for
 * stores whose operations are single statements). Statements carry `$1…$n` placeholders:
 * PostgreSQL binds them by position, better-sqlite3 as the named parameters `1…n`.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { POSTGRES, SQLITE, type SqlDialect } from './dialect.js';
// transaction.ts, not postgres.js: the executor serves SQLite stores too, which must not load pg.
import type { PoolHandle } from './postgres.js';
import { inTransaction, retryStatement } from './transaction.js';
import type { SqliteHandle } from './sqlite.js';

/** One statement; `name` is unique per text across every store sharing a connection (PostgreSQL prepares it under that name). */
export interface SqlStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * A statement with its parameter values, as a transaction or a plan (plan.ts) runs it; a store
 * may narrow the statement (the metabase's carries a row lock) or the values.
 */
export interface SqlStep<Statement extends SqlStatement = SqlStatement, Value = unknown> {
  readonly statement: Statement;
  readonly values: readonly Value[];
}

/** See the file comment. */
export interface SqlExecutor {
  readonly dialect: SqlDialect;
  /** The rows `statement` returns (a query, or a write with RETURNING). */
  rows<R>(statement: SqlStatement, values: readonly unknown[]): Promise<R[]>;
  /** Runs a write; resolves with how many rows it changed. */
  run(statement: SqlStatement, values: readonly unknown[]): Promise<number>;
  /**
   * Runs writes in order as one transaction: all of them happen or none. Resolves with the rows
   * the last step returns (a write with RETURNING), so a caller need not read them again.
   */
  transaction<R = unknown>(steps: readonly SqlStep[]): Promise<R[]>;
  /** Closes the connection or pool if the store opened it itself; leaves one the host owns open. */
  close(): Promise<void>;
}

/** `$1…$n` values as better-sqlite3's named parameters. */
export function numbered(values: readonly unknown[]): Record<number, unknown> {
  const params: Record<number, unknown> = {};
  values.forEach((value, i) => (params[i + 1] = value));
  return params;
}

/**
 * @example
 * ```ts
 * const executor = sqliteExecutor(openMigratedSqlite({ path }, 'overlay', MIGRATIONS));
 * const rows = await executor.rows(getNode, [bufferOf(id)]);
 * ```
 */
export function sqliteExecutor({ db, owned }: SqliteHandle): SqlExecutor {
  const prepared = new Map<string, Database.Statement>();
  const prepare = (statement: SqlStatement): Database.Statement => {
    let compiled = prepared.get(statement.name);
    if (!compiled) prepared.set(statement.name, (compiled = db.prepare(statement.text)));
    return compiled;
  };
  const transaction = db.transaction((steps: readonly SqlStep[]): unknown[] => {
    let rows: unknown[] = [];
    for (const step of steps) {
      const compiled = prepare(step.statement);
      const params = numbered(step.values);
      // all() only where there are rows to return (a query or RETURNING); it refuses any other statement.
      rows = compiled.reader ? compiled.all(params) : (compiled.run(params), []);
    }
    return rows;
  });
  return {
    dialect: SQLITE,
    rows: async <R>(statement: SqlStatement, values: readonly unknown[]) => prepare(statement).all(numbered(values)) as R[],
    run: async (statement, values) => prepare(statement).run(numbered(values)).changes,
    transaction: async <R>(steps: readonly SqlStep[]) => transaction(steps) as R[],
    close: async () => {
      if (owned && db.open) db.close();
    },
  };
}

/**
 * @example
 * ```ts
 * const executor = postgresExecutor(await openMigratedPool({ connectionString }, 'overlay', MIGRATIONS));
 * const rows = await executor.rows(getNode, [bufferOf(id)]);
 * ```
 */
export function postgresExecutor({ pool, owned }: PoolHandle): SqlExecutor {
  const query = (client: pg.Pool | pg.PoolClient, statement: SqlStatement, values: readonly unknown[]) =>
    client.query({ name: statement.name, text: statement.text, values: [...values] });
  // A statement alone is a transaction of its own: run again after a serialization failure.
  const alone = (statement: SqlStatement, values: readonly unknown[]) => retryStatement(() => query(pool, statement, values));
  return {
    dialect: POSTGRES,
    rows: async <R>(statement: SqlStatement, values: readonly unknown[]) => (await alone(statement, values)).rows as R[],
    run: async (statement, values) => (await alone(statement, values)).rowCount ?? 0,
    transaction: <R>(steps: readonly SqlStep[]) =>
      inTransaction(pool, async (client) => {
        let rows: R[] = [];
        for (const step of steps) rows = (await query(client, step.statement, step.values)).rows as R[];
        return rows;
      }),
    close: async () => {
      if (owned && !pool.ended) await pool.end();
    },
  };
}

/**
 * A statement whose text may be laid out over several lines for reading; it runs as one line.
 *
 * @example
 * ```ts
 * const get = sqlStatement('overlay_get', 'SELECT * FROM overlay_nodes WHERE id = $1');
 * ```
 */
export function sqlStatement(name: string, text: string): SqlStatement {
  return { name, text: text.replace(/\s+/g, ' ').trim() };
}
