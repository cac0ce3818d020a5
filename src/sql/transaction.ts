/**
 * The one transaction loop every PostgreSQL store uses: BEGIN, the body, COMMIT on one client;
 * on failure ROLLBACK, and run it all again after a short jittered pause while the failure is
 * retryable (by default what PostgreSQL and CockroachDB ask to retry).
 */
import type pg from 'pg';

// serialization_failure (CockroachDB asks for a retry), deadlock_detected.
const SERIALIZATION_FAILURES: ReadonlySet<string> = new Set(['40001', '40P01']);
const DEFAULT_ATTEMPTS = 5;
const MAX_PAUSE_MS = 50;

export interface TransactionOptions {
  /** Whether a failure is worth another attempt (default: serialization failure or deadlock). */
  readonly retryable?: (err: unknown) => boolean;
  /** Attempts in all, the first included (default 5). */
  readonly attempts?: number;
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
  const retryable = options.retryable ?? hasSqlState(SERIALIZATION_FAILURES);
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
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
      if (attempt >= attempts || !retryable(err)) throw err;
    } finally {
      client.release(broken);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(MAX_PAUSE_MS, 2 ** attempt)));
  }
}
