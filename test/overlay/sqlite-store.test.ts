import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteSchemaVersion } from '../../src/sql/migrations.js';
import { OVERLAY_SQLITE_SCHEMA_VERSION, SqliteOverlayStore } from '../../src/overlay/store/sqlite.js';
import { overlayStoreSuite } from '../../src/testing/overlay-store-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-overlay-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const pathOf = new WeakMap<object, string>();

overlayStoreSuite({
  name: 'SQLite',
  async open() {
    const path = join(dir, `overlay-${++files}.db`);
    const store = await SqliteOverlayStore.open({ path });
    pathOf.set(store, path);
    return store;
  },
  async reopen(store) {
    const path = pathOf.get(store)!;
    await store.close();
    const again = await SqliteOverlayStore.open({ path });
    pathOf.set(again, path);
    return again;
  },
});

describe('SQLite overlay store schema', () => {
  it('records its own schema version and migrates once, leaving a host-owned connection open', async () => {
    const db = new Database(join(dir, 'shared.db'));
    const first = await SqliteOverlayStore.open({ database: db });
    const second = await SqliteOverlayStore.open({ database: db });
    await first.close();
    await second.close();
    expect(db.open).toBe(true);
    expect(sqliteSchemaVersion(db, 'overlay')).toBe(OVERLAY_SQLITE_SCHEMA_VERSION);
    db.close();
  });

  it('refuses a database written by newer code', async () => {
    const db = new Database(join(dir, 'newer.db'));
    await (await SqliteOverlayStore.open({ database: db })).close();
    db.prepare(`UPDATE handoff_schema_versions SET version = 99 WHERE store = 'overlay'`).run();
    await expect(SqliteOverlayStore.open({ database: db })).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    db.close();
  });
});
