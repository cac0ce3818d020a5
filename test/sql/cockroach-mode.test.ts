/**
 * CockroachDB mode (src/sql/cockroach-mode.ts) is the nearest honest substitute for CockroachDB
 * in CI: these tests show the mode really behaves as CockroachDB does where the stores would
 * notice, and that conflicts it provokes (40001) are retried without losing a write, for single
 * statements and whole transactions. Ambiguous commits (40003), which PostgreSQL never reports,
 * are injected into a real pool.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresMetabaseStore } from '../../src/metainfo/metabase/postgres.js';
import { PostgresLedgerStore } from '../../src/orders/ledger/store/postgres.js';
import { COCKROACH_MODE_PARAMETER, serializationFailuresSeen, withCockroachMode } from '../../src/sql/cockroach-mode.js';
import { createPool, inTransaction, retryStatement } from '../../src/sql/postgres.js';
import { at, buckets, commit, pending, segment } from '../../src/testing/metabase-store/fixtures.js';
import { newTask } from '../../src/transfer/lifecycle.js';
import { PostgresTransferTaskStore } from '../../src/transfer/store/postgres.js';
import { describeWith } from '../support/env.js';
import { postgresUnavailable, sql, useTestDatabase } from '../support/postgres.js';

const T0 = 1_700_000_000_000;

/** Rejects with the SQLSTATE it failed with (or 'none'), so expectations read as codes. */
async function sqlState(run: Promise<unknown>): Promise<string> {
  try {
    await run;
    return 'none';
  } catch (err) {
    return String((err as { code?: unknown }).code);
  }
}

/** Resolves once a statement matching `like` waits for a row lock in database `name`. */
async function blockedOnLock(url: string, name: string, like: string): Promise<void> {
  for (;;) {
    const rows = await sql(url, `SELECT 1 FROM pg_stat_activity WHERE datname = '${name}' AND wait_event_type = 'Lock' AND query LIKE '${like}'`);
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeWith('PostgreSQL', postgresUnavailable, 'CockroachDB mode on PostgreSQL', () => {
  const db = useTestDatabase();
  let url: string;
  let pool: pg.Pool;
  beforeAll(async () => {
    url = withCockroachMode(db.url);
    pool = createPool(url, 4);
    await pool.query('CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)');
  });
  afterAll(async () => {
    await pool?.end();
  });
  const name = (): string => new URL(db.url).pathname.slice(1);
  const reset = async (): Promise<void> => {
    await pool.query('DELETE FROM counters');
    await pool.query('INSERT INTO counters VALUES (1, 0)');
  };

  it('runs every transaction SERIALIZABLE and hands every integer back as a string, as CockroachDB does', async () => {
    expect((await pool.query('SHOW transaction_isolation')).rows).toEqual([{ transaction_isolation: 'serializable' }]);
    const { rows } = await pool.query('SELECT 1 AS one, 7::int2 AS small, count(*) AS n, ARRAY[1, 2]::int4[] AS list FROM (VALUES (1)) AS v');
    expect(rows).toEqual([{ one: '1', small: '7', n: '1', list: ['1', '2'] }]);
    // Without the mode, the same server answers as PostgreSQL does.
    const plainUrl = new URL(db.url);
    plainUrl.searchParams.delete(COCKROACH_MODE_PARAMETER);
    const plain = createPool(plainUrl.toString(), 1);
    try {
      expect((await plain.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect((await plain.query('SHOW transaction_isolation')).rows).toEqual([{ transaction_isolation: 'read committed' }]);
    } finally {
      await plain.end();
    }
  });

  it('refuses what CockroachDB lacks: advisory locks, storage parameters, DROP DATABASE … WITH (FORCE), serial columns', async () => {
    expect(await sqlState(pool.query(`SELECT pg_advisory_xact_lock(hashtext('x'))`))).toBe('0A000');
    expect(await sqlState(pool.query('CREATE TABLE packed (id int PRIMARY KEY) WITH (fillfactor = 80)'))).toBe('0A000');
    expect(await sqlState(pool.query('DROP DATABASE IF EXISTS nothing_here WITH (FORCE)'))).toBe('0A000');
    expect(await sqlState(pool.query('CREATE TABLE numbered (id bigserial PRIMARY KEY)'))).toBe('0A000');
    // A column named serial is fine: only the type is refused.
    expect(await sqlState(pool.query('CREATE TABLE serials (serial bytea PRIMARY KEY)'))).toBe('none');
    expect(await sqlState(pool.query(`INSERT INTO serials (serial) VALUES ('\\x01')`))).toBe('none');
    expect(await sqlState(pool.query('SELECT serial FROM serials WHERE serial IS NOT NULL'))).toBe('none');
  });

  it('refuses a write to a table after ADD COLUMN on it in the same transaction, and allows it in the next', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('ALTER TABLE counters ADD COLUMN note text');
      expect(await sqlState(client.query(`UPDATE counters SET note = 'x'`))).toBe('0A000');
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await sqlState(pool.query(`ALTER TABLE counters ADD COLUMN note text; UPDATE counters SET note = 'x'`))).toBe('0A000');
    await pool.query('ALTER TABLE counters ADD COLUMN note text');
    await pool.query(`UPDATE counters SET note = 'x'`);
    await pool.query('ALTER TABLE counters DROP COLUMN note');
  });

  it('drops FOR SHARE, a no-op in CockroachDB under SERIALIZABLE: the row stays writable by others', async () => {
    await reset();
    const reader = await pool.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT n FROM counters WHERE id = 1 FOR SHARE');
      // Were the row share-locked, this would wait out lock_timeout and fail with 55P03.
      expect(await sqlState(sql(db.url, `SET lock_timeout = '5s'; UPDATE counters SET n = 5 WHERE id = 1`))).toBe('none');
      await reader.query('ROLLBACK');
    } finally {
      reader.release();
    }
  });

  it('retries a single statement that lost to a concurrent update (40001), and no increment is lost', async () => {
    await reset();
    const holder = await pool.connect();
    const failures: string[] = [];
    const seenBefore = serializationFailuresSeen();
    try {
      await holder.query('BEGIN');
      await holder.query('UPDATE counters SET n = n + 1 WHERE id = 1');
      const increment = retryStatement(async () => {
        try {
          return await pool.query('UPDATE counters SET n = n + 1 WHERE id = 1 /* lone */');
        } catch (err) {
          failures.push(String((err as { code?: unknown }).code));
          throw err;
        }
      });
      await blockedOnLock(db.url, name(), 'UPDATE counters SET n = n + 1 WHERE id = 1 /* lone */%');
      await holder.query('COMMIT');
      await increment;
    } finally {
      holder.release();
    }
    expect(failures).toEqual(['40001']);
    expect(serializationFailuresSeen() - seenBefore).toBe(1);
    expect((await pool.query('SELECT n FROM counters')).rows).toEqual([{ n: '2' }]);
  });

  it('retries a whole transaction that lost (40001) from its first statement, and no increment is lost', async () => {
    await reset();
    const holder = await pool.connect();
    let runs = 0;
    try {
      await holder.query('BEGIN');
      await holder.query('UPDATE counters SET n = n + 1 WHERE id = 1');
      const readModifyWrite = inTransaction(pool, async (client) => {
        runs++;
        const { rows } = await client.query('SELECT n FROM counters WHERE id = 1');
        await client.query('UPDATE counters SET n = $1 WHERE id = 1 /* read-modify-write */', [Number(rows[0].n) + 1]);
      });
      await blockedOnLock(db.url, name(), 'UPDATE counters SET n = $1 WHERE id = 1 /* read-modify-write */%');
      await holder.query('COMMIT');
      await readModifyWrite;
    } finally {
      holder.release();
    }
    expect(runs).toBe(2);
    expect((await pool.query('SELECT n FROM counters')).rows).toEqual([{ n: '2' }]);
  });

  it('counts every byte once when many settlement batches for one node and hour race', async () => {
    const ledger = await PostgresLedgerStore.open({ connectionString: url, maxConnections: 8 });
    try {
      const nodeId = new Uint8Array(32).fill(3);
      const batches = Array.from({ length: 8 }, (_, b) =>
        Array.from({ length: 5 }, (_, i) => ({
          serialNumber: new Uint8Array(16).fill(b * 5 + i + 1), expiresAt: T0 + 86_400_000, nodeId, action: 'GET' as const, amount: 1000 + b, at: T0,
        })),
      );
      const answers = await Promise.all(batches.map((batch) => ledger.settle(batch)));
      expect(answers.flat().every(Boolean)).toBe(true);
      const total = batches.flat().reduce((sum, o) => sum + o.amount, 0);
      expect(await ledger.bandwidth({ from: T0 - 3_600_000, to: T0 + 3_600_000 })).toEqual([{ nodeId, action: 'GET', bytes: total }]);
    } finally {
      await ledger.close();
    }
  });

  it('gives racing claims of one idempotency key one fingerprint, each claim a lone statement retried', async () => {
    const store = await PostgresTransferTaskStore.open({ connectionString: url, maxConnections: 8 });
    try {
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => store.claimIdempotencyKey('alice', 'race', `fp-${i}`, T0, 0)));
      expect(new Set(answers).size).toBe(1);
      expect(answers[0]).toMatch(/^fp-[0-7]$/);
    } finally {
      await store.close();
    }
  });

  it('never leaves a segment uncounted when it commits while its object does, with FOR SHARE dropped', async () => {
    const metabase = await PostgresMetabaseStore.open({ connectionString: url, maxConnections: 6 });
    try {
      await buckets(metabase, ['photos']);
      for (let round = 0; round < 12; round++) {
        const location = at(`race-${round}`);
        const streamId = await pending(metabase, location);
        await metabase.commitSegment(segment(location, streamId, { part: 0, index: 0 }));
        // The object's commit counts segments; a segment landing after the count would be lost to it.
        const [late, committed] = await Promise.allSettled([
          metabase.commitSegment(segment(location, streamId, { part: 0, index: 1 })),
          metabase.commitObject(commit(location, streamId)),
        ]);
        if (committed.status === 'rejected') throw committed.reason;
        const stored = await metabase.listSegments(streamId, { limit: 10 });
        expect(committed.value.segmentCount).toBe(stored.length);
        expect(stored.length).toBe(late.status === 'fulfilled' ? 2 : 1);
      }
    } finally {
      await metabase.close();
    }
  });

  it('after an ambiguous commit (40003), an update that did commit is found applied and one that did not is reported lost', async () => {
    const host = createPool(url, 2);
    const realQuery = host.query.bind(host) as (config: pg.QueryConfig) => Promise<pg.QueryResult>;
    let inject: 'committed' | 'lost' | undefined;
    // The connection "breaks" around COMMIT of the next bulk update: after it ran, or before.
    host.query = (async (config: pg.QueryConfig) => {
      const injecting = inject !== undefined && typeof config === 'object' && config.name === 'transfer_task_update_many';
      if (!injecting) return realQuery(config);
      const happened = inject === 'committed';
      inject = undefined;
      if (happened) await realQuery(config);
      throw Object.assign(new Error('result is ambiguous'), { code: '40003' });
    }) as unknown as typeof host.query;
    const store = await PostgresTransferTaskStore.open({ pool: host });
    try {
      const task = await store.insert(newTask({
        initiatedBy: 'alice', sourceProvider: 'hippo', sourcePath: `/1/ambiguous-${Date.now()}`, destinationProvider: 'aau',
        destinationPath: '/2/in', idempotencyKey: null, requestIndex: null,
      }, T0));
      const running = { ...task, state: 'RUNNING' as const, lastUpdate: T0 + 1000, revision: task.revision + 1 };
      inject = 'committed';
      await store.update({ task: running, expectedRevision: task.revision });
      expect(await store.get(task.id)).toEqual(running);

      const paused = { ...running, state: 'PAUSED' as const, lastUpdate: T0 + 2000, revision: running.revision + 1 };
      inject = 'lost';
      expect(await store.updateMany([{ task: paused, expectedRevision: running.revision }])).toEqual([false]);
      expect(await store.get(task.id)).toEqual(running);
    } finally {
      await store.close();
      await host.end();
    }
  });
});
