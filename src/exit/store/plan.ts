/**
 * How the SQL exit queue store runs its operations: each multi-statement operation written once
 * as a plan — a generator that yields statements and receives their results — which the SQLite
 * runner drives synchronously inside one better-sqlite3 transaction and the PostgreSQL runner
 * inside BEGIN … COMMIT (retried from the start on a serialization failure, as CockroachDB asks).
 */
import type { SqlDialect } from '../../sql/dialect.js';
import type { SqlStatement, SqlStep } from '../../sql/executor.js';

/** A result row as a driver returns it. */
export type SqlRow = Readonly<Record<string, unknown>>;

export interface PlanStepResult {
  readonly rows: readonly SqlRow[];
  /** Rows a write changed, or rows a query returned. */
  readonly count: number;
}

/** An operation written once for both dialects, one {@link SqlStep} at a time; see the file comment. */
export type Plan<T> = Generator<SqlStep, T, PlanStepResult>;

export function* exec(statement: SqlStatement, values: readonly unknown[]): Generator<SqlStep, PlanStepResult, PlanStepResult> {
  return yield { statement, values };
}

/** What the store asks of its database; `SqliteExitQueueStore` and `PostgresExitQueueStore` provide one. */
export interface ExitSqlRunner {
  readonly dialect: SqlDialect;
  /** One statement on its own. */
  query(statement: SqlStatement, values: readonly unknown[]): Promise<PlanStepResult>;
  /** Runs a plan as one transaction; the factory may be called again to retry it from the start. */
  transact<T>(plan: () => Plan<T>): Promise<T>;
  /** Closes the connection or pool if the store opened it itself. */
  close(): Promise<void>;
}

/** Drives `plan`, executing each step with `execute`, synchronously (for better-sqlite3). */
export function drivePlan<T>(plan: Plan<T>, execute: (step: SqlStep) => PlanStepResult): T {
  let next = plan.next();
  while (!next.done) next = plan.next(execute(next.value));
  return next.value;
}

/** Drives `plan` with an asynchronous `execute` (for pg). */
export async function drivePlanAsync<T>(plan: Plan<T>, execute: (step: SqlStep) => Promise<PlanStepResult>): Promise<T> {
  let next = plan.next();
  while (!next.done) next = plan.next(await execute(next.value));
  return next.value;
}
