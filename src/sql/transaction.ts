/**
 * The one transaction loop every PostgreSQL store uses: BEGIN, the body, COMMIT on one client;
 * on failure ROLLBACK, and run it all again after a short jittered pause while the failure is
 * retryable (by default what PostgreSQL and CockroachDB ask to retry). Single statements (an
 * implicit transaction each) get the same retries from {@link retryStatement}: under
 * SERIALIZABLE, CockroachDB's only isolation, a lone UPDATE can lose to a concurrent one too.
 *
 * An ambiguous commit (CockroachDB's 40003: the connection broke while COMMIT was in flight, so
 * it may or may not have happened) is never retried blindly: re-running a write that did commit
 * would apply it twice. A caller whose body is idempotent says so and gets the retry; any other
 * gets an {@link AmbiguousCommitError} to check and decide (docs/scaling.md, "CockroachDB").
 */
import type pg from 'pg';
import { HandoffError, type HandoffErrorOptions } from '../core/errors.js';

/** serialization_failure (CockroachDB reports every transaction conflict so), deadlock_detected. */
export const SERIALIZATION_FAILURES: ReadonlySet<string> = new Set(['40001', '40P01']);
/** statement_completion_unknown: CockroachDB cannot tell whether the commit happened. */
export const AMBIGUOUS_COMMIT = '40003';
// A row many writers want under SERIALIZABLE: each round has one winner and the others start
// over, so a writer may lose many rounds in a row; full-jitter exponential backoff spreads them.
const DEFAULT_ATTEMPTS = 20;
const MAX_PAUSE_MS = 100;

/**
 * A write whose commit may or may not have happened (SQLSTATE 40003): read back before trying
 * again. Retryable in the `Unavailable` sense, not blindly.
 */
export class AmbiguousCommitError extends HandoffError {
  declare readonly code: 'Unavailable';
  constructor(message: string, options?: HandoffErrorOptions) {
    super('Unavailable', message, options);
    this.name = 'AmbiguousCommitError';
  }
}

export interface TransactionOptions {
  /** Whether a failure is worth another attempt (default: serialization failure or deadlock). */
  readonly retryable?: (err: unknown) => boolean;
  /** Attempts in all, the first included (default 20). */
  readonly attempts?: number;
  /**
   * The body may run again after it committed without changing the outcome (it re-reads what
   * it depends on, or its writes are upserts guarded by what they write), so an ambiguous commit
   * is retried like a conflict. Default false: an ambiguous commit throws {@link AmbiguousCommitError}.
   */
  readonly idempotent?: boolean;
}

/**
 * A test for errors whose SQLSTATE is one of `codes`.
 *
 * @example
 * ```ts
 * await inTransaction(pool, body, { retryable: hasSqlState(new Set(['23505', '40001'])) });
 * ```
 */
export function hasSqlState(codes: ReadonlySet<string>): (err: unknown) => boolean {
  return (err) => {
    const code = (err as { code?: unknown } | null)?.code;
    return typeof code === 'string' && codes.has(code);
  };
}

const isAmbiguous = hasSqlState(new Set([AMBIGUOUS_COMMIT]));
const isSerializationFailure = hasSqlState(SERIALIZATION_FAILURES);

/** Whether attempt `attempt` (1-based) that failed with `err` is followed by another; throws what the caller should see otherwise. */
function decide(err: unknown, attempt: number, options: TransactionOptions, retryable: (err: unknown) => boolean): void {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  if (isAmbiguous(err)) {
    if (options.idempotent && attempt < attempts) return;
    throw new AmbiguousCommitError('the database could not tell whether the write committed (40003); read it back before retrying', { cause: err });
  }
  if (attempt >= attempts || !retryable(err)) throw err;
}

function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(MAX_PAUSE_MS, 2 ** attempt)));
}

/**
 * Runs `body` in one transaction on one connection of `pool`, again when a failure is
 * retryable, so `body` must do nothing but its queries. A client whose ROLLBACK failed is in an
 * unknown state and goes back to the pool to be discarded.
 *
 * @example
 * ```ts
 * const id = await inTransaction(pool, async (client) => (await client.query('INSERT ... RETURNING id')).rows[0].id);
 * ```
 */
export async function inTransaction<T>(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const retryable = options.retryable ?? isSerializationFailure;
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      decide(err, attempt, options, retryable);
    } finally {
      client.release(broken);
    }
    await pause(attempt);
  }
}

/**
 * Runs one statement (`run`), again after a serialization failure or deadlock: a statement
 * outside BEGIN is a transaction of its own, rolled back whole when it fails, so running it
 * again is safe. An ambiguous commit is handled as {@link inTransaction} does.
 *
 * @example
 * ```ts
 * const { rowCount } = await retryStatement(() => pool.query('UPDATE counters SET n = n + 1 WHERE id = $1', [id]));
 * ```
 */
export async function retryStatement<T>(run: () => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const retryable = options.retryable ?? isSerializationFailure;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      decide(err, attempt, options, retryable);
    }
    await pause(attempt);
  }
}
