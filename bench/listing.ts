/**
 * Listing at scale (issue 18): one bucket of 1,000,000 objects, bulk-loaded into a fresh database
 * (PostgreSQL: INSERT … SELECT generate_series; SQLite: a recursive CTE) so no statistics exist.
 * Measures the first page of 1,000 and a page 500,000 keys deep through the store's own
 * listObjects, before and after ANALYZE, against a bare read of the same index range (1,001 rows,
 * no latest-version filter) in the same run; and a non-recursive listing of 100 folders of 1,000.
 * PostgreSQL also runs the previous NOT EXISTS form once, under a statement timeout.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { utf8 } from '../src/core/bytes.js';
import type { ListObjects, MetabaseStore } from '../src/metainfo/metabase/port.js';
import { PostgresMetabaseStore } from '../src/metainfo/metabase/postgres.js';
import { columnList, OBJECT_COLUMNS } from '../src/metainfo/metabase/sql/rows.js';
import { scanStep } from '../src/metainfo/metabase/sql/scan.js';
import { SqliteMetabaseStore } from '../src/metainfo/metabase/sqlite.js';
import { bulkObjectStatements } from '../test/support/bulk-objects.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { fmt, serverVersion, type BenchRow, type BenchSection } from './lib.js';

const OBJECTS = 1_000_000;
const FOLDER_OBJECTS = 99_999; // folder-0000 … folder-0099, 1,000 objects each (the first 999)
const PAGE = 1000;
const RUNS = 5;
const projectId = new Uint8Array(16).fill(7);
const key = (n: number) => utf8(`objects/${String(n).padStart(8, '0')}`);

/** Median milliseconds of `RUNS` calls of `fn`, after one unmeasured call. */
async function medianMs(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

interface Subject {
  readonly name: string;
  readonly store: MetabaseStore;
  /** Runs one SQL text with `$n` parameters and returns its rows. */
  readonly query: (text: string, params: readonly unknown[]) => Promise<unknown[]>;
  readonly analyze: () => Promise<void>;
}

const list = (o: Partial<ListObjects>): ListObjects => ({ projectId, bucket: 'flat', prefix: utf8('objects/'), recursive: true, limit: PAGE, ...o });

/** The same index range and columns the listing reads, without the latest-version filter: the floor. */
function bareRange(subject: Subject, from: Uint8Array): Promise<unknown[]> {
  return subject.query(
    `SELECT ${columnList(OBJECT_COLUMNS)} FROM metabase_objects WHERE project_id = $1 AND bucket_name = $2 AND object_key > $3
      ORDER BY object_key, version DESC, stream_id LIMIT $4`,
    [projectId, utf8('flat'), from, PAGE + 1],
  );
}

async function measure(subject: Subject, rows: BenchRow[]): Promise<void> {
  for (const phase of ['no statistics', 'after ANALYZE'] as const) {
    if (phase === 'after ANALYZE') await subject.analyze();
    for (const [where, cursor] of [['first page', undefined], ['page at object 500,000', key(OBJECTS / 2)]] as const) {
      let entries = 0;
      const ms = await medianMs(async () => {
        entries = (await subject.store.listObjects(list({ cursor }))).entries.length;
      });
      if (entries !== PAGE) throw new Error(`${subject.name}: listed ${entries} entries, expected ${PAGE}`);
      const bare = await medianMs(() => bareRange(subject, cursor ?? utf8('objects/')));
      rows.push({
        name: `${subject.name}: ${where} of ${fmt(PAGE)}, 1,000,000 objects, ${phase}`,
        value: `${fmt(ms, 1)} ms`,
        baseline: `bare index range of 1,001 rows ${fmt(bare, 1)} ms`,
        ratio: bare / ms,
        goal: '≤ 100 ms',
      });
    }
  }
  const ms = await medianMs(async () => {
    const page = await subject.store.listObjects({ projectId, bucket: 'folders', prefix: new Uint8Array(), recursive: false, limit: PAGE });
    if (page.entries.length !== 100) throw new Error(`${subject.name}: listed ${page.entries.length} folders, expected 100`);
  });
  const objects = await medianMs(() => subject.store.listObjects(list({})));
  rows.push({
    name: `${subject.name}: non-recursive listing of 100 folders × 1,000 objects`,
    value: `${fmt(ms, 1)} ms`,
    baseline: `a page of 1,000 objects ${fmt(objects, 1)} ms`,
    ratio: objects / ms,
    goal: '',
  });
}

async function load(store: MetabaseStore, run: (text: string, params: readonly unknown[]) => Promise<unknown>): Promise<void> {
  for (const [bucket, spec] of [['flat', { count: OBJECTS }], ['folders', { count: FOLDER_OBJECTS, folderSize: 1000 }]] as const) {
    await store.createBucket({ projectId, name: bucket, createdAt: 0 });
    for (const text of bulkObjectStatements(store instanceof PostgresMetabaseStore ? 'postgres' : 'sqlite', spec)) await run(text, [projectId, utf8(bucket)]);
  }
}

async function sqlite(rows: BenchRow[], notes: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-bench-listing-'));
  const path = join(dir, 'metabase.db');
  const named = (text: string) => text.replace(/\$(\d+)/g, '@p$1');
  const args = (params: readonly unknown[]) => Object.fromEntries(params.map((p, i) => [`p${i + 1}`, p]));
  try {
    const store = await SqliteMetabaseStore.open({ path });
    const db = new Database(path);
    try {
      const start = performance.now();
      await load(store, async (text, params) => db.prepare(named(text)).run(args(params)));
      notes.push(`SQLite: loaded ${fmt(OBJECTS + FOLDER_OBJECTS)} objects in ${fmt((performance.now() - start) / 1000, 1)} s.`);
      await measure({
        name: 'SQLite',
        store,
        query: async (text, params) => db.prepare(named(text)).all(args(params)),
        analyze: async () => void db.exec('ANALYZE'),
      }, rows);
    } finally {
      db.close();
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres(rows: BenchRow[], notes: string[]): Promise<void> {
  const db = await createTestDatabase();
  const client = new pg.Client({ connectionString: db.url });
  client.on('error', () => {});
  try {
    const store = await PostgresMetabaseStore.open({ connectionString: db.url, maxConnections: 2 });
    await client.connect();
    try {
      // A scratch database: autovacuum must not analyze the table before the "no statistics" runs.
      await client.query('ALTER TABLE metabase_objects SET (autovacuum_enabled = false)');
      const start = performance.now();
      await load(store, (text, params) => client.query(text, [...params]));
      notes.push(`PostgreSQL ${(await serverVersion(db.url)) ?? ''}: loaded ${fmt(OBJECTS + FOLDER_OBJECTS)} objects in ${fmt((performance.now() - start) / 1000, 1)} s.`);
      // The previous statement (SQLite's NOT EXISTS form), once, on the unanalyzed table.
      const old = scanStep(list({}), { start: { mode: 'from', key: utf8('objects/') }, end: utf8('objects0'), limit: PAGE + 1, includePending: false, allVersions: false }, 'sqlite');
      await client.query(`SET statement_timeout = '10s'`);
      const oldStart = performance.now();
      const oldMs = await client.query(old.statement.text, [...old.values]).then(() => performance.now() - oldStart, () => undefined);
      await client.query('RESET statement_timeout');
      await measure({
        name: 'PostgreSQL',
        store,
        query: async (text, params) => (await client.query(text, [...params])).rows,
        analyze: async () => void (await client.query('ANALYZE metabase_objects')),
      }, rows);
      notes.push(`PostgreSQL, the previous NOT EXISTS form, first page with no statistics: ${oldMs === undefined ? 'cancelled by a 10 s statement timeout' : `${fmt(oldMs, 1)} ms`}.`);
    } finally {
      await client.end();
      await store.close();
    }
  } finally {
    await db.drop();
  }
}

export async function benchListing(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const loadBefore = os.loadavg()[0]!;
  await sqlite(rows, notes);
  if (process.env.HANDOFF_PG_URL) await postgres(rows, notes);
  else notes.push('PostgreSQL not measured: HANDOFF_PG_URL is not set.');
  notes.unshift(`Median of ${RUNS} runs after one unmeasured run; one process; load average ${fmt(loadBefore, 2)} → ${fmt(os.loadavg()[0]!, 2)} (the machine is shared).`);
  return { title: 'Listing at scale (issue 18)', rows, notes };
}
