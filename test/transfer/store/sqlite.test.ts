import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { transferTaskStoreSuite } from '../../../src/testing/transfer-task-store-suite.js';
import { newTask } from '../../../src/transfer/lifecycle.js';
import { SqliteTransferTaskStore, SQLITE_SCHEMA_VERSION } from '../../../src/transfer/store/sqlite.js';
import { expectSeededRequestKeptUntilItsKeyExpires } from './version-1-upgrade.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-transfer-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const pathOf = new WeakMap<object, string>();

transferTaskStoreSuite({
  name: 'SQLite',
  async open() {
    const path = join(dir, `tasks-${files++}.db`);
    const store = await SqliteTransferTaskStore.open({ path });
    pathOf.set(store, path);
    return store;
  },
  async reopen(store) {
    const path = pathOf.get(store)!;
    await store.close();
    const again = await SqliteTransferTaskStore.open({ path });
    pathOf.set(again, path);
    return again;
  },
});

describe('SQLite transfer task store file', () => {
  it('is one WAL-mode file at the current schema version, and opening it twice migrates nothing twice', async () => {
    const path = join(dir, 'wal.db');
    const first = await SqliteTransferTaskStore.open({ path });
    const t = await first.insert(newTask({
      initiatedBy: 'alice', sourceProvider: 'hippo', sourcePath: '/1/a', destinationProvider: 'aau',
      destinationPath: '/2/b', idempotencyKey: null, requestIndex: null,
    }, 1));
    const second = await SqliteTransferTaskStore.open({ path });
    expect(await second.get(t.id)).toEqual(t);
    await first.close();
    await second.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    raw.close();
  });

  it('upgrades a version-1 database: its idempotent requests keep their tasks until their keys expire', async () => {
    const path = join(dir, 'version-1.db');
    const raw = new Database(path);
    raw.exec(VERSION_1_SCHEMA);
    raw.exec(`INSERT INTO transfer_request VALUES ('alice', 'submit-1', 'fp', 1000);
      INSERT INTO transfer_task (provider_id, initiated_by, source_path, destination_path, state, progress, created_at, last_update,
        destination_provider, idempotency_key, request_index) VALUES ('hippo', 'alice', '/1/a', '/2/b', 'RUNNING', 5, 1000, 1000, 'aau', 'submit-1', 0)`);
    raw.pragma('user_version = 1');
    raw.close();
    const store = await SqliteTransferTaskStore.open({ path });
    await expectSeededRequestKeptUntilItsKeyExpires(store);
    await store.close();
    const after = new Database(path, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    const plan = after.prepare('EXPLAIN QUERY PLAN SELECT rowid FROM transfer_request WHERE created_at < 5 ORDER BY created_at LIMIT 10').all();
    expect(JSON.stringify(plan)).toContain('transfer_request_by_claim_time');
    after.close();
  });

  it('refuses a database written by a newer version of the code', async () => {
    const path = join(dir, 'future.db');
    const raw = new Database(path);
    raw.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    raw.close();
    await expect(SqliteTransferTaskStore.open({ path })).rejects.toMatchObject({ name: 'FailedPreconditionError' });
  });
});

/** The schema as version 1 of the code wrote it, before idempotency keys expired. */
const VERSION_1_SCHEMA = `
  CREATE TABLE transfer_task (
    id INTEGER PRIMARY KEY AUTOINCREMENT, provider_id TEXT NOT NULL, initiated_by TEXT NOT NULL, source_path TEXT NOT NULL,
    destination_path TEXT NOT NULL, state TEXT NOT NULL, progress REAL NOT NULL CHECK (progress >= 0 AND progress <= 100),
    created_at INTEGER NOT NULL, last_update INTEGER NOT NULL, destination_provider TEXT NOT NULL, status TEXT,
    failure_reason TEXT, capabilities TEXT, paused_by_user INTEGER NOT NULL DEFAULT 0, idempotency_key TEXT,
    request_index INTEGER, revision INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX transfer_task_by_user ON transfer_task (initiated_by, id);
  CREATE UNIQUE INDEX transfer_task_active_route ON transfer_task (provider_id, source_path, destination_provider, destination_path)
    WHERE state IN ('INITIATED', 'RUNNING', 'PAUSED');
  CREATE UNIQUE INDEX transfer_task_request_item ON transfer_task (initiated_by, idempotency_key, request_index)
    WHERE idempotency_key IS NOT NULL;
  CREATE TABLE transfer_request (
    initiated_by TEXT NOT NULL, idempotency_key TEXT NOT NULL, fingerprint TEXT NOT NULL, created_at INTEGER NOT NULL,
    PRIMARY KEY (initiated_by, idempotency_key)
  );
`;
