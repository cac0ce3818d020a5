import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_QUEUE_SQLITE_SCHEMA_VERSION, SqliteExitQueueStore } from '../../../src/exit/store/sqlite.js';
import { openSatelliteStore } from '../../../src/satellite/store.js';
import { sqliteSchemaVersion } from '../../../src/sql/migrations.js';
import { exitQueueStoreSuite } from '../../../src/testing/exit-queue-store-suite.js';
import { queueCounterProperty } from './queue-store-property.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-exit-queue-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const pathOf = new WeakMap<object, string>();

exitQueueStoreSuite({
  name: 'SQLite',
  async open() {
    const path = join(dir, `exits-${++files}.db`);
    const store = await SqliteExitQueueStore.open({ path });
    pathOf.set(store, path);
    return store;
  },
  async reopen(store) {
    const path = pathOf.get(store)!;
    await store.close();
    const again = await SqliteExitQueueStore.open({ path });
    pathOf.set(again, path);
    return again;
  },
});

queueCounterProperty(() => SqliteExitQueueStore.open({ path: join(dir, 'property.db') }));

describe('SQLite exit queue store schema', () => {
  it('records its own schema version and migrates once, leaving a host-owned connection open', async () => {
    const db = new Database(join(dir, 'shared.db'));
    const first = await SqliteExitQueueStore.open({ database: db });
    const second = await SqliteExitQueueStore.open({ database: db });
    await first.close();
    await second.close();
    expect(db.open).toBe(true);
    expect(sqliteSchemaVersion(db, 'exit_queue')).toBe(EXIT_QUEUE_SQLITE_SCHEMA_VERSION);
    db.close();
  });

  it('refuses a database written by newer code', async () => {
    const db = new Database(join(dir, 'newer.db'));
    await (await SqliteExitQueueStore.open({ database: db })).close();
    db.prepare(`UPDATE handoff_schema_versions SET version = 99 WHERE store = 'exit_queue'`).run();
    await expect(SqliteExitQueueStore.open({ database: db })).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    db.close();
  });

  it('orders the next items from its index, not by sorting the whole queue', async () => {
    const db = new Database(join(dir, 'plan.db'));
    await (await SqliteExitQueueStore.open({ database: db })).close();
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT * FROM exit_queue WHERE node_id = ? AND NOT (piece_id IN (SELECT unhex(value) FROM json_each(?)))
        ORDER BY drop_piece DESC, durability, piece_id LIMIT 10`)
      .all(Buffer.alloc(32), '[]') as { detail: string }[];
    const details = plan.map((row) => row.detail).join('\n');
    expect(details).toContain('exit_queue_next');
    expect(details).not.toContain('TEMP B-TREE FOR ORDER BY');
    db.close();
  });
});

describe('satellite store: exits', () => {
  it("keeps exits in the satellite's one SQLite file, next to its other stores, across a reopen", async () => {
    const where = join(dir, 'satellite');
    const nodeId = new Uint8Array(32).fill(3);
    const first = await openSatelliteStore({ kind: 'sqlite', dir: where });
    const { record } = await first.exits.startExit(nodeId, 1_700_000_000_000);
    await first.close();

    const again = await openSatelliteStore({ kind: 'sqlite', dir: where });
    try {
      expect(await again.exits.getExit(nodeId)).toEqual(record);
    } finally {
      await again.close();
    }
    const db = new Database(join(where, 'satellite.db'), { readonly: true });
    expect(sqliteSchemaVersion(db, 'exit_queue')).toBe(EXIT_QUEUE_SQLITE_SCHEMA_VERSION);
    expect(sqliteSchemaVersion(db, 'overlay')).toBeGreaterThan(0);
    db.close();
  });
});
