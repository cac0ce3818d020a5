/**
 * The listing's range scan in SQL (see listing.ts for what it must return). The statement varies
 * with the start mode, the upper bound and the visibility, so each of those combinations is one
 * named, prepared statement.
 */
import { utf8 } from '../../../core/bytes.js';
import type { ScanQuery } from '../listing.js';
import type { ListObjects } from '../port.js';
import type { Step } from './plan.js';
import { columnList, OBJECT_COLUMNS, type SqlValue } from './rows.js';
import { OBJECTS } from './statements.js';

/** Committed rows no committed row of the same key outranks: the latest version of each key. */
const LATEST = `o.status = 'committed' AND NOT EXISTS (SELECT 1 FROM ${OBJECTS} AS n
  WHERE n.project_id = o.project_id AND n.bucket_name = o.bucket_name AND n.object_key = o.object_key
    AND n.status = 'committed' AND n.version > o.version)`;

export function scanStep(list: Pick<ListObjects, 'projectId' | 'bucket'>, query: ScanQuery): Step {
  const params: SqlValue[] = [list.projectId, utf8(list.bucket)];
  const param = (value: SqlValue): string => `$${params.push(value)}`;
  const where = ['o.project_id = $1', 'o.bucket_name = $2'];
  const { start } = query;
  let variant: string;
  if (start.mode === 'from') {
    where.push(`o.object_key >= ${param(start.key)}`);
    variant = 'from';
  } else if (start.version === undefined) {
    where.push(`o.object_key > ${param(start.key)}`);
    variant = 'after';
  } else {
    // (key, version descending, streamId) > (cursor key, version, streamId); the first term bounds the index range.
    const k = param(start.key);
    const v = param(start.version.version);
    const s = param(start.version.streamId);
    where.push(`o.object_key >= ${k} AND (o.object_key > ${k} OR o.version < ${v} OR (o.version = ${v} AND o.stream_id > ${s}))`);
    variant = 'entry';
  }
  if (query.end !== undefined) where.push(`o.object_key < ${param(query.end)}`);
  const committed = query.allVersions ? `o.status = 'committed'` : LATEST;
  where.push(query.includePending ? `((${committed}) OR o.status = 'pending')` : `(${committed})`);
  const text = `SELECT ${columnList(OBJECT_COLUMNS, 'o')} FROM ${OBJECTS} AS o WHERE ${where.join(' AND ')}
    ORDER BY o.object_key, o.version DESC, o.stream_id LIMIT ${param(query.limit)}`;
  const name = `metabase_scan_${variant}_${query.end === undefined ? 'open' : 'bounded'}_${query.allVersions ? 'all' : 'latest'}_${query.includePending ? 'pending' : 'committed'}`;
  return { statement: { name, text: text.replace(/\s+/g, ' ') }, params };
}
