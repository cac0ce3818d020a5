/**
 * A store operation written once for both SQL dialects: a generator that yields statements and
 * receives their results. The SQLite runner feeds it synchronously inside one better-sqlite3
 * transaction; the PostgreSQL runner feeds it with awaits inside BEGIN … COMMIT (and retries it
 * from the start on a serialization conflict). So the logic of a commit exists once.
 */
import type { Row, SqlValue } from './rows.js';

/**
 * One SQL statement with `$1…$n` placeholders (the SQLite runner rewrites them as named
 * parameters). `lock` adds a row lock in PostgreSQL; SQLite needs none, since its write
 * transactions run one at a time.
 */
export interface Statement {
  /** Unique per text: the prepared-statement name. */
  readonly name: string;
  readonly text: string;
  readonly lock?: 'UPDATE' | 'SHARE' | undefined;
}

export interface Step {
  readonly statement: Statement;
  readonly params: readonly SqlValue[];
}

export interface StepResult {
  readonly rows: readonly Row[];
  /** Rows a write changed (or rows read). */
  readonly count: number;
}

export type Plan<T> = Generator<Step, T, StepResult>;

/** Runs `statement` from inside a plan: `const { rows } = yield* exec(S.getStream, id)`. */
export function* exec(statement: Statement, ...params: SqlValue[]): Generator<Step, StepResult, StepResult> {
  return yield { statement, params };
}

/** Drives `plan`, executing every step with `execute`, synchronously. */
export function drive<T>(plan: Plan<T>, execute: (step: Step) => StepResult): T {
  let next = plan.next();
  while (!next.done) next = plan.next(execute(next.value));
  return next.value;
}

/** Drives `plan` with an asynchronous `execute`. */
export async function driveAsync<T>(plan: Plan<T>, execute: (step: Step) => Promise<StepResult>): Promise<T> {
  let next = plan.next();
  while (!next.done) next = plan.next(await execute(next.value));
  return next.value;
}

/** How a store runs plans: alone (each statement on its own) or as one transaction. */
export interface PlanRunner {
  /** Runs a plan whose steps need no transaction: reads, and single-statement writes. */
  run<T>(plan: () => Plan<T>): Promise<T>;
  /** Runs a plan as one transaction (the factory may be called again to retry it). */
  transact<T>(plan: () => Plan<T>): Promise<T>;
  close(): Promise<void>;
}
