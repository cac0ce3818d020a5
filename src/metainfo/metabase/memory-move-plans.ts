/**
 * Server-side move and copy over the memory store's tables: the counterpart of
 * sql/move-plans.ts, held to the same store suite. Inputs are validated by the caller. Each
 * function runs to completion without yielding, which makes it atomic.
 */
import { equalBytes } from '../../core/bytes.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import { cloneKey, cloneOperation, type MemoryMoveTable } from './memory-moves.js';
import type { MemoryObjectTable } from './memory-objects.js';
import type { MemorySegmentTable } from './memory-segments.js';
import { checkMoveSource, moveErrors, type BeginMove, type FinishMove, type MoveOperation, type MoveResult, type SegmentKey } from './move.js';
import { packPosition } from './position.js';
import { cloneObject, cloneSegment, compareSegments, isAt } from './records.js';
import type { ObjectRecord, ProjectId, SegmentRecord } from './types.js';

/** The memory store's tables, as the move steps read and change them. */
export interface MemoryTables {
  readonly objects: MemoryObjectTable;
  readonly segments: MemorySegmentTable;
  readonly moves: MemoryMoveTable;
}

export function beginMove({ objects, moves }: MemoryTables, begin: BeginMove): MoveOperation {
  const source = objects.exact(begin.source);
  if (!source) throw new NotFoundError('object not found');
  if (moves.has(begin.operationId)) throw new AlreadyExistsError('move operation id already exists');
  const operation: MoveOperation = {
    operationId: begin.operationId,
    projectId: source.projectId,
    streamId: source.streamId,
    segmentCount: source.segmentCount,
    createdAt: begin.createdAt,
    expiresAt: begin.expiresAt,
    finishedStreamId: undefined,
  };
  moves.insert(operation);
  return cloneOperation(operation);
}

/** Stores a batch of re-wrapped keys; `packed` are the keys' packed positions, ascending. */
export function putMoveKeys(
  { segments, moves }: MemoryTables,
  projectId: ProjectId,
  operationId: Uint8Array,
  keys: readonly SegmentKey[],
  packed: readonly number[],
  now: number,
): void {
  const entry = moves.live(projectId, operationId, now);
  if (!entry) throw new NotFoundError(moveErrors.operationNotFound);
  if (entry.operation.finishedStreamId) throw new FailedPreconditionError(moveErrors.operationFinished);
  if (packed.length === 0) return;
  // The batch must be exactly the stream's segments in its range: stored keys never outnumber segments.
  const first = packed[0]!;
  const last = packed[packed.length - 1]!;
  const inRange = segments.ofStream(entry.operation.streamId).map((s) => packPosition(s.position)).filter((p) => p >= first && p <= last);
  if (inRange.length !== packed.length || inRange.some((p, i) => p !== packed[i])) throw new InvalidArgumentError(moveErrors.keysMismatch);
  for (const key of keys) entry.keys.set(packPosition(key.position), cloneKey(key));
}

export function finishMove({ objects, segments, moves }: MemoryTables, finish: FinishMove): MoveResult {
  const { source, destination, now } = finish;
  const target = { projectId: source.projectId, bucket: destination.bucket, objectKey: destination.objectKey };
  const unchanged = (row: ObjectRecord): MoveResult => ({ object: cloneObject(row), deletedSegments: [], changed: false });
  const entry = 'operationId' in finish.keys ? moves.live(source.projectId, finish.keys.operationId, now) : undefined;
  if ('operationId' in finish.keys) {
    if (!entry) throw new NotFoundError(moveErrors.operationNotFound);
    if (!equalBytes(entry.operation.streamId, source.streamId)) throw new InvalidArgumentError(moveErrors.operationMismatch);
    if (entry.operation.finishedStreamId) {
      const done = objects.stream(entry.operation.finishedStreamId);
      if (!done) throw new NotFoundError('the moved object no longer exists');
      return unchanged(done);
    }
  }
  if (finish.mode === 'copy') {
    const copied = objects.stream(finish.copyStreamId!);
    if (copied) {
      if (copied.status === 'committed' && isAt(copied, target)) return unchanged(copied);
      throw new AlreadyExistsError('stream id already exists');
    }
  }
  const current = objects.stream(source.streamId);
  const checked = checkMoveSource(finish, target, current, current !== undefined && objects.exact(source) !== undefined);
  if (checked.settled) return unchanged(checked.row);
  const row = checked.row;
  const keys = entry ? entry.keys : new Map((finish.keys as { segments: readonly SegmentKey[] }).segments.map((k) => [packPosition(k.position), k]));
  if (keys.size !== row.segmentCount) throw new InvalidArgumentError(moveErrors.keyCount(keys.size, row.segmentCount));
  const stored = segments.ofStream(row.streamId);
  if (stored.length !== keys.size || stored.some((s) => !keys.has(packPosition(s.position)))) throw new InvalidArgumentError(moveErrors.keysMismatch);
  objects.requireBucket(target.projectId, target.bucket);
  const taken = objects.keyRows(target).filter((r) => r.status === 'committed');
  if (taken.length > 0 && !finish.overwrite) throw new AlreadyExistsError(moveErrors.destinationTaken);

  // Every check passed: from here on nothing throws, so the change is all or nothing.
  const version = objects.latestVersion(target) + 1;
  const deletedSegments = objects.remove(taken).sort(compareSegments);
  const m = finish.metadataKey;
  const metadata = row.metadata && m && { ...row.metadata, encryptedMetadataKey: m.encryptedMetadataKey, encryptedMetadataKeyNonce: m.encryptedMetadataKeyNonce };
  const rekeyed = (s: SegmentRecord, changes: Partial<SegmentRecord> = {}): SegmentRecord => {
    const key = keys.get(packPosition(s.position))!;
    return cloneSegment(s, { encryptedKey: key.encryptedKey, encryptedKeyNonce: key.encryptedKeyNonce, ...changes });
  };
  let result: ObjectRecord;
  if (finish.mode === 'move') {
    result = cloneObject(row, { bucket: target.bucket, objectKey: target.objectKey, version, metadata });
    stored.forEach((s, i) => (stored[i] = rekeyed(s)));
    objects.replace(row, result);
  } else {
    const streamId = finish.copyStreamId!;
    result = cloneObject(row, { streamId, bucket: target.bucket, objectKey: target.objectKey, version, createdAt: now, committedAt: now, metadata });
    objects.insert(result);
    for (const s of [...stored]) segments.insert(rekeyed(s, { streamId }));
  }
  if (entry) moves.finish(entry, result.streamId);
  return { object: cloneObject(result), deletedSegments, changed: true };
}
