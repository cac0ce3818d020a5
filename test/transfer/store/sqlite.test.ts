import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { transferTaskStoreSuite } from '../../../src/testing/transfer-task-store-suite.js';
import { newTask } from '../../../src/transfer/lifecycle.js';
import { SqliteTransferTaskStore, SQLITE_SCHEMA_VERSION } from '../../../src/transfer/store/sqlite.js';

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

  it('refuses a database written by a newer version of the code', async () => {
    const path = join(dir, 'future.db');
    const raw = new Database(path);
    raw.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    raw.close();
    await expect(SqliteTransferTaskStore.open({ path })).rejects.toMatchObject({ name: 'FailedPreconditionError' });
  });
});
