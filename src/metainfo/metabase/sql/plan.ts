/**
 * The metabase's plans (the shared machinery is in sql/plan.ts): its statements may ask for a
 * row lock and its values are the few kinds {@link SqlValue} allows. The SQLite runner feeds a
 * plan synchronously inside one better-sqlite3 transaction; the PostgreSQL runner with awaits
 * inside BEGIN … COMMIT, retried from the start on a serialization conflict.
 */
import type { SqlStatement, SqlStep } from '../../../sql/executor.js';
import { exec as sqlExec, type Plan as SqlPlan } from '../../../sql/plan.js';
import type { SqlValue } from './rows.js';

/**
 * One SQL statement with `$1…$n` placeholders (the SQLite runner rewrites them as named
 * parameters). `lock` adds a row lock in PostgreSQL; SQLite needs none, since its write
 * transactions run one at a time.
 */
export interface Statement extends SqlStatement {
  readonly lock?: 'UPDATE' | 'SHARE' | undefined;
}

export type Step = SqlStep<Statement, SqlValue>;

export type Plan<T> = SqlPlan<T, Step>;

/** Runs `statement` from inside a plan: `const { rows } = yield* exec(S.getStream, id)`. */
export const exec = sqlExec<Step>;

/** How a store runs plans: alone (each statement on its own) or as one transaction. */
export interface PlanRunner {
  /** Runs a plan whose steps need no transaction: reads, and single-statement writes. */
  run<T>(plan: () => Plan<T>): Promise<T>;
  /** Runs a plan as one transaction (the factory may be called again to retry it). */
  transact<T>(plan: () => Plan<T>): Promise<T>;
  close(): Promise<void>;
}
