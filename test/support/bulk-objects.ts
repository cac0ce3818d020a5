/**
 * Loads many committed objects into a metabase bucket with one INSERT … SELECT (PostgreSQL:
 * generate_series; SQLite: a recursive CTE), for the listing bench and the listing-plan test:
 * a million rows through the store's API would take minutes, and the point is a freshly loaded
 * table that no statistics describe yet.
 *
 * Keys are `objects/00000001`… or, with `folderSize`, `folder-0000/object-00000001`… (so a
 * non-recursive listing of the bucket shows `count / folderSize` folders). Every key gets
 * `versions` committed versions (1…versions) and the first `pending` keys one pending stream.
 */
import type { SqlDialect } from '../../src/metainfo/metabase/sql/schema.js';

export interface BulkObjects {
  readonly count: number;
  readonly versions?: number;
  readonly pending?: number;
  readonly folderSize?: number;
}

const COLUMNS = `stream_id, project_id, bucket_name, object_key, version, status, created_at, segment_count, total_plain_size,
  total_encrypted_size, rs_share_size, rs_required, rs_repair, rs_success, rs_total, cipher_suite, block_size`;
const CONSTANTS = `0, 1, 100, 116, 256, 4, 6, 8, 10, 'aes-256-gcm', 65520`;

function whole(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`"${name}" expected a whole number, got ${n}`);
  return n;
}

/**
 * The statements that load `spec` into the bucket ($1 = project id, $2 = bucket name as bytes),
 * in order. The bucket row must exist.
 */
export function bulkObjectStatements(dialect: SqlDialect, spec: BulkObjects): string[] {
  const count = whole(spec.count, 'count');
  const versions = whole(spec.versions ?? 1, 'versions');
  const pending = whole(spec.pending ?? 0, 'pending');
  const folderSize = spec.folderSize === undefined ? undefined : whole(spec.folderSize, 'folderSize');
  if (dialect === 'postgres') {
    const key = folderSize === undefined
      ? `convert_to('objects/' || lpad(g::text, 8, '0'), 'UTF8')`
      : `convert_to('folder-' || lpad((g / ${folderSize})::text, 4, '0') || '/object-' || lpad(g::text, 8, '0'), 'UTF8')`;
    const rows = (status: string, version: string, last: number, series: string) =>
      `INSERT INTO metabase_objects (${COLUMNS}) SELECT uuid_send(gen_random_uuid()), $1, $2, ${key}, ${version}, '${status}', ${CONSTANTS}
        FROM generate_series(1, ${last}) AS g${series}`;
    return [
      rows('committed', 'v', count, `, generate_series(1, ${versions}) AS v`),
      ...(pending > 0 ? [rows('pending', '0', pending, '')] : []),
    ];
  }
  const key = folderSize === undefined
    ? `CAST(printf('objects/%08d', g.n) AS BLOB)`
    : `CAST(printf('folder-%04d/object-%08d', g.n / ${folderSize}, g.n) AS BLOB)`;
  const rows = (status: string, version: string, last: number, series: string) =>
    `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${last}),
      v(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM v WHERE n < ${versions})
    INSERT INTO metabase_objects (${COLUMNS}) SELECT randomblob(16), $1, $2, ${key}, ${version}, '${status}', ${CONSTANTS} FROM g${series}`;
  return [
    rows('committed', 'v.n', count, ', v'),
    ...(pending > 0 ? [rows('pending', '0', pending, '')] : []),
  ];
}
