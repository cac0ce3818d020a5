import { afterAll, beforeAll, expect, it } from 'vitest';
import { POSTGRES_METABASE_SCHEMA_VERSION, PostgresMetabaseStore } from '../../../src/metainfo/metabase/postgres.js';
import { metabaseStoreSuite } from '../../../src/testing/metabase-store-suite.js';
import { createPool } from '../../../src/sql/postgres.js';
import { describeWith } from '../../support/env.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from '../../support/postgres.js';

describeWith('PostgreSQL', postgresUnavailable, 'PostgreSQL metabase store', () => {
  let db: TestDatabase;
  let admin: ReturnType<typeof createPool>;
  beforeAll(async () => {
    db = await createTestDatabase();
    admin = createPool(db.url, 1);
    admin.on('error', () => {}); // the test database is dropped WITH (FORCE) at the end
  });
  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  metabaseStoreSuite({
    name: 'PostgreSQL',
    async setup() {
      const store = await PostgresMetabaseStore.open({ connectionString: db.url, maxConnections: 6 });
      // One database per file; each test starts from empty tables.
      await admin.query('TRUNCATE metabase_move_keys, metabase_move_operations, metabase_segments, metabase_objects, metabase_buckets');
      return store;
    },
  });

  it('migrates once even when opened concurrently, with byte and bigint columns', async () => {
    const stores = await Promise.all([1, 2, 3].map(() => PostgresMetabaseStore.open({ connectionString: db.url, maxConnections: 1 })));
    await Promise.all(stores.map((s) => s.close()));
    const { rows } = await admin.query('SELECT version FROM metabase_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: POSTGRES_METABASE_SCHEMA_VERSION }, (_, i) => i + 1));
    const columns = await admin.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'metabase_segments'`);
    expect(Object.fromEntries(columns.rows.map((c) => [c.column_name, c.data_type]))).toMatchObject({
      stream_id: 'bytea', position: 'bigint', pieces: 'bytea', plain_size: 'bigint',
    });
  });

  it('uses a pool the host owns without ending it', async () => {
    const pool = createPool(db.url, 2);
    pool.on('error', () => {}); // the test database is dropped WITH (FORCE) at the end
    const store = await PostgresMetabaseStore.open({ pool });
    await store.close();
    expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await pool.end();
  });
});
