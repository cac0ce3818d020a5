import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SQLITE_METABASE_SCHEMA_VERSION, SqliteMetabaseStore } from '../../../src/metainfo/metabase/sqlite.js';
import type { SegmentRecord } from '../../../src/metainfo/metabase/types.js';
import { metabaseStoreSuite } from '../../../src/testing/metabase-store-suite.js';
import { openSqliteFile } from '../../../src/sql/sqlite.js';
import { at, begin, buckets, commit, newStreamId, pieces, upload, T0 } from '../../../src/testing/metabase-store/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-metabase-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = () => join(dir, `metabase-${files++}.db`);

metabaseStoreSuite({ name: 'SQLite', setup: () => SqliteMetabaseStore.open({ path: freshPath() }) });

describe('SQLite metabase file', () => {
  it('is a WAL-mode file at the current schema version that two stores share', async () => {
    const path = freshPath();
    const first = await SqliteMetabaseStore.open({ path });
    const second = await SqliteMetabaseStore.open({ path });
    await buckets(first, ['photos']);
    const v1 = await upload(first, at('a'));
    // The second connection sees the first one's commits and continues its versions.
    expect(await second.getObject(at('a'))).toEqual(v1);
    expect((await upload(second, at('a'))).version).toBe(2);
    expect((await first.getObject(at('a')))?.version).toBe(2);
    await first.close();
    await second.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.prepare('SELECT MAX(version) AS v FROM metabase_migrations').get()).toEqual({ v: SQLITE_METABASE_SCHEMA_VERSION });
    raw.close();
  });

  it('runs on a connection the host owns, beside other tables, and leaves it open when closed', async () => {
    const path = freshPath();
    const database = openSqliteFile(path);
    database.exec('CREATE TABLE host_table (id INTEGER PRIMARY KEY)');
    const store = await SqliteMetabaseStore.open({ database });
    await buckets(store, ['photos']);
    const v1 = await upload(store, at('a'));
    database.prepare('INSERT INTO host_table (id) VALUES (1)').run();
    await store.close();
    expect(database.open).toBe(true);
    expect(database.prepare('SELECT count(*) AS n FROM host_table').get()).toEqual({ n: 1 });
    // Reopened on the same connection: already migrated, the data is there.
    const again = await SqliteMetabaseStore.open({ database });
    expect(await again.getObject(at('a'))).toEqual(v1);
    await again.close();
    database.close();
    const reopened = await SqliteMetabaseStore.open({ path });
    expect(await reopened.getObject(at('a'))).toEqual(v1);
    await reopened.close();
  });

  it('refuses a database written by a newer version of the code', async () => {
    const path = freshPath();
    await (await SqliteMetabaseStore.open({ path })).close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO metabase_migrations (version) VALUES (?)').run(SQLITE_METABASE_SCHEMA_VERSION + 1);
    raw.close();
    await expect(SqliteMetabaseStore.open({ path })).rejects.toMatchObject({ name: 'FailedPreconditionError' });
  });

  it('bulk-inserts many segments in one transaction, which a commit then orders and sums', async () => {
    const store = await SqliteMetabaseStore.open({ path: freshPath() });
    await buckets(store, ['photos']);
    const loc = at('big');
    const streamId = newStreamId();
    await store.beginObject(begin(loc, streamId));
    const count = 20_000;
    const template: SegmentRecord = {
      streamId, position: { part: 0, index: 0 }, createdAt: T0, expiresAt: undefined, rootPieceId: new Uint8Array(32).fill(1),
      encryptedKey: new Uint8Array(48), encryptedKeyNonce: new Uint8Array(24), encryptedSize: 80, plainSize: 64, plainOffset: 0,
      redundancy: undefined, pieces: pieces(0, 1, 2), inlineData: undefined,
    };
    const inserted = store.bulkInsertSegments((function* () {
      for (let index = count - 1; index >= 0; index--) yield { ...template, position: { part: index % 2, index } };
    })());
    expect(inserted).toBe(count);
    const object = await store.commitObject(commit(loc, streamId, { maxSegments: count }));
    expect(object).toMatchObject({ segmentCount: count, totalPlainSize: 64 * count, totalEncryptedSize: 80 * count });
    const last = await store.getSegment(streamId, { part: 1, index: count - 1 });
    expect(last?.plainOffset).toBe(64 * (count - 1));
    expect(last?.pieces).toEqual(pieces(0, 1, 2));
    // A taken position fails the whole batch.
    expect(() => store.bulkInsertSegments([{ ...template, position: { part: 3, index: 0 } }, { ...template, position: { part: 0, index: 0 } }])).toThrow(
      expect.objectContaining({ name: 'AlreadyExistsError' }),
    );
    expect(await store.getSegment(streamId, { part: 3, index: 0 })).toBeUndefined();
    await store.close();
  });
});
