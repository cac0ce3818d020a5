import { afterAll, beforeAll, expect, it } from 'vitest';
import { POSTGRES_METABASE_SCHEMA_VERSION, PostgresMetabaseStore } from '../../../src/metainfo/metabase/postgres.js';
import { metabaseStoreSuite } from '../../../src/testing/metabase-store-suite.js';
import { createPool } from '../../../src/sql/postgres.js';
import { describeWith } from '../../support/env.js';
import { createTestDatabase, postgresUnavailable, sql, type TestDatabase } from '../../support/postgres.js';

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
    const { rows } = await admin.query(`SELECT version FROM handoff_schema_versions WHERE store = 'metabase'`);
    expect(rows.map((r) => Number(r.version))).toEqual([POSTGRES_METABASE_SCHEMA_VERSION]);
    const columns = await admin.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'metabase_segments'`);
    expect(Object.fromEntries(columns.rows.map((c) => [c.column_name, c.data_type]))).toMatchObject({
      stream_id: 'bytea', position: 'bigint', pieces: 'bytea', plain_size: 'bigint',
    });
  });

  it('adopts the version its own migration table recorded before the shared one, running no step twice', async () => {
    const old = await createTestDatabase();
    try {
      // A database as the metabase left it when it kept its versions in metabase_migrations.
      await (await PostgresMetabaseStore.open({ connectionString: old.url, maxConnections: 1 })).close();
      await sql(old.url, `DROP TABLE handoff_schema_versions;
        CREATE TABLE metabase_migrations (version INT PRIMARY KEY);
        INSERT INTO metabase_migrations SELECT generate_series(1, ${POSTGRES_METABASE_SCHEMA_VERSION})`);
      // Running step 1 again would fail: its tables exist.
      await (await PostgresMetabaseStore.open({ connectionString: old.url, maxConnections: 1 })).close();
      expect(await sql(old.url, 'SELECT store, version FROM handoff_schema_versions')).toEqual([
        { store: 'metabase', version: POSTGRES_METABASE_SCHEMA_VERSION },
      ]);
    } finally {
      await old.drop();
    }
  });

  it('uses a pool the host owns without ending it', async () => {
    const pool = createPool(db.url, 2);
    pool.on('error', () => {}); // the test database is dropped WITH (FORCE) at the end
    const store = await PostgresMetabaseStore.open({ pool });
    await store.close();
    expect((await pool.query(`SELECT 'open' AS state`)).rows[0].state).toBe('open');
    await pool.end();
  });
});
