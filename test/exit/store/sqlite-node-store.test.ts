import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeExitStore } from '../../../src/exit/node-store.js';
import { NODE_EXIT_SQLITE_SCHEMA_VERSION, SqliteNodeExitStore } from '../../../src/exit/node-store/sqlite.js';
import { NodeDatabase } from '../../../src/node/db/database.js';
import { NODE_DB_MIGRATIONS } from '../../../src/node/db/migrations.js';
import { sqliteSchemaVersion } from '../../../src/sql/migrations.js';
import { nodeExitStoreSuite } from '../../../src/testing/node-exit-store-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-node-exit-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const pathOf = new WeakMap<object, string>();
const satelliteId = () => new Uint8Array(32).map(() => Math.floor(Math.random() * 256));

nodeExitStoreSuite({
  name: 'SQLite',
  async open() {
    const path = join(dir, `exits-${++files}.db`);
    const store = await SqliteNodeExitStore.open({ path });
    pathOf.set(store, path);
    return store;
  },
  async reopen(store) {
    const path = pathOf.get(store)!;
    await store.close();
    const again = await SqliteNodeExitStore.open({ path });
    pathOf.set(again, path);
    return again;
  },
});

// The same contract, on the storage node's own database (the way a node runs it): closing the
// store under test closes the node database, since `exits.close()` leaves the connection open.
const nodeDatabases = new WeakMap<object, { db: NodeDatabase; path: string }>();
async function inNodeDatabase(path: string): Promise<NodeExitStore> {
  const db = await NodeDatabase.open({ path });
  const { exits } = db;
  const store: NodeExitStore = {
    start: (...args) => exits.start(...args),
    get: (...args) => exits.get(...args),
    list: () => exits.list(),
    history: (...args) => exits.history(...args),
    archive: (...args) => exits.archive(...args),
    addTransferred: (...args) => exits.addTransferred(...args),
    addFailed: (...args) => exits.addFailed(...args),
    addDeleted: (...args) => exits.addDeleted(...args),
    finish: (...args) => exits.finish(...args),
    markWiped: (...args) => exits.markWiped(...args),
    close: async () => {
      await exits.close();
      db.close();
    },
  };
  nodeDatabases.set(store, { db, path });
  return store;
}
nodeExitStoreSuite({
  name: 'SQLite, in the node database',
  open: () => inNodeDatabase(join(dir, `node-${++files}.db`)),
  async reopen(store) {
    const { path } = nodeDatabases.get(store)!;
    await store.close();
    return inNodeDatabase(path);
  },
});

describe('SQLite node exit store schema', () => {
  it('records its own schema version and migrates once, leaving a host-owned connection open', async () => {
    const db = new Database(join(dir, 'shared.db'));
    const first = await SqliteNodeExitStore.open({ database: db });
    const second = await SqliteNodeExitStore.open({ database: db });
    await first.close();
    await second.close();
    expect(db.open).toBe(true);
    expect(sqliteSchemaVersion(db, 'node_exit')).toBe(NODE_EXIT_SQLITE_SCHEMA_VERSION);
    db.close();
  });

  it('creates the same graceful_exit_status table as the node database migration', async () => {
    const standalone = new Database(join(dir, 'standalone.db'));
    await (await SqliteNodeExitStore.open({ database: standalone })).close();
    const node = await NodeDatabase.open({ path: join(dir, 'node-schema.db') });
    node.close();
    const migrated = new Database(join(dir, 'node-schema.db'), { readonly: true });
    const schema = (db: Database.Database) => ({
      sql: db.prepare(`SELECT sql FROM sqlite_master WHERE tbl_name IN ('graceful_exit_status', 'graceful_exit_history') ORDER BY name`).all(),
      columns: db.pragma('table_xinfo(graceful_exit_status)'),
      history: db.pragma('table_xinfo(graceful_exit_history)'),
    });
    expect(schema(migrated)).toEqual(schema(standalone));
    expect(schema(migrated).columns).not.toEqual([]);
    standalone.close();
    migrated.close();
  });
});

describe('NodeDatabase.exits', () => {
  it('works on a database made by the previous version (schema 2), keeping what it held', async () => {
    const path = join(dir, 'v2.db');
    const old = new Database(path);
    for (const step of NODE_DB_MIGRATIONS.slice(0, 2)) old.exec(step);
    old.pragma('user_version = 2');
    const trusted = satelliteId();
    old.prepare('INSERT INTO trusted_satellite (id, address, added_at) VALUES (?, ?, ?)').run(Buffer.from(trusted), 'sat:7777', 1);
    old.close();

    const db = await NodeDatabase.open({ path });
    try {
      expect(db.trustedSatellites()).toEqual([{ id: trusted, address: 'sat:7777', addedAt: 1 }]);
      const started = await db.exits.start(trusted, 5_000, 1_700_000_000_000);
      expect(started).toMatchObject({ state: 'exiting', startingBytes: 5_000 });
      await db.exits.addTransferred(trusted, 1_000);
      await db.exits.close(); // the node database owns the connection: still usable
      expect(await db.exits.get(trusted)).toMatchObject({ bytesTransferred: 1_000, piecesTransferred: 1 });
    } finally {
      db.close();
    }

    const reopened = await NodeDatabase.open({ path });
    try {
      expect((await reopened.exits.list()).map((s) => s.bytesTransferred)).toEqual([1_000]);
      const raw = new Database(path, { readonly: true });
      expect(raw.pragma('user_version', { simple: true })).toBe(NODE_DB_MIGRATIONS.length);
      raw.close();
    } finally {
      reopened.close();
    }
  });

  it('works on a database whose exits came before kinds and the archive (schema 3): each is a full exit by transfer', async () => {
    const path = join(dir, 'v3.db');
    const old = new Database(path);
    for (const step of NODE_DB_MIGRATIONS.slice(0, 3)) old.exec(step);
    old.pragma('user_version = 3');
    const id = satelliteId();
    old.prepare(`INSERT INTO graceful_exit_status (satellite_id, state, started_at, starting_bytes, finished_at, receipt) VALUES (?, 'completed', 1, 700, 2, X'01')`).run(Buffer.from(id));
    old.close();

    const db = await NodeDatabase.open({ path });
    try {
      expect(await db.exits.get(id)).toMatchObject({ state: 'completed', kind: 'full', targetBytes: null, policy: 'transfer', bandwidth: null, startingBytes: 700, archivedAt: null });
      expect(await db.exits.archive(id, 3)).toBe(true);
      expect(await db.exits.history(id)).toMatchObject([{ startingBytes: 700, archivedAt: 3 }]);
    } finally {
      db.close();
    }
  });
});
