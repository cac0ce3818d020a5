/**
 * CockroachDB's 40003 ("result is ambiguous": the commit may or may not have happened) is never
 * retried blindly: only a body declared idempotent runs again; any other caller gets an
 * AmbiguousCommitError to check. PostgreSQL never reports 40003, so a scripted pool stands in.
 */
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { inTransaction, retryStatement } from '../../src/sql/postgres.js';

const ambiguous = (): Error => Object.assign(new Error('result is ambiguous'), { code: '40003' });
const conflict = (): Error => Object.assign(new Error('restart transaction'), { code: '40001' });

/** A pool whose COMMITs fail with the given errors in turn, then succeed; it records every statement. */
function scriptedPool(commitFailures: Error[]): { pool: pg.Pool; statements: string[] } {
  const statements: string[] = [];
  const client = {
    async query(text: string) {
      statements.push(text);
      if (text === 'COMMIT' && commitFailures.length > 0) throw commitFailures.shift();
      return { rows: [], rowCount: 0 };
    },
    release() {},
  };
  return { pool: { connect: async () => client } as unknown as pg.Pool, statements };
}

describe('ambiguous commits (40003)', () => {
  it('reach a caller that did not declare its body idempotent as AmbiguousCommitError, after one run', async () => {
    const { pool, statements } = scriptedPool([ambiguous()]);
    let runs = 0;
    const outcome = inTransaction(pool, async (client) => {
      runs++;
      await client.query('INSERT INTO things VALUES (1)');
    });
    await expect(outcome).rejects.toMatchObject({ name: 'AmbiguousCommitError', code: 'Unavailable', cause: { code: '40003' } });
    expect(runs).toBe(1);
    expect(statements).toEqual(['BEGIN', 'INSERT INTO things VALUES (1)', 'COMMIT', 'ROLLBACK']);
  });

  it('run an idempotent body again, as a conflict does', async () => {
    const { pool } = scriptedPool([ambiguous(), conflict()]);
    let runs = 0;
    const result = await inTransaction(pool, async () => ++runs, { idempotent: true });
    expect(result).toBe(3);
  });

  it('stop an idempotent body when its attempts run out, still as AmbiguousCommitError', async () => {
    const { pool } = scriptedPool([ambiguous(), ambiguous()]);
    await expect(inTransaction(pool, async () => 1, { idempotent: true, attempts: 2 })).rejects.toMatchObject({ name: 'AmbiguousCommitError' });
  });

  it('apply to single statements the same way', async () => {
    let calls = 0;
    const once = (): Promise<string> => (++calls === 1 ? Promise.reject(ambiguous()) : Promise.resolve('done'));
    await expect(retryStatement(once)).rejects.toMatchObject({ name: 'AmbiguousCommitError' });
    expect(calls).toBe(1);
    calls = 0;
    expect(await retryStatement(once, { idempotent: true })).toBe('done');
    expect(calls).toBe(2);
  });

  it('leave other failures alone: a unique violation is thrown as it came, at once', async () => {
    let calls = 0;
    const duplicate = Object.assign(new Error('duplicate key'), { code: '23505' });
    await expect(retryStatement(() => (calls++, Promise.reject(duplicate)), { idempotent: true })).rejects.toBe(duplicate);
    expect(calls).toBe(1);
  });
});
