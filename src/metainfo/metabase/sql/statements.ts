/**
 * Every static statement of the SQL metabase stores, in SQL both SQLite and PostgreSQL (and
 * CockroachDB) accept: `$n` placeholders, `ON CONFLICT (…) DO NOTHING`, `UPDATE … FROM`, window
 * functions, row-value comparisons, `RETURNING`. Keys and names are bytes, so `<`/`>` and ORDER
 * BY compare them with memcmp in every database, whatever its locale.
 */
import type { Statement } from './plan.js';
import { columnList, OBJECT_COLUMNS, placeholders, SEGMENT_COLUMNS } from './rows.js';

export const BUCKETS = 'metabase_buckets';
export const OBJECTS = 'metabase_objects';
export const SEGMENTS = 'metabase_segments';
/** The unique index that gives each committed version of a key to one stream. */
export const COMMITTED_VERSION_INDEX = 'metabase_objects_committed_version';

const O = columnList(OBJECT_COLUMNS);
const S = columnList(SEGMENT_COLUMNS);
const BUCKET = 'project_id, name, created_at';
const AT_KEY = 'project_id = $1 AND bucket_name = $2 AND object_key = $3';

function statement(name: string, text: string, lock?: 'UPDATE' | 'SHARE'): Statement {
  return { name: `metabase_${name}`, text: text.replace(/\s+/g, ' ').trim(), lock };
}

export const insertBucket = statement('insert_bucket', `INSERT INTO ${BUCKETS} (${BUCKET}) VALUES ($1, $2, $3) ON CONFLICT (project_id, name) DO NOTHING`);
export const getBucket = statement('get_bucket', `SELECT ${BUCKET} FROM ${BUCKETS} WHERE project_id = $1 AND name = $2`);
export const lockBucketShared = statement('lock_bucket_shared', `SELECT ${BUCKET} FROM ${BUCKETS} WHERE project_id = $1 AND name = $2`, 'SHARE');
export const lockBucket = statement('lock_bucket', `SELECT ${BUCKET} FROM ${BUCKETS} WHERE project_id = $1 AND name = $2`, 'UPDATE');
/** `$2`: the exclusive cursor (empty bytes from the start: every name is longer). */
export const listBuckets = statement('list_buckets', `SELECT ${BUCKET} FROM ${BUCKETS} WHERE project_id = $1 AND name > $2 ORDER BY name LIMIT $3`);
export const bucketHasObjects = statement('bucket_has_objects', `SELECT stream_id FROM ${OBJECTS} WHERE project_id = $1 AND bucket_name = $2 LIMIT 1`);
export const deleteBucketObjects = statement('delete_bucket_objects', `DELETE FROM ${OBJECTS} WHERE project_id = $1 AND bucket_name = $2`);
export const deleteBucket = statement('delete_bucket', `DELETE FROM ${BUCKETS} WHERE project_id = $1 AND name = $2`);

export const insertObject = statement('insert_object', `INSERT INTO ${OBJECTS} (${O}) VALUES (${placeholders(OBJECT_COLUMNS.length)})
  ON CONFLICT (stream_id) DO NOTHING RETURNING ${O}`);
export const lockStream = statement('lock_stream', `SELECT ${O} FROM ${OBJECTS} WHERE stream_id = $1`, 'UPDATE');
export const lockStreamShared = statement('lock_stream_shared', `SELECT ${O} FROM ${OBJECTS} WHERE stream_id = $1`, 'SHARE');
export const getStream = statement('get_stream', `SELECT ${O} FROM ${OBJECTS} WHERE stream_id = $4 AND ${AT_KEY}`);
export const latestVersion = statement('latest_version', `SELECT COALESCE(MAX(version), 0) AS version FROM ${OBJECTS}
  WHERE ${AT_KEY} AND status = 'committed'`);
export const getLatest = statement('get_latest', `SELECT ${O} FROM ${OBJECTS} WHERE ${AT_KEY} AND status = 'committed'
  ORDER BY version DESC LIMIT 1`);
export const lockLatest = { ...getLatest, name: 'metabase_lock_latest', lock: 'UPDATE' } satisfies Statement;
export const getVersion = statement('get_version', `SELECT ${O} FROM ${OBJECTS} WHERE ${AT_KEY} AND status = 'committed' AND version = $4`);
export const lockVersion = { ...getVersion, name: 'metabase_lock_version', lock: 'UPDATE' } satisfies Statement;
export const segmentTotals = statement('segment_totals', `SELECT COUNT(*) AS segments, COALESCE(SUM(plain_size), 0) AS plain,
  COALESCE(SUM(encrypted_size), 0) AS encrypted FROM ${SEGMENTS} WHERE stream_id = $1`);
/** Each segment's plain offset: the plain sizes of the segments before it, in position order. */
export const setPlainOffsets = statement('set_plain_offsets', `UPDATE ${SEGMENTS} AS s SET plain_offset = o.plain_offset
  FROM (SELECT position, CAST(SUM(plain_size) OVER (ORDER BY position) - plain_size AS BIGINT) AS plain_offset
        FROM ${SEGMENTS} WHERE stream_id = $1) AS o
  WHERE s.stream_id = $1 AND s.position = o.position`);
export const commitStream = statement('commit_stream', `UPDATE ${OBJECTS} SET status = 'committed', version = $2, committed_at = $3,
  upload_deadline = NULL, segment_count = $4, total_plain_size = $5, total_encrypted_size = $6, encrypted_metadata = $7,
  encrypted_metadata_nonce = $8, encrypted_metadata_key = $9, encrypted_metadata_key_nonce = $10
  WHERE stream_id = $1 RETURNING ${O}`);
export const deleteStream = statement('delete_stream', `DELETE FROM ${OBJECTS} WHERE stream_id = $1`);
export const lockAbandoned = statement('lock_abandoned', `SELECT ${O} FROM ${OBJECTS} WHERE status = 'pending' AND upload_deadline < $1
  ORDER BY upload_deadline, stream_id LIMIT $2`, 'UPDATE');
export const lockExpired = statement('lock_expired', `SELECT ${O} FROM ${OBJECTS}
  WHERE status = 'committed' AND expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at, stream_id LIMIT $2`, 'UPDATE');

export const insertSegment = statement('insert_segment', `INSERT INTO ${SEGMENTS} (${S}) VALUES (${placeholders(SEGMENT_COLUMNS.length)})
  ON CONFLICT (stream_id, position) DO NOTHING`);
export const getSegment = statement('get_segment', `SELECT ${S} FROM ${SEGMENTS} WHERE stream_id = $1 AND position = $2`);
/** `$2`: the exclusive cursor position (-1 from the start). */
export const listSegments = statement('list_segments', `SELECT ${S} FROM ${SEGMENTS} WHERE stream_id = $1 AND position > $2
  ORDER BY position LIMIT $3`);
export const iterateSegments = statement('iterate_segments', `SELECT ${S} FROM ${SEGMENTS} ORDER BY stream_id, position LIMIT $1`);
export const iterateSegmentsAfter = statement('iterate_segments_after', `SELECT ${S} FROM ${SEGMENTS}
  WHERE (stream_id, position) > ($1, $2) ORDER BY stream_id, position LIMIT $3`);
export const segmentsByRoot = statement('segments_by_root', `SELECT ${S} FROM ${SEGMENTS} WHERE root_piece_id = $1
  ORDER BY stream_id, position`);
/** The compare-and-swap: one statement, so of two racing swaps from the same list one wins. */
export const swapPieces = statement('swap_pieces', `UPDATE ${SEGMENTS} SET pieces = $4 WHERE stream_id = $1 AND position = $2 AND pieces = $3`);

/** Streams created since `$1`, in (created_at, stream_id) order: garbage collection's sweep for copies. */
export const streamsCreatedSince = statement('streams_created_since', `SELECT ${O} FROM ${OBJECTS} WHERE created_at >= $1
  ORDER BY created_at, stream_id LIMIT $2`);
export const streamsCreatedSinceAfter = statement('streams_created_since_after', `SELECT ${O} FROM ${OBJECTS}
  WHERE created_at >= $1 AND (created_at, stream_id) > ($2, $3) ORDER BY created_at, stream_id LIMIT $4`);
export const oldestPendingCreatedAt = statement('oldest_pending_created_at', `SELECT MIN(created_at) AS created_at FROM ${OBJECTS}
  WHERE status = 'pending'`);
