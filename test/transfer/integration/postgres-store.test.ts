import fc from 'fast-check';
import { expect, it } from 'vitest';
import { integrationStoreSuite } from '../../../src/testing/integration-store-suite.js';
import { outgoingTaskFor } from '../../../src/transfer/integration/forwarded-task.js';
import { INTEGRATION_SCHEMA_VERSION, PostgresIntegrationStore } from '../../../src/transfer/integration/postgres-store.js';
import { createPool } from '../../../src/sql/postgres.js';
import { SqliteIntegrationStore } from '../../../src/transfer/integration/sqlite-store.js';
import type { IntegrationStore } from '../../../src/transfer/integration/store.js';
import type { TaskState, TransferTaskUpdate } from '../../../src/transfer/types.js';
import { describeWith } from '../../support/env.js';
import { postgresUnavailable, sql, useTestDatabase } from '../../support/postgres.js';

/** A different provider id per opened store: rows of one test never reach the next (the tables are shared). */
let providers = 0;

describeWith('PostgreSQL', postgresUnavailable, 'PostgreSQL integration store', () => {
  const db = useTestDatabase();
  const owner = new WeakMap<IntegrationStore, string>();

  integrationStoreSuite({
    name: 'PostgreSQL',
    async open() {
      const providerId = `p${++providers}`;
      const store = await PostgresIntegrationStore.open({ connectionString: db.url, providerId });
      owner.set(store, providerId);
      return store;
    },
    async reopen(store) {
      const providerId = owner.get(store)!;
      await store.close();
      const again = await PostgresIntegrationStore.open({ connectionString: db.url, providerId });
      owner.set(again, providerId);
      return again;
    },
  });

  const task = (taskId: number) =>
    outgoingTaskFor(
      { taskId, sourcePath: `/u/run-${taskId}`, destinationProvider: 'b', destinationPath: '/inbox' },
      { providerId: 'a', pluginType: 'builtin', resolveSource: (p) => p, verifyChecksums: false, now: 1 },
    );

  it('migrates once in handoff_schema_versions even when opened concurrently, and keeps providers apart in one database', async () => {
    const [a, b, c] = await Promise.all(['a', 'b', 'a'].map((providerId) => PostgresIntegrationStore.open({ connectionString: db.url, providerId })));
    await c!.close();
    a!.insertOutgoing(task(1), { taskId: 1, newState: 'RUNNING' });
    b!.insertOutgoing({ ...task(1), sourcePath: '/b/own' }, null);
    b!.putIncoming({ taskId: 1, sourceProvider: 'a', destinationPath: '/inbox', entryName: null, pluginType: 'builtin', createdAt: 1, releasedAt: null });
    await Promise.all([a!.close(), b!.close()]);
    const rows = await sql(db.url, `SELECT version FROM handoff_schema_versions WHERE store = 'provider_integration'`);
    expect(rows).toEqual([{ version: INTEGRATION_SCHEMA_VERSION }]);
    const a2 = await PostgresIntegrationStore.open({ connectionString: db.url, providerId: 'a' });
    const b2 = await PostgresIntegrationStore.open({ connectionString: db.url, providerId: 'b' });
    try {
      expect(a2.getOutgoing(1)?.sourcePath).toBe('/u/run-1');
      expect(b2.getOutgoing(1)?.sourcePath).toBe('/b/own');
      expect(a2.pendingUpdates(10).map((p) => p.update)).toEqual([{ taskId: 1, newState: 'RUNNING' }]);
      expect(b2.pendingUpdates(10)).toEqual([]);
      expect(a2.getIncoming(1)).toBeUndefined();
      expect(b2.getIncoming(1)?.sourceProvider).toBe('a');
    } finally {
      await Promise.all([a2.close(), b2.close()]);
    }
  });

  it('stops, instead of looping or losing track, when a write can never succeed', async () => {
    const errors: string[] = [];
    const store = await PostgresIntegrationStore.open({ connectionString: db.url, providerId: `p${++providers}`, onError: (_e, context) => errors.push(context) });
    store.insertOutgoing({ ...task(1), progress: 101 }, null); // the table's CHECK refuses it
    await expect(store.flush()).rejects.toMatchObject({ name: 'InternalError' });
    expect(() => store.getOutgoing(1)).toThrow(/stopped after a write failed/);
    expect(errors).toEqual([expect.stringMatching(/cannot succeed/)]);
    await store.close();
  });

  it('runs a batch again after the connection failed, in order, and reports the retries', async () => {
    const errors: string[] = [];
    const providerId = `p${++providers}`;
    const pool = createPool(db.url);
    try {
      const store = await PostgresIntegrationStore.open({ pool, providerId, onError: (_e, context) => errors.push(context) });
      // The next two connections fail as a dropped server's would; the third goes through.
      let failing = 2;
      const connect = pool.connect.bind(pool);
      Object.assign(pool, { connect: async () => (failing-- > 0 ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) : connect()) });
      store.insertOutgoing(task(1), { taskId: 1, newState: 'RUNNING' });
      store.saveOutgoing({ ...task(1), state: 'RUNNING', pid: 77 }, { taskId: 1, newProgress: 5 }, 0);
      store.acknowledgeUpdates(store.pendingUpdates(1)[0]!.seq);
      await store.flush();
      expect(errors).toEqual([expect.stringMatching(/failed; retrying/), expect.stringMatching(/failed; retrying/)]);
      await store.close();
      const again = await PostgresIntegrationStore.open({ connectionString: db.url, providerId });
      expect(again.getOutgoing(1)).toMatchObject({ state: 'RUNNING', pid: 77 });
      expect(again.pendingUpdates(10)).toEqual([]);
      await again.close();
    } finally {
      await pool.end();
    }
  });

  // The write-behind image must agree with SQLite, whose writes are synchronous, on every
  // sequence of calls the module can make, and a reopen must read back exactly that image.
  it('agrees with the SQLite store, before and after a reopen, on any sequence of calls', async () => {
    const state = fc.constantFrom<TaskState>('INITIATED', 'RUNNING', 'PAUSED', 'SUCCESS', 'FAILURE', 'HALTED');
    const update = fc.record({ taskId: fc.integer({ min: 1, max: 3 }), newState: fc.option(state, { nil: undefined }), newProgress: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: undefined }), newStatus: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }) }, { requiredKeys: ['taskId'] });
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), id: fc.integer({ min: 1, max: 3 }), update: fc.option(update, { nil: null }) }),
      fc.record({ kind: fc.constant('save' as const), id: fc.integer({ min: 1, max: 3 }), state, progress: fc.double({ min: 0, max: 100, noNaN: true }), pid: fc.option(fc.integer({ min: 1, max: 2 ** 31 }), { nil: null }), update: fc.option(update, { nil: null }), mergeAfter: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant('ack' as const), upTo: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant('incoming' as const), id: fc.integer({ min: 1, max: 3 }), entryName: fc.option(fc.string({ maxLength: 10 }), { nil: null }), releasedAt: fc.option(fc.nat(), { nil: null }) }),
    );
    function apply(store: IntegrationStore, o: { kind: string } & Record<string, unknown>): void {
      const clean = (u: unknown): TransferTaskUpdate | null => (u === null ? null : (JSON.parse(JSON.stringify(u)) as TransferTaskUpdate));
      if (o.kind === 'insert') store.insertOutgoing(task(o.id as number), clean(o.update));
      else if (o.kind === 'save') store.saveOutgoing({ ...task(o.id as number), state: o.state as TaskState, progress: o.progress as number, pid: o.pid as number | null }, clean(o.update), o.mergeAfter as number);
      else if (o.kind === 'ack') store.acknowledgeUpdates(o.upTo as number);
      else store.putIncoming({ taskId: o.id as number, sourceProvider: 'a', destinationPath: '/in', entryName: o.entryName as string | null, pluginType: 'builtin', createdAt: 1, releasedAt: o.releasedAt as number | null });
    }
    const image = (store: IntegrationStore) => ({
      all: store.listOutgoing('all'),
      active: store.listOutgoing('active').map((t) => t.taskId),
      pending: store.pendingUpdates(100),
      incoming: [1, 2, 3].map((id) => store.getIncoming(id) ?? null),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const providerId = `p${++providers}`;
        const reference = SqliteIntegrationStore.open({ path: ':memory:' });
        const store = await PostgresIntegrationStore.open({ connectionString: db.url, providerId });
        try {
          for (const o of ops) {
            apply(reference, o);
            apply(store, o);
          }
          expect(image(store)).toEqual(image(reference));
          await store.close();
          const again = await PostgresIntegrationStore.open({ connectionString: db.url, providerId });
          try {
            expect(image(again)).toEqual(image(reference));
          } finally {
            await again.close();
          }
        } finally {
          reference.close();
          await store.close();
        }
      }),
      { numRuns: 30 },
    );
  });
});
