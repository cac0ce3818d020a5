/**
 * The listing's scan keeps one plan whatever the statistics say: on a freshly loaded bucket (no
 * ANALYZE yet) and after ANALYZE, every scan variant reads the bucket once, as one range of the
 * (project, bucket, key, version, stream) index in listing order — never a join, a sort, or a
 * rescan of the bucket per row (issue 18: a NOT EXISTS became a nested-loop anti-join that
 * rescanned 100,000 rows per entry). Structural checks of EXPLAIN output, not timings.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../../src/core/bytes.js';
import type { ScanQuery } from '../../../src/metainfo/metabase/listing.js';
import { scanStep } from '../../../src/metainfo/metabase/sql/scan.js';
import { projectA } from '../../../src/testing/metabase-store/fixtures.js';
import { loadedPostgresBucket, loadedSqliteBucket, namedParameters } from '../../support/bulk-buckets.js';
import { describeWith } from '../../support/env.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from '../../support/postgres.js';

const COUNT = 20_000;
const VERSIONS = 2;
const LIMIT = 101;
const location = { projectId: projectA, bucket: 'photos' };
const key = (n: number) => utf8(`objects/${String(n).padStart(8, '0')}`);

/** Every shape of scan the listing issues, starting deep in the bucket. */
function scanQueries(): { label: string; query: ScanQuery }[] {
  const starts = [
    { label: 'from', start: { mode: 'from', key: key(COUNT / 2) } },
    { label: 'after', start: { mode: 'after', key: key(COUNT / 2) } },
    { label: 'entry', start: { mode: 'after', key: key(COUNT / 2), version: { version: VERSIONS, streamId: new Uint8Array(16) } } },
  ] as const;
  const out: { label: string; query: ScanQuery }[] = [];
  for (const { label, start } of starts) {
    for (const end of [undefined, utf8('objects0')]) {
      for (const allVersions of [false, true]) {
        for (const includePending of [false, true]) {
          out.push({
            label: `${label} ${end ? 'bounded' : 'open'} ${allVersions ? 'all' : 'latest'}${includePending ? '+pending' : ''}`,
            query: { start, end, limit: LIMIT, allVersions, includePending },
          });
        }
      }
    }
  }
  return out;
}

interface PgPlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Join Type'?: string;
  'Parent Relationship'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: PgPlanNode[];
}

function nodes(plan: PgPlanNode): PgPlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** What is wrong with a PostgreSQL scan plan for the listing, as readable lines (empty when nothing). */
function pgProblems(plan: PgPlanNode): string[] {
  const all = nodes(plan);
  const problems = all
    .filter((n) => n['Join Type'] !== undefined || n['Parent Relationship'] === 'SubPlan' || n['Parent Relationship'] === 'InitPlan' || /Sort/.test(n['Node Type']))
    .map((n) => `${n['Node Type']}${n['Join Type'] ? ` (${n['Join Type']})` : ''}${n['Parent Relationship'] ? ` as ${n['Parent Relationship']}` : ''}`);
  const scans = all.filter((n) => n['Relation Name'] === 'metabase_objects');
  if (scans.length !== 1) problems.push(`${scans.length} scans of metabase_objects`);
  for (const scan of scans) {
    if (scan['Index Name'] !== 'metabase_objects_by_key') problems.push(`${scan['Node Type']} on ${scan['Index Name'] ?? 'the table'}`);
    // Rows the scan read: a page's worth (all versions of each key), never the bucket.
    const read = (scan['Actual Rows'] ?? 0) * (scan['Actual Loops'] ?? 1);
    if (read > 2 * VERSIONS * LIMIT + 2) problems.push(`read ${read} rows for a page of ${LIMIT}`);
  }
  return problems;
}

describeWith('PostgreSQL', postgresUnavailable, 'listing plan (PostgreSQL)', () => {
  let db: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase();
    // This is a scratch database: keep autovacuum from analyzing the table behind the test's back.
    client = await loadedPostgresBucket(db.url, location, { count: COUNT, versions: VERSIONS, pending: 50 }, (c) =>
      c.query('ALTER TABLE metabase_objects SET (autovacuum_enabled = false)'),
    );
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  async function statistics(): Promise<number> {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM pg_stats WHERE tablename = 'metabase_objects'`);
    return rows[0].n as number;
  }

  async function problemsOfEveryScan(generic: boolean): Promise<Record<string, string[]>> {
    const found: Record<string, string[]> = {};
    await client.query(`SET plan_cache_mode = ${generic ? 'force_generic_plan' : 'auto'}`);
    for (const { label, query } of scanQueries()) {
      const { statement, values: params } = scanStep(location, query, 'postgres');
      let rows: { 'QUERY PLAN': [{ Plan: PgPlanNode }] }[];
      if (generic) {
        // A prepared statement's generic plan: the one a pool serves after a few executions.
        await client.query(`PREPARE scan_plan AS ${statement.text}`);
        ({ rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE scan_plan(${params.map(literal).join(', ')})`));
        await client.query('DEALLOCATE scan_plan');
      } else {
        ({ rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement.text}`, [...params]));
      }
      found[label] = pgProblems(rows[0]!['QUERY PLAN'][0].Plan);
    }
    return found;
  }

  const clean = Object.fromEntries(scanQueries().map(({ label }) => [label, []]));

  it('reads one index range in listing order on a freshly loaded bucket, then after ANALYZE', async () => {
    expect(await statistics()).toBe(0);
    expect(await problemsOfEveryScan(false)).toEqual(clean);
    expect(await problemsOfEveryScan(true)).toEqual(clean);
    await client.query('ANALYZE metabase_objects');
    expect(await statistics()).toBeGreaterThan(0);
    expect(await problemsOfEveryScan(false)).toEqual(clean);
    expect(await problemsOfEveryScan(true)).toEqual(clean);
  }, 60_000);
});

describe('listing plan (SQLite)', () => {
  let dir: string;
  let db: Database.Database;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'handoff-listing-plan-'));
    db = await loadedSqliteBucket(join(dir, 'metabase.db'), location, { count: COUNT, versions: VERSIONS, pending: 50 });
  });
  afterAll(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What is wrong with a SQLite query plan for the listing (empty when nothing). */
  function problemsOfEveryScan(): Record<string, string[]> {
    const found: Record<string, string[]> = {};
    for (const { label, query } of scanQueries()) {
      const { statement, values: params } = scanStep(location, query, 'sqlite');
      const args = Object.fromEntries(params.map((p, i) => [`p${i + 1}`, p]));
      const details = (named(db, `EXPLAIN QUERY PLAN ${statement.text}`).all(args) as { detail: string }[]).map((r) => r.detail);
      const problems = details.filter((d) =>
        /^SCAN|TEMP B-TREE|AUTOMATIC/.test(d) ||
        (/^SEARCH o /.test(d) && !/USING INDEX metabase_objects_by_key \(project_id=\? AND bucket_name=\? AND object_key>\?/.test(d)) ||
        // The latest-version check probes one key, never the bucket.
        (/^SEARCH n /.test(d) && !/object_key=\?/.test(d)));
      if (!details.some((d) => /^SEARCH o USING INDEX metabase_objects_by_key/.test(d))) problems.push(`no index range: ${details.join(' | ')}`);
      found[label] = problems;
    }
    return found;
  }

  it('reads one index range in listing order and probes one key per row, before and after ANALYZE', () => {
    const clean = Object.fromEntries(scanQueries().map(({ label }) => [label, []]));
    expect(db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'`).get()).toEqual({ n: 0 });
    expect(problemsOfEveryScan()).toEqual(clean);
    db.exec('ANALYZE');
    expect(db.prepare(`SELECT count(*) AS n FROM sqlite_stat1 WHERE tbl = 'metabase_objects'`).get()).not.toEqual({ n: 0 });
    expect(problemsOfEveryScan()).toEqual(clean);
  });
});

/** A parameter as a PostgreSQL literal (EXECUTE takes no bound parameters). */
function literal(value: unknown): string {
  if (value instanceof Uint8Array) return `'\\x${Buffer.from(value).toString('hex')}'::bytea`;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new TypeError(`unexpected scan parameter ${String(value)}`);
}

/** Prepares `text` with the store's `$n` placeholders as better-sqlite3 named parameters `@pn`. */
function named(db: Database.Database, text: string): Database.Statement {
  return db.prepare(namedParameters(text));
}
