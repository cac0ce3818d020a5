/**
 * A non-recursive listing of a bucket of folders reads O(folders + page) rows: after each folder
 * the scan seeks past its contents instead of reading them (issue 18: one query of 1,001 rows per
 * folder, 100 folders in 4 s). The listing runs over the real SQL scan of each dialect, with a
 * scan that counts the queries it issues and the rows they return.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../../../src/core/bytes.js';
import { listObjectsPage, type ListScan } from '../../../src/metainfo/metabase/listing.js';
import type { ListObjects } from '../../../src/metainfo/metabase/port.js';
import { objectFromRow, type Row } from '../../../src/metainfo/metabase/sql/rows.js';
import { scanStep } from '../../../src/metainfo/metabase/sql/scan.js';
import type { SqlDialect } from '../../../src/metainfo/metabase/sql/schema.js';
import { projectA } from '../../../src/testing/metabase-store/fixtures.js';
import { loadedPostgresBucket, loadedSqliteBucket, namedParameters } from '../../support/bulk-buckets.js';
import { describeWith } from '../../support/env.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from '../../support/postgres.js';

// Keys folder-0000/object-00000001 … folder-0100/object-00020000: 101 folders of up to 200 objects.
const COUNT = 20_000;
const FOLDER_SIZE = 200;
const FOLDERS = Math.floor(COUNT / FOLDER_SIZE) + 1;
const PAGE = 1000;
const location = { projectId: projectA, bucket: 'photos' };
const folderName = (n: number) => `folder-${String(n).padStart(4, '0')}/`;

type Query = (text: string, params: readonly unknown[]) => Promise<Row[]>;

/** The dialect's real scan, counting queries and rows returned. */
function countingScan(dialect: SqlDialect, query: Query) {
  const counts = { queries: 0, rows: 0 };
  const scan: ListScan = async (q) => {
    const { statement, values } = scanStep(location, q, dialect);
    const rows = await query(statement.text, values);
    counts.queries++;
    counts.rows += rows.length;
    return rows.map(objectFromRow);
  };
  return { scan, counts };
}

function story(dialect: SqlDialect, open: () => { query: Query }) {
  const list = (o: Partial<ListObjects>): ListObjects => ({ ...location, prefix: new Uint8Array(), recursive: false, limit: PAGE, ...o });

  it(`lists ${FOLDERS} folders in one page with one short query per folder`, async () => {
    const { scan, counts } = countingScan(dialect, open().query);
    const page = await listObjectsPage(list({}), scan);
    expect(page.entries.map((e) => (e.kind === 'prefix' ? fromUtf8(e.key) : 'object'))).toEqual(Array.from({ length: FOLDERS }, (_, i) => folderName(i)));
    expect(page.more).toBeUndefined();
    // The first query asks for a page (it cannot know the bucket is all folders); then ≤ 3 rows a folder.
    expect(counts.queries).toBeLessThanOrEqual(FOLDERS + 1);
    expect(counts.rows).toBeLessThanOrEqual(PAGE + 1 + 3 * FOLDERS);
  });

  it('pages through the folders with small pages at the same cost per folder', async () => {
    const { scan, counts } = countingScan(dialect, open().query);
    const seen: string[] = [];
    let cursor: Uint8Array | undefined;
    for (let pages = 0; pages < FOLDERS; pages++) {
      const page = await listObjectsPage(list({ limit: 7, cursor }), scan);
      seen.push(...page.entries.map((e) => (e.kind === 'prefix' ? fromUtf8(e.key) : 'object')));
      if (page.more === undefined) break;
      cursor = page.more;
    }
    expect(seen).toEqual(Array.from({ length: FOLDERS }, (_, i) => folderName(i)));
    const pages = Math.ceil(FOLDERS / 7);
    expect(counts.rows).toBeLessThanOrEqual(pages * 8 + 3 * (FOLDERS + pages));
  });

  it('reads a page of objects inside a folder in one query', async () => {
    const { scan, counts } = countingScan(dialect, open().query);
    const page = await listObjectsPage(list({ prefix: utf8(folderName(3)), limit: 100 }), scan);
    expect(page.entries).toHaveLength(100);
    expect(page.entries.every((e) => e.kind === 'object')).toBe(true);
    expect(counts).toEqual({ queries: 1, rows: 101 });
  });
}

describe('folder listing (SQLite)', () => {
  let dir: string;
  let db: Database.Database;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'handoff-listing-folders-'));
    db = await loadedSqliteBucket(join(dir, 'metabase.db'), location, { count: COUNT, folderSize: FOLDER_SIZE });
  });
  afterAll(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  story('sqlite', () => ({
    query: async (text, params) => db.prepare(namedParameters(text)).all(Object.fromEntries(params.map((p, i) => [`p${i + 1}`, p]))) as Row[],
  }));
});

describeWith('PostgreSQL', postgresUnavailable, 'folder listing (PostgreSQL)', () => {
  let db: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase();
    client = await loadedPostgresBucket(db.url, location, { count: COUNT, folderSize: FOLDER_SIZE });
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  story('postgres', () => ({ query: async (text, params) => (await client.query(text, [...params])).rows as Row[] }));
});

