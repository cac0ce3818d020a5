/**
 * Boundary checks every metabase store runs before touching its data, so the three stores refuse
 * the same inputs with the same `InvalidArgumentError` (naming the field) and bad input never
 * changes state. Protocol limits (key length, redundancy bounds, ...) are the endpoint's job;
 * these checks keep the stored rows well-formed.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { BeginObject, CommitObject, CommitSegment, ListObjects, ObjectLocation } from './port.js';
import { canonicalPieces } from './pieces.js';
import { requirePosition } from './position.js';
import type { EncryptedMetadata, EncryptionParameters, Piece, RedundancyScheme } from './types.js';

/** Length of project ids, stream ids. */
export const ID_LENGTH = 16;
/** Length of a remote segment's root piece id and of node ids. */
export const PIECE_ID_LENGTH = 32;

export function requireBytes(value: unknown, field: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`"${field}" expected bytes`);
  if (length !== undefined && value.length !== length) {
    throw new InvalidArgumentError(`"${field}" expected ${length} bytes, got ${value.length}`);
  }
  return value;
}

/** A non-negative safe integer: sizes, counts and times (ms since the epoch). */
export function requireCount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`"${field}" expected a non-negative safe integer, got ${String(value)}`);
  }
  return value;
}

export function requireOptionalCount(value: unknown, field: string): number | undefined {
  return value === undefined ? undefined : requireCount(value, field);
}

/** Page sizes and batch limits: at least one. */
export function requireLimit(value: unknown, field = 'limit'): number {
  if (requireCount(value, field) < 1) throw new InvalidArgumentError(`"${field}" must be at least 1`);
  return value as number;
}

export function requireBucketName(value: unknown, field = 'bucket'): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidArgumentError(`"${field}" expected a non-empty string`);
  return value;
}

export function requireLocation(location: ObjectLocation): void {
  requireBytes(location.projectId, 'projectId', ID_LENGTH);
  requireBucketName(location.bucket);
  if (requireBytes(location.objectKey, 'objectKey').length === 0) throw new InvalidArgumentError('"objectKey" must not be empty');
}

export function requireRedundancy(value: RedundancyScheme, field = 'redundancy'): void {
  if (typeof value !== 'object' || value === null || value.algorithm !== 'reed-solomon') {
    throw new InvalidArgumentError(`"${field}.algorithm" expected 'reed-solomon'`);
  }
  for (const name of ['shareSize', 'required', 'repair', 'success', 'total'] as const) requireCount(value[name], `${field}.${name}`);
}

export function requireEncryption(value: EncryptionParameters): void {
  if (typeof value !== 'object' || value === null || typeof value.cipherSuite !== 'string' || value.cipherSuite.length === 0) {
    throw new InvalidArgumentError('"encryption.cipherSuite" expected a non-empty string');
  }
  requireCount(value.blockSize, 'encryption.blockSize');
}

export function requireMetadata(value: EncryptedMetadata | undefined): void {
  if (value === undefined) return;
  for (const name of ['encryptedMetadata', 'encryptedMetadataNonce', 'encryptedMetadataKey', 'encryptedMetadataKeyNonce'] as const) {
    requireBytes(value[name], `metadata.${name}`);
  }
}

export function validateBegin(begin: BeginObject): void {
  requireLocation(begin);
  requireBytes(begin.streamId, 'streamId', ID_LENGTH);
  requireCount(begin.createdAt, 'createdAt');
  requireOptionalCount(begin.expiresAt, 'expiresAt');
  requireCount(begin.uploadDeadline, 'uploadDeadline');
  requireRedundancy(begin.redundancy);
  requireEncryption(begin.encryption);
}

/** The segment fields without its location; returns the pieces sorted by number. */
export function validateSegmentBody(segment: Omit<CommitSegment, keyof ObjectLocation | 'streamId'>): readonly Piece[] {
  requirePosition(segment.position, 'position');
  requireCount(segment.createdAt, 'createdAt');
  requireOptionalCount(segment.expiresAt, 'expiresAt');
  requireBytes(segment.encryptedKey, 'encryptedKey');
  requireBytes(segment.encryptedKeyNonce, 'encryptedKeyNonce');
  requireCount(segment.encryptedSize, 'encryptedSize');
  requireCount(segment.plainSize, 'plainSize');
  if (segment.redundancy !== undefined) requireRedundancy(segment.redundancy);
  const pieces = canonicalPieces(segment.pieces, 'pieces');
  if (segment.inlineData === undefined) {
    requireBytes(segment.rootPieceId, 'rootPieceId', PIECE_ID_LENGTH);
  } else {
    requireBytes(segment.inlineData, 'inlineData');
    // An inline segment lives only in the metabase: no node holds a piece of it.
    requireBytes(segment.rootPieceId, 'rootPieceId', 0);
    if (pieces.length > 0) throw new InvalidArgumentError('"pieces" must be empty for an inline segment');
  }
  return pieces;
}

export function validateCommitSegment(segment: CommitSegment): readonly Piece[] {
  requireLocation(segment);
  requireBytes(segment.streamId, 'streamId', ID_LENGTH);
  return validateSegmentBody(segment);
}

/** Checks a one-call inline object; returns its (empty) canonical piece list. */
export function validateInline(
  begin: BeginObject,
  segment: Omit<CommitSegment, keyof ObjectLocation | 'streamId'>,
  metadata: EncryptedMetadata | undefined,
  committedAt: number,
): readonly Piece[] {
  validateBegin(begin);
  const pieces = validateSegmentBody(segment);
  if (segment.inlineData === undefined) throw new InvalidArgumentError('"inlineData" is required for an inline object');
  if (segment.position.part !== 0 || segment.position.index !== 0) throw new InvalidArgumentError('"position" of an inline object must be {part: 0, index: 0}');
  requireMetadata(metadata);
  requireCount(committedAt, 'committedAt');
  return pieces;
}

export function validateCommitObject(commit: CommitObject): void {
  requireLocation(commit);
  requireBytes(commit.streamId, 'streamId', ID_LENGTH);
  requireCount(commit.committedAt, 'committedAt');
  requireCount(commit.now, 'now');
  requireLimit(commit.maxSegments, 'maxSegments');
  requireMetadata(commit.metadata);
}

export function validateListObjects(list: ListObjects): void {
  requireBytes(list.projectId, 'projectId', ID_LENGTH);
  requireBucketName(list.bucket);
  requireBytes(list.prefix, 'prefix');
  if (list.cursor !== undefined) requireBytes(list.cursor, 'cursor');
  if (list.cursorVersion !== undefined) {
    if (list.cursor === undefined) throw new InvalidArgumentError('"cursorVersion" needs "cursor"');
    requireCount(list.cursorVersion.version, 'cursorVersion.version');
    requireBytes(list.cursorVersion.streamId, 'cursorVersion.streamId', ID_LENGTH);
  }
  requireLimit(list.limit);
}

/** An optional version argument: a safe integer when given (0 and below simply match nothing). */
export function requireOptionalVersion(version: number | undefined): void {
  if (version !== undefined && (typeof version !== 'number' || !Number.isSafeInteger(version))) {
    throw new InvalidArgumentError(`"version" expected a safe integer, got ${String(version)}`);
  }
}

/** A {@link StreamCreationCursor} (creation time, 16-byte stream id), when given. */
export function requireCreationCursor(cursor: { readonly createdAt: number; readonly streamId: Uint8Array } | undefined): void {
  if (cursor === undefined) return;
  requireCount(cursor.createdAt, 'cursor.createdAt');
  requireBytes(cursor.streamId, 'cursor.streamId', ID_LENGTH);
}
