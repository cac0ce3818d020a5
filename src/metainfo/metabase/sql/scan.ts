/**
 * The listing's range scan in SQL (see listing.ts for what it must return). The statement varies
 * with the dialect, the start mode, the upper bound and the visibility, so each of those
 * combinations is one named, prepared statement.
 *
 * Picking each key's latest version must not depend on the planner's luck: the obvious
 * `NOT EXISTS (a newer committed row)` becomes, in PostgreSQL without statistics (a freshly loaded
 * bucket), a nested-loop anti-join that rescans the bucket for every row — seconds for ten
 * entries. So each dialect gets the form its planner cannot turn into a join (docs/scaling.md):
 *
 * - PostgreSQL: one index range scan in listing order, numbered per key by a window function.
 *   Committed versions are ≥ 1 and pending streams are version 0, so a key's first row in
 *   (version DESC, stream) order is its latest committed version when it is committed. No join
 *   exists to be chosen badly; the plan is the same with or without ANALYZE.
 * - SQLite: the correlated NOT EXISTS, which SQLite never decorrelates: it probes the
 *   committed-version index once per row. (SQLite would sort a window's output again.)
 */
import { utf8 } from '../../../core/bytes.js';
import type { ScanQuery } from '../listing.js';
import type { ListObjects } from '../port.js';
import type { Step } from './plan.js';
import { columnList, OBJECT_COLUMNS, type SqlValue } from './rows.js';
import type { SqlDialect } from './schema.js';
import { OBJECTS } from './statements.js';

/** SQLite: committed rows no committed row of the same key outranks. */
const LATEST_PROBE = `o.status = 'committed' AND NOT EXISTS (SELECT 1 FROM ${OBJECTS} AS n
  WHERE n.project_id = o.project_id AND n.bucket_name = o.bucket_name AND n.object_key = o.object_key
    AND n.status = 'committed' AND n.version > o.version)`;

/** PostgreSQL: committed rows that come first of their key (`key_rank` from the numbered range). */
const LATEST_RANKED = `o.status = 'committed' AND o.key_rank = 1`;

/** The listing order, which the (project, bucket, key, version DESC, stream) index already has. */
const ORDER = 'ORDER BY o.object_key, o.version DESC, o.stream_id';

export function scanStep(list: Pick<ListObjects, 'projectId' | 'bucket'>, query: ScanQuery, dialect: SqlDialect): Step {
  const params: SqlValue[] = [list.projectId, utf8(list.bucket)];
  const param = (value: SqlValue): string => `$${params.push(value)}`;
  const range = ['o.project_id = $1', 'o.bucket_name = $2'];
  // Conditions on a row's place inside its key; the PostgreSQL form applies them after numbering.
  const within: string[] = [];
  const { start } = query;
  let variant: string;
  if (start.mode === 'from') {
    range.push(`o.object_key >= ${param(start.key)}`);
    variant = 'from';
  } else if (start.version === undefined) {
    range.push(`o.object_key > ${param(start.key)}`);
    variant = 'after';
  } else {
    // (key, version descending, streamId) > (cursor key, version, streamId); the first term bounds the index range.
    const k = param(start.key);
    const v = param(start.version.version);
    const s = param(start.version.streamId);
    range.push(`o.object_key >= ${k}`);
    within.push(`(o.object_key > ${k} OR o.version < ${v} OR (o.version = ${v} AND o.stream_id > ${s}))`);
    variant = 'entry';
  }
  if (query.end !== undefined) range.push(`o.object_key < ${param(query.end)}`);
  const ranked = dialect === 'postgres' && !query.allVersions;
  const committed = query.allVersions ? `o.status = 'committed'` : ranked ? LATEST_RANKED : LATEST_PROBE;
  within.push(query.includePending ? `((${committed}) OR o.status = 'pending')` : `(${committed})`);
  const limit = `LIMIT ${param(query.limit)}`;
  const text = ranked
    ? // The whole range is numbered (every row of the cursor's key included), then filtered.
      `SELECT ${columnList(OBJECT_COLUMNS, 'o')} FROM (SELECT ${columnList(OBJECT_COLUMNS, 'o')},
        row_number() OVER (PARTITION BY o.object_key ORDER BY o.version DESC, o.stream_id) AS key_rank
        FROM ${OBJECTS} AS o WHERE ${range.join(' AND ')}) AS o
      WHERE ${within.join(' AND ')} ${ORDER} ${limit}`
    : `SELECT ${columnList(OBJECT_COLUMNS, 'o')} FROM ${OBJECTS} AS o WHERE ${[...range, ...within].join(' AND ')} ${ORDER} ${limit}`;
  const visibility = `${query.allVersions ? 'all' : 'latest'}_${query.includePending ? 'pending' : 'committed'}`;
  const name = `metabase_scan_${ranked ? 'ranked_' : ''}${variant}_${query.end === undefined ? 'open' : 'bounded'}_${visibility}`;
  return { statement: { name, text: text.replace(/\s+/g, ' ') }, values: params };
}
