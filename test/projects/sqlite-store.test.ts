import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { OVERLAY_SQLITE_SCHEMA_VERSION, SqliteOverlayStore } from '../../src/overlay/store/sqlite.js';
import { sqliteSchemaVersion } from '../../src/sql/migrations.js';
import { PROJECTS_SQLITE_SCHEMA_VERSION, SqliteProjectStore } from '../../src/projects/store/sqlite.js';
import { projectStoreSuite } from '../../src/testing/project-store-suite.js';
import { resolveApiKey } from '../../src/projects/authorize.js';
import { restrictApiKey } from '../../src/projects/restricted-key.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-project-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const pathOf = new WeakMap<object, string>();

projectStoreSuite({
  name: 'SQLite',
  async open() {
    const path = join(dir, `projects-${++files}.db`);
    const store = await SqliteProjectStore.open({ path });
    pathOf.set(store, path);
    return store;
  },
  async reopen(store) {
    const path = pathOf.get(store)!;
    await store.close();
    const again = await SqliteProjectStore.open({ path });
    pathOf.set(again, path);
    return again;
  },
});

describe('SQLite project store', () => {
  it('never writes an API key to disk, only its hash', async () => {
    const path = join(dir, 'secret.db');
    const store = await SqliteProjectStore.open({ path });
    const { apiKey } = await store.createProject('p');
    await store.close();
    const file = readFileSync(path);
    const wal = (() => {
      try {
        return readFileSync(`${path}-wal`);
      } catch {
        return Buffer.alloc(0);
      }
    })();
    for (const bytes of [file, wal]) {
      expect(bytes.includes(apiKey)).toBe(false);
      expect(bytes.includes(apiKey.slice(4))).toBe(false);
    }
  });

  it('shares one database with the overlay store, each with its own schema version', async () => {
    const db = new Database(join(dir, 'satellite.db'));
    const projects = await SqliteProjectStore.open({ database: db });
    const overlay = await SqliteOverlayStore.open({ database: db });
    await projects.close();
    await overlay.close();
    expect(sqliteSchemaVersion(db, 'projects')).toBe(PROJECTS_SQLITE_SCHEMA_VERSION);
    expect(sqliteSchemaVersion(db, 'overlay')).toBe(OVERLAY_SQLITE_SCHEMA_VERSION);
    db.close();
  });

  it('a key made before restricted keys gets its caveat secret the first time it is used, and its restricted keys work from then on', async () => {
    const db = new Database(join(dir, 'older.db'));
    const store = await SqliteProjectStore.open({ database: db });
    const { projectId, apiKey } = await store.createProject('p');
    db.prepare('UPDATE api_keys SET caveat_secret = NULL').run(); // as a row from schema version 1
    const restricted = restrictApiKey(apiKey, { readOnly: true });
    expect(await resolveApiKey(store, restricted)).toBeUndefined();
    expect(await store.authenticate(apiKey)).toEqual(projectId);
    expect(await resolveApiKey(store, restricted)).toEqual({ projectId, caveats: [{ readOnly: true }] });
    await store.close();
    db.close();
  });
});
