import { expect, it } from 'vitest';
import { apiKeyId } from '../../src/projects/api-key.js';
import { LEDGER_POSTGRES_SCHEMA_VERSION, PostgresLedgerStore } from '../../src/orders/ledger/store/postgres.js';
import { OVERLAY_POSTGRES_SCHEMA_VERSION, PostgresOverlayStore } from '../../src/overlay/store/postgres.js';
import { PROJECTS_POSTGRES_SCHEMA_VERSION, PostgresProjectStore } from '../../src/projects/store/postgres.js';
import { projectStoreSuite } from '../../src/testing/project-store-suite.js';
import { createPool } from '../../src/sql/postgres.js';
import { describeWith } from '../support/env.js';
import { createTestDatabase, postgresUnavailable, sql, useTestDatabase } from '../support/postgres.js';

describeWith('PostgreSQL', postgresUnavailable, 'PostgreSQL project store', () => {
  const db = useTestDatabase();

  projectStoreSuite({
    name: 'PostgreSQL',
    async open() {
      const store = await PostgresProjectStore.open({ connectionString: db.url });
      await sql(db.url, 'TRUNCATE api_keys, projects');
      return store;
    },
    async reopen(store) {
      await store.close();
      return PostgresProjectStore.open({ connectionString: db.url });
    },
  });

  it('shares one database with the overlay and the ledger, each store with its own version row', async () => {
    const shared = await createTestDatabase();
    const pool = createPool(shared.url, 6);
    pool.on('error', () => {}); // the test database is dropped WITH (FORCE) at the end
    try {
      const stores = await Promise.all([
        PostgresProjectStore.open({ pool }),
        PostgresOverlayStore.open({ pool }),
        PostgresLedgerStore.open({ pool }),
        PostgresProjectStore.open({ pool }),
      ]);
      await Promise.all(stores.map((s) => s.close()));
      const rows = await pool.query(`SELECT store, version FROM handoff_schema_versions ORDER BY store`);
      // Number(): on CockroachDB (and in CockroachDB mode) every INT comes back as a string.
      expect(rows.rows.map((r) => ({ ...r, version: Number(r.version) }))).toEqual([
        { store: 'ledger', version: LEDGER_POSTGRES_SCHEMA_VERSION },
        { store: 'overlay', version: OVERLAY_POSTGRES_SCHEMA_VERSION },
        { store: 'projects', version: PROJECTS_POSTGRES_SCHEMA_VERSION },
      ]);
    } finally {
      await pool.end();
      await shared.drop();
    }
  });

  it('stores keys only as their SHA-256', async () => {
    const store = await PostgresProjectStore.open({ connectionString: db.url });
    await sql(db.url, 'TRUNCATE api_keys, projects');
    const { apiKey } = await store.createProject('p');
    await store.close();
    const hashes = await sql(db.url, `SELECT encode(key_hash, 'hex') AS hash FROM api_keys`);
    expect(hashes).toEqual([{ hash: apiKeyId(apiKey) }]);
    const everything = await sql(db.url, `SELECT row_to_json(k)::text AS k, row_to_json(p)::text AS p FROM api_keys k JOIN projects p ON p.id = k.project_id`);
    expect(JSON.stringify(everything)).not.toContain(apiKey.slice(4));
  });
});

