import { expect, it } from 'vitest';
import { OVERLAY_POSTGRES_SCHEMA_VERSION, PostgresOverlayStore } from '../../src/overlay/store/postgres.js';
import { overlayStoreSuite } from '../../src/testing/overlay-store-suite.js';
import { NEW_NODE_STATE } from '../../src/overlay/types.js';
import { createPool } from '../../src/sql/postgres.js';
import { describeWith } from '../support/env.js';
import { createTestDatabase, postgresUnavailable, sql, useTestDatabase } from '../support/postgres.js';

describeWith('PostgreSQL', postgresUnavailable, 'PostgreSQL overlay store', () => {
  const db = useTestDatabase();

  overlayStoreSuite({
    name: 'PostgreSQL',
    async open() {
      const store = await PostgresOverlayStore.open({ connectionString: db.url });
      await sql(db.url, 'TRUNCATE overlay_nodes, overlay_contact_windows');
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

  it('upgrades a version-1 registry: every known node starts online, unsuspended, with a clean reputation', async () => {
    const fresh = await createTestDatabase();
    try {
      // Version 1 as it shipped.
      await sql(fresh.url, `
        CREATE TABLE handoff_schema_versions (store TEXT PRIMARY KEY, version INTEGER NOT NULL);
        INSERT INTO handoff_schema_versions VALUES ('overlay', 1);
        CREATE TABLE overlay_nodes (
          id bytea PRIMARY KEY CHECK (length(id) = 32), address text NOT NULL, wallet text NOT NULL,
          free_bytes bigint NOT NULL CHECK (free_bytes >= 0), version text NOT NULL, joined_at timestamptz NOT NULL,
          last_contact_at timestamptz NOT NULL, status text NOT NULL CHECK (status IN ('active', 'exiting', 'exited', 'disqualified')),
          exit_started_at timestamptz, exit_finished_at timestamptz, disqualified_at timestamptz, disqualified_reason text
        );
        INSERT INTO overlay_nodes VALUES (decode(repeat('07', 32), 'hex'), 'n:1', 'w', 5, '1', to_timestamp(0.01), to_timestamp(0.02), 'exiting', to_timestamp(0.015), NULL, NULL, NULL);
      `);
      const store = await PostgresOverlayStore.open({ connectionString: fresh.url });
      const id = new Uint8Array(32).fill(7);
      expect(await store.get(id)).toEqual({
        id, address: 'n:1', wallet: 'w', freeBytes: 5, version: '1', joinedAt: 10, lastContactAt: 20, status: 'exiting',
        exitStartedAt: 15, exitFinishedAt: null, disqualifiedAt: null, disqualifiedReason: null, ...NEW_NODE_STATE,
      });
      expect(await store.recordContact(id, { at: 30, success: false })).toMatchObject({ offlineSince: 30 });
      await store.close();
      expect(await sql(fresh.url, `SELECT version FROM handoff_schema_versions WHERE store = 'overlay'`)).toEqual([{ version: OVERLAY_POSTGRES_SCHEMA_VERSION }]);
    } finally {
      await fresh.drop();
    }
  });

  it('uses a pool the host owns without ending it', async () => {
    const pool = createPool(db.url, 2);
    pool.on('error', () => {}); // the test database is dropped WITH (FORCE) at the end
    const store = await PostgresOverlayStore.open({ pool });
    await store.close();
    expect((await pool.query(`SELECT 'open' AS state`)).rows[0].state).toBe('open');
    await pool.end();
  });
});

