/**
 * A store operation written once for both SQL dialects: a plan, a generator that yields
 * statements and receives their results. A SQLite runner drives it synchronously inside one
 * better-sqlite3 transaction; a PostgreSQL runner drives it with awaits inside BEGIN … COMMIT
 * (and retries it from the start on a serialization conflict). So the logic of a multi-statement
 * operation exists once; each store says only how its runner executes one step.
 */
import type { SqlStatement, SqlStep } from './executor.js';

/** A result row as a driver returns it. */
export type SqlRow = Readonly<Record<string, unknown>>;

/** What a plan receives for each step it yields. */
export interface StepResult {
  readonly rows: readonly SqlRow[];
  /** Rows a write changed, or rows a query returned. */
  readonly count: number;
}

/**
 * An operation that yields `Step`s and returns a `T`; a store whose statements carry more than
 * {@link SqlStatement} (a row lock, say) or whose values are narrower names its own `Step`.
 */
export type Plan<T, Step extends SqlStep = SqlStep> = Generator<Step, T, StepResult>;

/**
 * Runs `statement` with `values` from inside a plan. A store with its own `Step` binds it once:
 * `export const exec = sqlExec<Step>;`
 *
 * @example
 * ```ts
 * function* removeExit(id: Buffer): Plan<boolean> {
 *   return (yield* exec(deleteExit, id)).count > 0;
 * }
 * ```
 */
export function* exec<Step extends SqlStep = SqlStep>(
  statement: Step['statement'],
  ...values: Step['values']
): Plan<StepResult, Step> {
  // A Step is a statement and its values; a store's Step narrows their types, adds no field.
  return yield { statement, values } as Step;
}

/**
 * Drives `plan`, executing each step with `execute`, synchronously (for better-sqlite3).
 *
 * @example
 * ```ts
 * const removed = transaction.immediate(() => drivePlan(removeExit(id), execute));
 * ```
 */
export function drivePlan<T, Step extends SqlStep>(plan: Plan<T, Step>, execute: (step: Step) => StepResult): T {
  let next = plan.next();
  while (!next.done) next = plan.next(execute(next.value));
  return next.value;
}

/**
 * Drives `plan` with an asynchronous `execute` (for pg).
 *
 * @example
 * ```ts
 * const removed = await inTransaction(pool, (client) => drivePlanAsync(removeExit(id), (step) => execute(client, step)));
 * ```
 */
export async function drivePlanAsync<T, Step extends SqlStep>(plan: Plan<T, Step>, execute: (step: Step) => Promise<StepResult>): Promise<T> {
  let next = plan.next();
  while (!next.done) next = plan.next(await execute(next.value));
  return next.value;
}
