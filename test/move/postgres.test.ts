import { afterAll, beforeAll } from 'vitest';
import { PostgresMetabaseStore } from '../../src/metainfo/metabase/postgres.js';
import { createPool } from '../../src/sql/postgres.js';
import { describeWith } from '../support/env.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from '../support/postgres.js';
import { moveScenarios } from './scenarios.js';

describeWith('PostgreSQL', postgresUnavailable, 'server-side move on PostgreSQL', () => {
  let db: TestDatabase;
  let admin: ReturnType<typeof createPool>;
  beforeAll(async () => {
    db = await createTestDatabase();
    admin = createPool(db.url, 1);
  });
  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  moveScenarios({
    name: 'PostgreSQL',
    async open() {
      const store = await PostgresMetabaseStore.open({ connectionString: db.url, maxConnections: 6 });
      // One database per file; each test starts from empty tables.
      await admin.query('TRUNCATE metabase_move_keys, metabase_move_operations, metabase_segments, metabase_objects, metabase_buckets');
      return store;
    },
    large: { segments: 1200, chunk: 500 },
  });
});
