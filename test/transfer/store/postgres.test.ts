import { expect, it } from 'vitest';
import { transferTaskStoreSuite } from '../../../src/testing/transfer-task-store-suite.js';
import { PostgresTransferTaskStore, POSTGRES_SCHEMA_VERSION } from '../../../src/transfer/store/postgres.js';
import { createPool } from '../../../src/sql/postgres.js';
import { describeWith } from '../../support/env.js';
import { createTestDatabase, postgresUnavailable, sql, useTestDatabase } from '../../support/postgres.js';
import { expectSeededRequestKeptUntilItsKeyExpires } from './version-1-upgrade.js';

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
    const rows = await sql(db.url, `SELECT store, version FROM handoff_schema_versions`);
    expect(rows).toEqual([{ store: 'transfer_tasks', version: POSTGRES_SCHEMA_VERSION }]);
    const columns = await sql(db.url, `SELECT column_name, data_type FROM information_schema.columns
      WHERE table_schema = 'file_orchestrator' AND table_name = 'transfer_task'`);
    const types = Object.fromEntries(columns.map((c) => [c.column_name, c.data_type]));
    expect(types).toMatchObject({
      id: 'bigint', provider_id: 'text', initiated_by: 'text', source_path: 'text', destination_path: 'text', state: 'text',
      progress: 'double precision', created_at: 'timestamp with time zone', last_update: 'timestamp with time zone',
    });
  });

  it('upgrades a version-1 schema: its idempotent requests keep their tasks until their keys expire', async () => {
    const old = await createTestDatabase();
    try {
      await sql(old.url, VERSION_1_SCHEMA);
      await sql(old.url, `INSERT INTO file_orchestrator.transfer_request VALUES ('alice', 'submit-1', 'fp', to_timestamp(1));
        INSERT INTO file_orchestrator.transfer_task (provider_id, initiated_by, source_path, destination_path, state, progress,
          created_at, last_update, destination_provider, idempotency_key, request_index)
        VALUES ('hippo', 'alice', '/1/a', '/2/b', 'RUNNING', 5, to_timestamp(1), to_timestamp(1), 'aau', 'submit-1', 0)`);
      const store = await PostgresTransferTaskStore.open({ connectionString: old.url });
      try {
        await expectSeededRequestKeptUntilItsKeyExpires(store);
      } finally {
        await store.close();
      }
      const indexes = await sql(old.url, `SELECT indexdef FROM pg_indexes WHERE schemaname = 'file_orchestrator'
        AND indexname = 'transfer_request_by_claim_time'`);
      expect(indexes.map((r) => r.indexdef)).toEqual([expect.stringContaining('(created_at)')]);
      // The old version table was adopted: its 1 became the shared table's 1, then the steps after it ran.
      expect(await sql(old.url, `SELECT store, version FROM handoff_schema_versions`)).toEqual([{ store: 'transfer_tasks', version: POSTGRES_SCHEMA_VERSION }]);
    } finally {
      await old.drop();
    }
  });

  it('adopts a version-2 database from its old migration table without running a step again', async () => {
    const old = await createTestDatabase();
    try {
      // The schema version 2 of the old numbering built is what steps 1–4 build now.
      await (await PostgresTransferTaskStore.open({ connectionString: old.url })).close();
      await sql(old.url, `DROP TABLE handoff_schema_versions;
        CREATE TABLE file_orchestrator.transfer_task_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO file_orchestrator.transfer_task_migrations (version) VALUES (1), (2)`);
      // Step 2 again would fail: request_claimed_at exists.
      const store = await PostgresTransferTaskStore.open({ connectionString: old.url });
      await store.close();
      expect(await sql(old.url, 'SELECT store, version FROM handoff_schema_versions')).toEqual([{ store: 'transfer_tasks', version: POSTGRES_SCHEMA_VERSION }]);
    } finally {
      await old.drop();
    }
  });

  it('uses a pool the host owns without ending it', async () => {
    const pool = createPool(db.url, 2);
    pool.on('error', () => {}); // the test database is dropped WITH (FORCE) at the end
    const store = await PostgresTransferTaskStore.open({ pool });
    await store.close();
    expect((await pool.query(`SELECT 'open' AS state`)).rows[0].state).toBe('open');
    await pool.end();
  });
});


/** The schema as version 1 of the code wrote it, before idempotency keys expired. */
const VERSION_1_SCHEMA = `
  CREATE SCHEMA file_orchestrator;
  CREATE TABLE file_orchestrator.transfer_task_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
  INSERT INTO file_orchestrator.transfer_task_migrations (version) VALUES (1);
  CREATE TABLE file_orchestrator.transfer_task (
    id bigserial PRIMARY KEY, provider_id text NOT NULL, initiated_by text NOT NULL, source_path text NOT NULL,
    destination_path text NOT NULL, state text NOT NULL, progress float8 NOT NULL, created_at timestamptz NOT NULL,
    last_update timestamptz NOT NULL, destination_provider text NOT NULL, status text, failure_reason text, capabilities jsonb,
    paused_by_user boolean NOT NULL DEFAULT false, idempotency_key text, request_index integer, revision integer NOT NULL DEFAULT 0
  );
  CREATE INDEX transfer_task_by_user ON file_orchestrator.transfer_task (initiated_by, id);
  CREATE UNIQUE INDEX transfer_task_active_route
    ON file_orchestrator.transfer_task (provider_id, destination_provider, md5(source_path), md5(destination_path))
    WHERE state IN ('INITIATED', 'RUNNING', 'PAUSED');
  CREATE UNIQUE INDEX transfer_task_request_item ON file_orchestrator.transfer_task (initiated_by, idempotency_key, request_index)
    WHERE idempotency_key IS NOT NULL;
  CREATE TABLE file_orchestrator.transfer_request (
    initiated_by text NOT NULL, idempotency_key text NOT NULL, fingerprint text NOT NULL, created_at timestamptz NOT NULL,
    PRIMARY KEY (initiated_by, idempotency_key)
  );
`;
