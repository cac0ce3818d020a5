/**
 * The metabase side of server-side move and copy (seed 002, docs/move.md): what a move names,
 * the state a chunked move keeps, and the boundary checks every store runs on them. A move
 * changes an object's key, version and wrapped keys — never a segment's (streamId, position).
 */
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import type { ObjectLocation } from './port.js';
import { isAt } from './records.js';
import { packPosition, requirePosition } from './position.js';
import type { ObjectRecord, ProjectId, SegmentPosition, SegmentRecord, StreamId } from './types.js';
import * as v from './validate.js';

/** One committed stream, located exactly: the key must still hold `version` as `streamId`. */
export interface ExactObject extends ObjectLocation {
  readonly version: number;
  readonly streamId: StreamId;
}

/** A segment's content key, wrapped for some path, by position — all a move rewrites in a segment. */
export interface SegmentKey {
  readonly position: SegmentPosition;
  readonly encryptedKey: Uint8Array;
  readonly encryptedKeyNonce: Uint8Array;
}

/** The object's metadata key re-wrapped for the new path (the metadata ciphertext stays). */
export interface MetadataKey {
  readonly encryptedMetadataKey: Uint8Array;
  readonly encryptedMetadataKeyNonce: Uint8Array;
}

/** `move` renames the stream; `copy` creates a new stream sharing the source's pieces. */
export type MoveMode = 'move' | 'copy';

/** Starts a chunked move: keys are then stored with `putMoveKeys` until `finishMove`. */
export interface BeginMove {
  readonly operationId: Uint8Array;
  readonly source: ExactObject;
  readonly createdAt: number;
  /** The operation and its stored keys are deleted by `deleteExpiredMoves` from this time on. */
  readonly expiresAt: number;
}

/** A chunked move as the store keeps it. */
export interface MoveOperation {
  readonly operationId: Uint8Array;
  readonly projectId: ProjectId;
  /** The source stream. */
  readonly streamId: StreamId;
  readonly segmentCount: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Once finished: the stream now at the destination (the moved one, or the copy). */
  readonly finishedStreamId: StreamId | undefined;
}

export interface FinishMove {
  readonly mode: MoveMode;
  readonly source: ExactObject;
  /** Same project as the source. */
  readonly destination: { readonly bucket: string; readonly objectKey: Uint8Array };
  /** Replace the destination's committed versions; otherwise a taken destination is AlreadyExists. */
  readonly overwrite: boolean;
  /** Required exactly when the object has metadata. */
  readonly metadataKey?: MetadataKey | undefined;
  /** Every segment's re-wrapped key (small objects), or the keys stored under a chunked operation. */
  readonly keys: { readonly segments: readonly SegmentKey[] } | { readonly operationId: Uint8Array };
  /** copy only: the new stream's id (chosen by the satellite, so a retried finish finds its copy). */
  readonly copyStreamId?: StreamId | undefined;
  readonly now: number;
}

export interface MoveResult {
  /** The object at the destination. */
  readonly object: ObjectRecord;
  /** Segments of overwritten destination versions whose pieces nothing references any more. */
  readonly deletedSegments: SegmentRecord[];
  /** False when nothing changed: a repeated finish of a move that already happened, or source = destination. */
  readonly changed: boolean;
}

export function requireExact(exact: ExactObject, field = 'source'): void {
  v.requireLocation(exact);
  v.requireBytes(exact.streamId, `${field}.streamId`, v.ID_LENGTH);
  if (!Number.isSafeInteger(exact.version) || exact.version < 1) {
    throw new InvalidArgumentError(`"${field}.version" expected a positive integer, got ${String(exact.version)}`);
  }
}

export function requireOperationId(operationId: Uint8Array): void {
  v.requireBytes(operationId, 'operationId', v.ID_LENGTH);
}

/**
 * Checks a batch of keys and returns their packed positions, ascending (the batch itself may
 * come in any order). A position given twice is an InvalidArgument.
 */
export function validateSegmentKeys(keys: readonly SegmentKey[], field = 'keys'): number[] {
  if (!Array.isArray(keys)) throw new InvalidArgumentError(`"${field}" expected an array`);
  const packed = keys.map((key, i) => {
    if (typeof key !== 'object' || key === null) throw new InvalidArgumentError(`"${field}[${i}]" expected {position, encryptedKey, encryptedKeyNonce}`);
    requirePosition(key.position, `${field}[${i}].position`);
    if (v.requireBytes(key.encryptedKey, `${field}[${i}].encryptedKey`).length === 0) throw new InvalidArgumentError(`"${field}[${i}].encryptedKey" must not be empty`);
    v.requireBytes(key.encryptedKeyNonce, `${field}[${i}].encryptedKeyNonce`);
    return packPosition(key.position);
  });
  packed.sort((a, b) => a - b);
  for (let i = 1; i < packed.length; i++) {
    if (packed[i] === packed[i - 1]) throw new InvalidArgumentError(`"${field}" names one position twice`);
  }
  return packed;
}

export function validateBeginMove(begin: BeginMove): void {
  requireOperationId(begin.operationId);
  requireExact(begin.source);
  v.requireCount(begin.createdAt, 'createdAt');
  v.requireCount(begin.expiresAt, 'expiresAt');
}

export function validateFinishMove(finish: FinishMove): void {
  if (finish.mode !== 'move' && finish.mode !== 'copy') throw new InvalidArgumentError(`"mode" expected 'move' or 'copy'`);
  requireExact(finish.source);
  v.requireBucketName(finish.destination?.bucket, 'destination.bucket');
  if (v.requireBytes(finish.destination.objectKey, 'destination.objectKey').length === 0) {
    throw new InvalidArgumentError('"destination.objectKey" must not be empty');
  }
  if (typeof finish.overwrite !== 'boolean') throw new InvalidArgumentError('"overwrite" expected a boolean');
  if (finish.metadataKey !== undefined) {
    v.requireBytes(finish.metadataKey.encryptedMetadataKey, 'metadataKey.encryptedMetadataKey');
    v.requireBytes(finish.metadataKey.encryptedMetadataKeyNonce, 'metadataKey.encryptedMetadataKeyNonce');
  }
  if (typeof finish.keys !== 'object' || finish.keys === null) throw new InvalidArgumentError('"keys" expected segments or an operation id');
  if ('operationId' in finish.keys) requireOperationId(finish.keys.operationId);
  else validateSegmentKeys(finish.keys.segments, 'keys.segments');
  if (finish.mode === 'copy') v.requireBytes(finish.copyStreamId, 'copyStreamId', v.ID_LENGTH);
  else if (finish.copyStreamId !== undefined) throw new InvalidArgumentError('"copyStreamId" is only for a copy');
  v.requireCount(finish.now, 'now');
}

/** True when the finish targets the key the source already has (a no-op). */
export function isOntoItself(finish: FinishMove): boolean {
  const { source, destination } = finish;
  return source.bucket === destination.bucket && source.objectKey.length === destination.objectKey.length && source.objectKey.every((b, i) => b === destination.objectKey[i]);
}

/**
 * The checks every store makes on the locked source row before a finish changes anything.
 * Throws the refusal; otherwise `settled` says the finish already took effect (its reply was
 * lost) or is a move onto itself, so `row` is reported unchanged, and `false` means go ahead.
 */
export function checkMoveSource(finish: FinishMove, target: ObjectLocation, row: ObjectRecord | undefined, exact: boolean): { readonly settled: boolean; readonly row: ObjectRecord } {
  if (!row || !exact) {
    // A move that already happened (its reply was lost): the stream sits at the destination.
    if (finish.mode === 'move' && row?.status === 'committed' && isAt(row, target)) return { settled: true, row };
    throw new FailedPreconditionError(moveErrors.changed);
  }
  if (row.expiresAt !== undefined && row.expiresAt <= finish.now) throw new NotFoundError('object not found');
  if (isOntoItself(finish)) return { settled: true, row };
  if ((row.metadata === undefined) !== (finish.metadataKey === undefined)) {
    throw new InvalidArgumentError(row.metadata ? moveErrors.metadataMissing : moveErrors.metadataUnexpected);
  }
  return { settled: false, row };
}

/** The finish refusals every store words the same way. */
export const moveErrors = {
  changed: 'object was changed during move',
  keyCount: (got: number, want: number) => `expected ${want} segment keys, got ${got}`,
  keysMismatch: "segment keys do not match the object's segments",
  metadataMissing: '"metadataKey" is required: the object has metadata',
  metadataUnexpected: '"metadataKey" given for an object without metadata',
  destinationTaken: 'destination object already exists',
  operationMismatch: 'move operation belongs to another object',
  operationNotFound: 'move operation not found or expired',
  operationFinished: 'move operation already finished',
} as const;
