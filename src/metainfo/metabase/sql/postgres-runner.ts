/**
 * Runs metabase plans on a pg pool: alone on the pool, or inside BEGIN … COMMIT on one client,
 * retried from the start on a serialization failure or deadlock (CockroachDB reports every
 * transaction conflict as 40001) and when two commits raced for the same version number.
 * Migrations use no advisory lock (CockroachDB has none): a migrator that loses a race fails on a
 * duplicate object, rolls back and retries, and then finds the work done.
 */
import pg from 'pg';
import {
  AbortedError, AlreadyExistsError, FailedPreconditionError, InternalError, isHandoffError, UnavailableError, type HandoffError,
} from '../../../core/errors.js';
import { drivePlanAsync, type StepResult } from '../../../sql/plan.js';
import { inTransaction, retryStatement } from '../../../sql/transaction.js';
import type { Plan, PlanRunner, Step } from './plan.js';
import { COMMITTED_VERSION_INDEX } from './statements.js';

/** Racing commits to one key each lose at most once per winner, so allow many rounds. */
const MAX_ATTEMPTS = 32;

interface PgError {
  readonly code?: string;
  readonly constraint?: string;
}

const pgError = (err: unknown): PgError => (typeof err === 'object' && err !== null ? (err as PgError) : {});

/** A conflict that retrying the whole transaction resolves. */
function isRetryable(err: unknown): boolean {
  const { code, constraint } = pgError(err);
  return code === '40001' || code === '40P01' || (code === '23505' && constraint === COMMITTED_VERSION_INDEX);
}

/** A typed error for `err`: handoff errors pass through; PostgreSQL failures are mapped. */
export function toPostgresError(err: unknown): HandoffError {
  if (isHandoffError(err)) return err;
  const { code } = pgError(err);
  const message = (err as Error)?.message ?? String(err);
  if (code === '23505') return new AlreadyExistsError('metabase row already exists', { cause: err });
  if (code === '23503') return new FailedPreconditionError('metabase row refers to a missing or still referenced row', { cause: err });
  if (code === '40001' || code === '40P01') return new AbortedError('metabase transaction kept conflicting; retry', { cause: err });
  if (code?.startsWith('08') || code?.startsWith('57P') || /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated/i.test(message)) {
    return new UnavailableError(`metabase database unavailable: ${message}`, { cause: err });
  }
  return new InternalError(`metabase database failed: ${message}`, { cause: err });
}

async function execute(client: pg.Pool | pg.PoolClient, step: Step): Promise<StepResult> {
  const { statement } = step;
  const result = await client.query({
    name: statement.name,
    text: statement.lock ? `${statement.text} FOR ${statement.lock}` : statement.text,
    values: [...step.values],
  });
  return { rows: result.rows as StepResult['rows'], count: result.rowCount ?? result.rows.length };
}

export class PostgresRunner implements PlanRunner {
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;

  constructor(pool: pg.Pool, ownsPool: boolean) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
  }

  async run<T>(plan: () => Plan<T>): Promise<T> {
    try {
      // Each statement alone is a transaction of its own: run again after a serialization failure.
      return await drivePlanAsync(plan(), (step) => retryStatement(() => execute(this.#pool, step)));
    } catch (err) {
      throw toPostgresError(err);
    }
  }

  async transact<T>(plan: () => Plan<T>): Promise<T> {
    return withTransaction(this.#pool, (client) => drivePlanAsync(plan(), (step) => execute(client, step)), isRetryable);
  }

  async close(): Promise<void> {
    if (this.#ownsPool && !this.#pool.ended) await this.#pool.end();
  }
}

/** Runs `body` in a transaction on one client, retrying it while `retry` says so; errors come out as handoff errors. */
export function withTransaction<T>(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<T>, retry: (err: unknown) => boolean): Promise<T> {
  return inTransaction(pool, body, { retryable: retry, attempts: MAX_ATTEMPTS }).catch((err: unknown) => {
    throw toPostgresError(err);
  });
}
