import { expect, it } from 'vitest';
import { NODE_EXIT_POSTGRES_SCHEMA_VERSION, PostgresNodeExitStore } from '../../../src/exit/node-store/postgres.js';
import { createPool } from '../../../src/sql/postgres.js';
import { nodeExitStoreSuite } from '../../../src/testing/node-exit-store-suite.js';
import { describeWith } from '../../support/env.js';
import { createTestDatabase, postgresUnavailable, sql, useTestDatabase } from '../../support/postgres.js';

describeWith('PostgreSQL', postgresUnavailable, 'PostgreSQL node exit store', () => {
  const db = useTestDatabase();

  nodeExitStoreSuite({
    name: 'PostgreSQL',
    async open() {
      const store = await PostgresNodeExitStore.open({ connectionString: db.url });
      await sql(db.url, 'TRUNCATE graceful_exit_status, graceful_exit_history');
      return store;
    },
    async reopen(store) {
      await store.close();
      return PostgresNodeExitStore.open({ connectionString: db.url });
    },
  });

  it('migrates once even when opened concurrently, and records its own version row', async () => {
    const fresh = await createTestDatabase();
    try {
      const stores = await Promise.all([1, 2, 3].map(() => PostgresNodeExitStore.open({ connectionString: fresh.url })));
      await Promise.all(stores.map((s) => s.close()));
      const rows = await sql(fresh.url, `SELECT store, version FROM handoff_schema_versions`);
      expect(rows).toEqual([{ store: 'node_exit', version: NODE_EXIT_POSTGRES_SCHEMA_VERSION }]);
    } finally {
      await fresh.drop();
    }
  });

  it('uses a pool the host owns without ending it', async () => {
    const pool = createPool(db.url, 2);
    const store = await PostgresNodeExitStore.open({ pool });
    await store.close();
    expect((await pool.query(`SELECT 'open' AS state`)).rows[0].state).toBe('open');
    await pool.end();
  });
});
