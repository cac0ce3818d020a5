import { expect, it } from 'vitest';
import { OVERLAY_POSTGRES_SCHEMA_VERSION, PostgresOverlayStore } from '../../src/overlay/store/postgres.js';
import { overlayStoreSuite } from '../../src/testing/overlay-store-suite.js';
import { createPool } from '../../src/sql/postgres.js';
import { describeWith } from '../support/env.js';
import { createTestDatabase, postgresUnavailable, sql, useTestDatabase } from '../support/postgres.js';

describeWith('PostgreSQL', postgresUnavailable, 'PostgreSQL overlay store', () => {
  const db = useTestDatabase();

  overlayStoreSuite({
    name: 'PostgreSQL',
    async open() {
      const store = await PostgresOverlayStore.open({ connectionString: db.url });
      await sql(db.url, 'TRUNCATE overlay_nodes');
      return store;
    },
    async reopen(store) {
      await store.close();
      return PostgresOverlayStore.open({ connectionString: db.url });
    },
  });

  it('migrates once even when opened concurrently, and records its own version row', async () => {
    const fresh = await createTestDatabase();
    try {
      const stores = await Promise.all([1, 2, 3].map(() => PostgresOverlayStore.open({ connectionString: fresh.url })));
      await Promise.all(stores.map((s) => s.close()));
      const rows = await sql(fresh.url, `SELECT store, version FROM handoff_schema_versions`);
      expect(rows).toEqual([{ store: 'overlay', version: OVERLAY_POSTGRES_SCHEMA_VERSION }]);
    } finally {
      await fresh.drop();
    }
  });

  it('uses a pool the host owns without ending it', async () => {
    const pool = createPool(db.url, 2);
    pool.on('error', () => {}); // the test database is dropped WITH (FORCE) at the end
    const store = await PostgresOverlayStore.open({ pool });
    await store.close();
    expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await pool.end();
  });
});

