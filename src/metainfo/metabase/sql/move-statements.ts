/**
 * The statements of server-side move and copy, and of piece-safe segment deletion, in the SQL
 * both SQLite and PostgreSQL (and CockroachDB) accept. A move applies all its keys with one
 * `UPDATE … FROM` joined against the keys stored for it, and a copy with one
 * `INSERT … SELECT`, so the satellite never holds an object's keys in memory.
 */
import type { Statement } from './plan.js';
import { columnList, OBJECT_COLUMNS, SEGMENT_COLUMNS } from './rows.js';
import { OBJECTS, SEGMENTS } from './statements.js';

export const MOVE_OPERATIONS = 'metabase_move_operations';
export const MOVE_KEYS = 'metabase_move_keys';

export const OPERATION_COLUMNS = ['operation_id', 'project_id', 'stream_id', 'segment_count', 'created_at', 'expires_at', 'finished_stream_id'] as const;

const O = columnList(OBJECT_COLUMNS);
const OP = columnList(OPERATION_COLUMNS);

function statement(name: string, text: string, lock?: 'UPDATE' | 'SHARE'): Statement {
  return { name: `metabase_${name}`, text: text.replace(/\s+/g, ' ').trim(), lock };
}

/** A segment's other users: a segment of another stream with the same root piece id (a copy shares pieces). */
const SHARED_ELSEWHERE = `EXISTS (SELECT 1 FROM ${SEGMENTS} AS o WHERE o.root_piece_id = s.root_piece_id AND o.stream_id <> s.stream_id) AS shared`;

/** A stream's segments, each with whether a segment of another stream shares its pieces. */
export const streamSegmentsShared = statement('stream_segments_shared', `SELECT ${columnList(SEGMENT_COLUMNS, 's')}, ${SHARED_ELSEWHERE}
  FROM ${SEGMENTS} AS s WHERE s.stream_id = $1 ORDER BY s.position`);
export const deleteSegmentsOfStream = statement('delete_segments_of_stream', `DELETE FROM ${SEGMENTS} WHERE stream_id = $1`);

const IN_BUCKET = `SELECT stream_id FROM ${OBJECTS} WHERE project_id = $1 AND bucket_name = $2`;
/** A bucket's segments, each with whether a segment outside the bucket shares its pieces. */
export const bucketSegmentsShared = statement('bucket_segments_shared', `SELECT ${columnList(SEGMENT_COLUMNS, 's')},
  EXISTS (SELECT 1 FROM ${SEGMENTS} AS o JOIN ${OBJECTS} AS oo ON oo.stream_id = o.stream_id
    WHERE o.root_piece_id = s.root_piece_id AND NOT (oo.project_id = $1 AND oo.bucket_name = $2)) AS shared
  FROM ${SEGMENTS} AS s WHERE s.stream_id IN (${IN_BUCKET})`);
export const deleteSegmentsOfBucket = statement('delete_segments_of_bucket', `DELETE FROM ${SEGMENTS} WHERE stream_id IN (${IN_BUCKET})`);

/** `$2`: the exclusive cursor position (-1 from the start). */
export const listSegmentKeys = statement('list_segment_keys', `SELECT position, encrypted_key, encrypted_key_nonce FROM ${SEGMENTS}
  WHERE stream_id = $1 AND position > $2 ORDER BY position LIMIT $3`);
/** The positions a batch of keys must cover exactly: the stream's segments in [$2, $3]. */
export const positionsBetween = statement('positions_between', `SELECT position FROM ${SEGMENTS}
  WHERE stream_id = $1 AND position >= $2 AND position <= $3 ORDER BY position LIMIT $4`);

export const insertOperation = statement('insert_move_operation', `INSERT INTO ${MOVE_OPERATIONS} (${OP}) VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (operation_id) DO NOTHING`);
const LIVE_OPERATION = `SELECT ${OP} FROM ${MOVE_OPERATIONS} WHERE operation_id = $1 AND project_id = $2 AND expires_at > $3`;
export const getOperation = statement('get_move_operation', LIVE_OPERATION);
/** Held shared while keys are stored, exclusively while a finish applies them: the two never interleave. */
export const lockOperationShared = statement('lock_move_operation_shared', LIVE_OPERATION, 'SHARE');
export const lockOperation = statement('lock_move_operation', LIVE_OPERATION, 'UPDATE');
export const markFinished = statement('mark_move_finished', `UPDATE ${MOVE_OPERATIONS} SET finished_stream_id = $2 WHERE operation_id = $1`);
export const lockExpiredOperations = statement('lock_expired_moves', `SELECT operation_id FROM ${MOVE_OPERATIONS} WHERE expires_at <= $1
  ORDER BY expires_at, operation_id LIMIT $2`, 'UPDATE');
export const deleteOperation = statement('delete_move_operation', `DELETE FROM ${MOVE_OPERATIONS} WHERE operation_id = $1`);

export const countKeys = statement('count_move_keys', `SELECT COUNT(*) AS keys FROM ${MOVE_KEYS} WHERE operation_id = $1`);
export const deleteKeys = statement('delete_move_keys', `DELETE FROM ${MOVE_KEYS} WHERE operation_id = $1`);

const putKeysStatements = new Map<number, Statement>();
/**
 * Stores `rows` keys under operation `$1` (then `$2…`: position, key, nonce per row). Sending a
 * position again replaces its key, so a retried chunk is harmless.
 */
export function putKeys(rows: number): Statement {
  let found = putKeysStatements.get(rows);
  if (!found) {
    const values = Array.from({ length: rows }, (_, i) => `($1, $${3 * i + 2}, $${3 * i + 3}, $${3 * i + 4})`).join(', ');
    found = statement(`put_move_keys_${rows}`, `INSERT INTO ${MOVE_KEYS} (operation_id, position, encrypted_key, encrypted_key_nonce)
      VALUES ${values} ON CONFLICT (operation_id, position)
      DO UPDATE SET encrypted_key = excluded.encrypted_key, encrypted_key_nonce = excluded.encrypted_key_nonce`);
    putKeysStatements.set(rows, found);
  }
  return found;
}

/** The move itself: every segment of stream `$2` takes its key stored under `$1`, in one statement. */
export const rekeySegments = statement('rekey_segments', `UPDATE ${SEGMENTS} AS s SET encrypted_key = k.encrypted_key,
  encrypted_key_nonce = k.encrypted_key_nonce FROM ${MOVE_KEYS} AS k
  WHERE k.operation_id = $1 AND s.stream_id = $2 AND s.position = k.position`);
export const renameStream = statement('rename_stream', `UPDATE ${OBJECTS} SET bucket_name = $2, object_key = $3, version = $4,
  encrypted_metadata_key = $5, encrypted_metadata_key_nonce = $6 WHERE stream_id = $1 RETURNING ${O}`);
/**
 * The copy: stream `$3` (already inserted) gets a segment per segment of `$2` with the key
 * stored under `$1` — same positions, same root piece ids and piece lists. Parameters appear
 * only in comparisons, where every database infers their types from the columns.
 */
export const copySegments = statement('copy_segments', `INSERT INTO ${SEGMENTS} (${columnList(SEGMENT_COLUMNS)})
  SELECT n.stream_id, ${SEGMENT_COLUMNS.slice(1).map((c) => (c === 'encrypted_key' || c === 'encrypted_key_nonce' ? `k.${c}` : `s.${c}`)).join(', ')}
  FROM ${SEGMENTS} AS s JOIN ${MOVE_KEYS} AS k ON k.operation_id = $1 AND k.position = s.position
  JOIN ${OBJECTS} AS n ON n.stream_id = $3 WHERE s.stream_id = $2`);
/** Every committed version of a key, locked: what an overwrite deletes. */
export const lockCommittedAtKey = statement('lock_committed_at_key', `SELECT ${O} FROM ${OBJECTS}
  WHERE project_id = $1 AND bucket_name = $2 AND object_key = $3 AND status = 'committed' ORDER BY version`, 'UPDATE');
