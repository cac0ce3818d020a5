import { expect, it } from 'vitest';
import { EXIT_QUEUE_POSTGRES_SCHEMA_VERSION, PostgresExitQueueStore } from '../../../src/exit/store/postgres.js';
import { openSatelliteStore } from '../../../src/satellite/store.js';
import { createPool } from '../../../src/sql/postgres.js';
import { exitQueueStoreSuite } from '../../../src/testing/exit-queue-store-suite.js';
import { describeWith } from '../../support/env.js';
import { queueCounterProperty } from './queue-store-property.js';
import { createTestDatabase, postgresUnavailable, sql, useTestDatabase } from '../../support/postgres.js';

describeWith('PostgreSQL', postgresUnavailable, 'PostgreSQL exit queue store', () => {
  const db = useTestDatabase();

  exitQueueStoreSuite({
    name: 'PostgreSQL',
    async open() {
      const store = await PostgresExitQueueStore.open({ connectionString: db.url });
      await sql(db.url, 'TRUNCATE exit_nodes, exit_queue, exit_history');
      return store;
    },
    async reopen(store) {
      await store.close();
      return PostgresExitQueueStore.open({ connectionString: db.url });
    },
  });

  queueCounterProperty(() => PostgresExitQueueStore.open({ connectionString: db.url }), 25);

  it('migrates once even when opened concurrently, and records its own version row', async () => {
    const fresh = await createTestDatabase();
    try {
      const stores = await Promise.all([1, 2, 3].map(() => PostgresExitQueueStore.open({ connectionString: fresh.url })));
      await Promise.all(stores.map((s) => s.close()));
      const rows = await sql(fresh.url, `SELECT store, version FROM handoff_schema_versions`);
      expect(rows).toEqual([{ store: 'exit_queue', version: EXIT_QUEUE_POSTGRES_SCHEMA_VERSION }]);
    } finally {
      await fresh.drop();
    }
  });

  it('uses a pool the host owns without ending it', async () => {
    const pool = createPool(db.url, 2);
    const store = await PostgresExitQueueStore.open({ pool });
    await store.close();
    expect((await pool.query(`SELECT 'open' AS state`)).rows[0].state).toBe('open');
    await pool.end();
  });

  it("keeps exits in the satellite's shared pool and database, next to its other stores", async () => {
    const fresh = await createTestDatabase();
    try {
      const nodeId = new Uint8Array(32).fill(5);
      const first = await openSatelliteStore({ kind: 'postgres', connectionString: fresh.url, maxConnections: 2 });
      const { record } = await first.exits.startExit(nodeId, 1_700_000_000_000);
      await first.close();
      const again = await openSatelliteStore({ kind: 'postgres', connectionString: fresh.url, maxConnections: 2 });
      try {
        expect(await again.exits.getExit(nodeId)).toEqual(record);
      } finally {
        await again.close();
      }
      const rows = await sql(fresh.url, `SELECT store FROM handoff_schema_versions WHERE store = 'exit_queue'`);
      expect(rows).toEqual([{ store: 'exit_queue' }]);
    } finally {
      await fresh.drop();
    }
  });

  it('reads 64-bit counters and sizes beyond 2^32 exactly', async () => {
    const store = await PostgresExitQueueStore.open({ connectionString: db.url });
    try {
      const nodeId = new Uint8Array(32).fill(7);
      await store.startExit(nodeId, 1_700_000_000_000);
      const pieceId = new Uint8Array(32).fill(9);
      const big = 2 ** 45 + 3;
      await store.enqueue(
        nodeId,
        [{ pieceId, rootPieceId: pieceId, pieceNumber: 1, streamId: new Uint8Array(16), position: { part: 2 ** 20, index: 2 ** 32 - 1 }, pieceSize: big, durability: 0.1, drop: false, queuedAt: 1 }],
        { streamId: new Uint8Array(16).fill(1), position: { part: 2 ** 20, index: 2 ** 32 - 1 } },
      );
      await store.finishItem(nodeId, pieceId, { kind: 'transferred', bytes: big }, 2);
      expect(await store.getExit(nodeId)).toMatchObject({
        startingBytes: big,
        bytesTransferred: big,
        gatherCursor: { position: { part: 2 ** 20, index: 2 ** 32 - 1 } },
      });
    } finally {
      await store.close();
    }
  });
});
