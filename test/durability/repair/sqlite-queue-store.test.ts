import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { REPAIR_QUEUE_SQLITE_SCHEMA_VERSION, SqliteRepairQueueStore } from '../../../src/durability/repair/store/sqlite.js';
import { sqliteSchemaVersion } from '../../../src/sql/migrations.js';
import { repairQueueStoreSuite } from '../../../src/testing/repair-queue-store-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-repair-queue-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const pathOf = new WeakMap<object, string>();

repairQueueStoreSuite({
  name: 'SQLite',
  async open() {
    const path = join(dir, `queue-${++files}.db`);
    const store = await SqliteRepairQueueStore.open({ path });
    pathOf.set(store, path);
    return store;
  },
  async reopen(store) {
    const path = pathOf.get(store)!;
    await store.close();
    const again = await SqliteRepairQueueStore.open({ path });
    pathOf.set(again, path);
    return again;
  },
});

describe('SQLite repair queue schema', () => {
  it('records its own schema version and leaves a host-owned connection open', async () => {
    const db = new Database(join(dir, 'shared.db'));
    await (await SqliteRepairQueueStore.open({ database: db })).close();
    expect(db.open).toBe(true);
    expect(sqliteSchemaVersion(db, 'repair_queue')).toBe(REPAIR_QUEUE_SQLITE_SCHEMA_VERSION);
    db.close();
  });
});
