import pg from 'pg';
import { expect, it } from 'vitest';
import { transferTaskStoreSuite } from '../../../src/testing/transfer-task-store-suite.js';
import { PostgresTransferTaskStore, POSTGRES_SCHEMA_VERSION } from '../../../src/transfer/store/postgres.js';
import { describeWith } from '../../support/env.js';
import { postgresUnavailable, sql, useTestDatabase } from '../../support/postgres.js';

describeWith('PostgreSQL', postgresUnavailable, 'PostgreSQL transfer task store', () => {
  const db = useTestDatabase();

  transferTaskStoreSuite({
    name: 'PostgreSQL',
    async open() {
      const store = await PostgresTransferTaskStore.open({ connectionString: db.url });
      // One database per file; each test starts from empty tables (ids keep growing, as they may).
      await sql(db.url, 'TRUNCATE file_orchestrator.transfer_task, file_orchestrator.transfer_request');
      return store;
    },
    async reopen(store) {
      await store.close();
      return PostgresTransferTaskStore.open({ connectionString: db.url });
    },
  });

  it('lives in schema file_orchestrator and migrates once even when opened concurrently', async () => {
    const stores = await Promise.all([1, 2, 3].map(() => PostgresTransferTaskStore.open({ connectionString: db.url })));
    await Promise.all(stores.map((s) => s.close()));
    const rows = await sql(db.url, `SELECT version FROM file_orchestrator.transfer_task_migrations ORDER BY version`);
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1));
    const columns = await sql(db.url, `SELECT column_name, data_type FROM information_schema.columns
      WHERE table_schema = 'file_orchestrator' AND table_name = 'transfer_task'`);
    const types = Object.fromEntries(columns.map((c) => [c.column_name, c.data_type]));
    expect(types).toMatchObject({
      id: 'bigint', provider_id: 'text', initiated_by: 'text', source_path: 'text', destination_path: 'text', state: 'text',
      progress: 'double precision', created_at: 'timestamp with time zone', last_update: 'timestamp with time zone',
    });
  });

  it('uses a pool the host owns without ending it', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pool.on('error', () => {}); // the test database is dropped WITH (FORCE) at the end
    const store = await PostgresTransferTaskStore.open({ pool });
    await store.close();
    expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await pool.end();
  });
});

