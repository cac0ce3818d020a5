/**
 * Rows ↔ records for both SQL stores. Column names and types are the same in SQLite and
 * PostgreSQL: ids, keys and bucket names are BLOB/BYTEA (compared as bytes), sizes and times
 * INTEGER/BIGINT (PostgreSQL hands BIGINT back as a string), a position is `part * 2^32 + index`
 * and a piece list one compact blob (see pieces.ts).
 */
import { asUint8Array, fromUtf8, utf8 } from '../../../core/bytes.js';
import type { SqlRow } from '../../../sql/plan.js';
import { decodePieces, encodePieces } from '../pieces.js';
import { packPosition, unpackPosition } from '../position.js';
import type { Bucket, ObjectRecord, RedundancyScheme, SegmentCursor, SegmentRecord } from '../types.js';

/** What a parameter may be. */
export type SqlValue = number | string | Uint8Array | null;
/** A result row as a driver returns it. */
export type Row = SqlRow;

export const OBJECT_COLUMNS = [
  'stream_id', 'project_id', 'bucket_name', 'object_key', 'version', 'status', 'created_at', 'committed_at', 'expires_at',
  'upload_deadline', 'segment_count', 'total_plain_size', 'total_encrypted_size', 'rs_share_size', 'rs_required', 'rs_repair',
  'rs_success', 'rs_total', 'cipher_suite', 'block_size', 'encrypted_metadata', 'encrypted_metadata_nonce', 'encrypted_metadata_key',
  'encrypted_metadata_key_nonce',
] as const;

export const SEGMENT_COLUMNS = [
  'stream_id', 'position', 'created_at', 'expires_at', 'root_piece_id', 'encrypted_key', 'encrypted_key_nonce', 'encrypted_size',
  'plain_size', 'plain_offset', 'rs_share_size', 'rs_required', 'rs_repair', 'rs_success', 'rs_total', 'pieces', 'inline_data',
] as const;

/** `a.col1, a.col2, …` */
export function columnList(columns: readonly string[], alias?: string): string {
  return columns.map((c) => (alias ? `${alias}.${c}` : c)).join(', ');
}

/** `$from, $from+1, …` for `count` values. */
export function placeholders(count: number, from = 1): string {
  return Array.from({ length: count }, (_, i) => `$${from + i}`).join(', ');
}

const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value as string | bigint));
const optionalNum = (value: unknown): number | undefined => (value === null || value === undefined ? undefined : num(value));
// Drivers return a fresh Buffer per value; callers get a plain Uint8Array over the same memory.
const bytes = (value: unknown): Uint8Array => asUint8Array(value as Uint8Array);
const orNull = (value: number | Uint8Array | undefined): number | Uint8Array | null => (value === undefined ? null : value);

export function redundancyFromRow(row: Row): RedundancyScheme | undefined {
  if (row.rs_share_size === null || row.rs_share_size === undefined) return undefined;
  return {
    algorithm: 'reed-solomon',
    shareSize: num(row.rs_share_size),
    required: num(row.rs_required),
    repair: num(row.rs_repair),
    success: num(row.rs_success),
    total: num(row.rs_total),
  };
}

function redundancyValues(r: RedundancyScheme | undefined): SqlValue[] {
  return r === undefined ? [null, null, null, null, null] : [r.shareSize, r.required, r.repair, r.success, r.total];
}

export function bucketFromRow(row: Row): Bucket {
  return { projectId: bytes(row.project_id), name: fromUtf8(row.name as Uint8Array), createdAt: num(row.created_at) };
}

export function objectFromRow(row: Row): ObjectRecord {
  return {
    projectId: bytes(row.project_id),
    bucket: fromUtf8(row.bucket_name as Uint8Array),
    objectKey: bytes(row.object_key),
    version: num(row.version),
    streamId: bytes(row.stream_id),
    status: row.status === 'committed' ? 'committed' : 'pending',
    createdAt: num(row.created_at),
    committedAt: optionalNum(row.committed_at),
    expiresAt: optionalNum(row.expires_at),
    uploadDeadline: optionalNum(row.upload_deadline),
    segmentCount: num(row.segment_count),
    totalPlainSize: num(row.total_plain_size),
    totalEncryptedSize: num(row.total_encrypted_size),
    redundancy: redundancyFromRow(row)!,
    encryption: { cipherSuite: String(row.cipher_suite), blockSize: num(row.block_size) },
    metadata:
      row.encrypted_metadata === null || row.encrypted_metadata === undefined
        ? undefined
        : {
            encryptedMetadata: bytes(row.encrypted_metadata),
            encryptedMetadataNonce: bytes(row.encrypted_metadata_nonce),
            encryptedMetadataKey: bytes(row.encrypted_metadata_key),
            encryptedMetadataKeyNonce: bytes(row.encrypted_metadata_key_nonce),
          },
  };
}

/** Values in {@link OBJECT_COLUMNS} order. */
export function objectValues(o: ObjectRecord): SqlValue[] {
  const m = o.metadata;
  return [
    o.streamId, o.projectId, utf8(o.bucket), o.objectKey, o.version, o.status, o.createdAt, orNull(o.committedAt), orNull(o.expiresAt),
    orNull(o.uploadDeadline), o.segmentCount, o.totalPlainSize, o.totalEncryptedSize, ...redundancyValues(o.redundancy),
    o.encryption.cipherSuite, o.encryption.blockSize, orNull(m?.encryptedMetadata), orNull(m?.encryptedMetadataNonce),
    orNull(m?.encryptedMetadataKey), orNull(m?.encryptedMetadataKeyNonce),
  ];
}

export function segmentFromRow(row: Row): SegmentRecord {
  return {
    streamId: bytes(row.stream_id),
    position: unpackPosition(num(row.position)),
    createdAt: num(row.created_at),
    expiresAt: optionalNum(row.expires_at),
    rootPieceId: bytes(row.root_piece_id),
    encryptedKey: bytes(row.encrypted_key),
    encryptedKeyNonce: bytes(row.encrypted_key_nonce),
    encryptedSize: num(row.encrypted_size),
    plainSize: num(row.plain_size),
    plainOffset: num(row.plain_offset),
    redundancy: redundancyFromRow(row),
    pieces: decodePieces(bytes(row.pieces)),
    inlineData: row.inline_data === null || row.inline_data === undefined ? undefined : bytes(row.inline_data),
  };
}

/** Where an iteration resumes after this segment row. */
export function segmentCursorFromRow(row: Row): SegmentCursor {
  return { streamId: bytes(row.stream_id), position: unpackPosition(num(row.position)) };
}

/** Values in {@link SEGMENT_COLUMNS} order; `pieces` must already be canonical (sorted by number). */
export function segmentValues(s: SegmentRecord): SqlValue[] {
  return [
    s.streamId, packPosition(s.position), s.createdAt, orNull(s.expiresAt), s.rootPieceId, s.encryptedKey, s.encryptedKeyNonce,
    s.encryptedSize, s.plainSize, s.plainOffset, ...redundancyValues(s.redundancy), encodePieces(s.pieces), orNull(s.inlineData),
  ];
}
