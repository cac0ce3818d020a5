import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteSchemaVersion } from '../../src/sql/migrations.js';
import { OVERLAY_SQLITE_SCHEMA_VERSION, SqliteOverlayStore } from '../../src/overlay/store/sqlite.js';
import { NEW_NODE_STATE } from '../../src/overlay/types.js';
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

  it('upgrades a version-1 registry: every known node starts online, unsuspended, with a clean reputation', async () => {
    const db = new Database(join(dir, 'v1.db'));
    // Version 1 as it shipped.
    db.exec(`
      CREATE TABLE handoff_schema_versions (store TEXT PRIMARY KEY, version INTEGER NOT NULL);
      INSERT INTO handoff_schema_versions VALUES ('overlay', 1);
      CREATE TABLE overlay_nodes (
        id BLOB PRIMARY KEY CHECK (length(id) = 32), address TEXT NOT NULL, wallet TEXT NOT NULL,
        free_bytes INTEGER NOT NULL CHECK (free_bytes >= 0), version TEXT NOT NULL, joined_at INTEGER NOT NULL,
        last_contact_at INTEGER NOT NULL, status TEXT NOT NULL CHECK (status IN ('active', 'exiting', 'exited', 'disqualified')),
        exit_started_at INTEGER, exit_finished_at INTEGER, disqualified_at INTEGER, disqualified_reason TEXT
      ) WITHOUT ROWID;
    `);
    const id = new Uint8Array(32).fill(7);
    db.prepare(`INSERT INTO overlay_nodes VALUES (?, 'n:1', 'w', 5, '1', 10, 20, 'exiting', 15, NULL, NULL, NULL)`).run(Buffer.from(id));
    const store = await SqliteOverlayStore.open({ database: db });
    expect(await store.get(id)).toEqual({
      id, address: 'n:1', wallet: 'w', freeBytes: 5, version: '1', joinedAt: 10, lastContactAt: 20, status: 'exiting',
      exitStartedAt: 15, exitFinishedAt: null, disqualifiedAt: null, disqualifiedReason: null, ...NEW_NODE_STATE,
    });
    expect(await store.recordContact(id, { at: 30, success: false })).toMatchObject({ offlineSince: 30 });
    await store.close();
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
