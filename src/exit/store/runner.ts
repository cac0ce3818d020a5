/**
 * What the SQL exit queue store asks of its database. Each multi-statement operation is a plan
 * (sql/plan.ts) that the SQLite runner drives synchronously inside one better-sqlite3
 * transaction and the PostgreSQL runner inside BEGIN … COMMIT (retried from the start on a
 * serialization failure, as CockroachDB asks).
 */
import type { SqlDialect } from '../../sql/dialect.js';
import type { SqlStatement } from '../../sql/executor.js';
import type { Plan, StepResult } from '../../sql/plan.js';

/** See the file comment; `SqliteExitQueueStore` and `PostgresExitQueueStore` provide one. */
export interface ExitSqlRunner {
  readonly dialect: SqlDialect;
  /** One statement on its own. */
  query(statement: SqlStatement, values: readonly unknown[]): Promise<StepResult>;
  /** Runs a plan as one transaction; the factory may be called again to retry it from the start. */
  transact<T>(plan: () => Plan<T>): Promise<T>;
  /** Closes the connection or pool if the store opened it itself. */
  close(): Promise<void>;
}
