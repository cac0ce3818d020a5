/**
 * Server-side move and copy as plans (see plan.ts), the same steps in SQLite and PostgreSQL.
 * Inputs are validated by the caller. In PostgreSQL, a finish holds the source stream row (and
 * its operation) exclusively, so a finish, a delete and a copy of one stream never interleave;
 * storing keys holds the operation shared.
 */
import { equalBytes, utf8 } from '../../../core/bytes.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../../core/errors.js';
import { getCryptoProvider } from '../../../crypto/select.js';
import { checkMoveSource, moveErrors, type BeginMove, type ExactObject, type FinishMove, type MoveOperation, type MoveResult, type SegmentKey } from '../move.js';
import type { ObjectLocation } from '../port.js';
import { packPosition } from '../position.js';
import { cloneObject, compareSegments, isAt } from '../records.js';
import type { ObjectRecord, ProjectId, SegmentRecord } from '../types.js';
import * as MS from './move-statements.js';
import { exec, type Plan } from './plan.js';
import { removeStream } from './plans.js';
import { objectFromRow, objectValues, type Row, type SqlValue } from './rows.js';
import * as S from './statements.js';

/** Rows per multi-row insert of keys (3 parameters a row keeps every statement far below both databases' limits). */
const KEYS_PER_STATEMENT = 512;

const bytes = (value: unknown): Uint8Array => new Uint8Array(value as Uint8Array);
const where = (l: ObjectLocation) => [l.projectId, utf8(l.bucket), l.objectKey] as const;

function operationFromRow(row: Row): MoveOperation {
  return {
    operationId: bytes(row.operation_id),
    projectId: bytes(row.project_id),
    streamId: bytes(row.stream_id),
    segmentCount: Number(row.segment_count),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    finishedStreamId: row.finished_stream_id === null || row.finished_stream_id === undefined ? undefined : bytes(row.finished_stream_id),
  };
}

/** The stream row `exact` names, if it is still committed exactly there (locked in PostgreSQL). */
function* lockExact(exact: ExactObject): Plan<{ row: ObjectRecord | undefined; exact: boolean }> {
  const found = (yield* exec(S.lockStream, exact.streamId)).rows[0];
  const row = found && objectFromRow(found);
  return { row, exact: row !== undefined && row.status === 'committed' && row.version === exact.version && isAt(row, exact) };
}

export function* beginMove(begin: BeginMove): Plan<MoveOperation> {
  const { row, exact } = yield* lockExact(begin.source);
  if (!row || !exact) throw new NotFoundError('object not found');
  const operation: MoveOperation = {
    operationId: begin.operationId,
    projectId: row.projectId,
    streamId: row.streamId,
    segmentCount: row.segmentCount,
    createdAt: begin.createdAt,
    expiresAt: begin.expiresAt,
    finishedStreamId: undefined,
  };
  const { count } = yield* exec(
    MS.insertOperation, operation.operationId, operation.projectId, operation.streamId, operation.segmentCount, operation.createdAt, operation.expiresAt, null,
  );
  if (count === 0) throw new AlreadyExistsError('move operation id already exists');
  return operation;
}

export function* getMoveOperation(projectId: ProjectId, operationId: Uint8Array, now: number): Plan<MoveOperation | undefined> {
  const row = (yield* exec(MS.getOperation, operationId, projectId, now)).rows[0];
  return row && operationFromRow(row);
}

/** Inserts keys under `operationId` in multi-row statements; the statement sizes are powers of two, so few are prepared. */
function* insertKeys(operationId: Uint8Array, keys: readonly SegmentKey[]): Plan<void> {
  for (let at = 0; at < keys.length; ) {
    let rows = KEYS_PER_STATEMENT;
    while (rows > keys.length - at) rows >>= 1;
    const params: SqlValue[] = [operationId];
    for (const key of keys.slice(at, at + rows)) params.push(packPosition(key.position), key.encryptedKey, key.encryptedKeyNonce);
    yield* exec(MS.putKeys(rows), ...params);
    at += rows;
  }
}

/** `packed`: the keys' positions, ascending (from validateSegmentKeys). */
export function* putMoveKeys(projectId: ProjectId, operationId: Uint8Array, keys: readonly SegmentKey[], packed: readonly number[], now: number): Plan<void> {
  const row = (yield* exec(MS.lockOperationShared, operationId, projectId, now)).rows[0];
  if (!row) throw new NotFoundError(moveErrors.operationNotFound);
  const operation = operationFromRow(row);
  if (operation.finishedStreamId) throw new FailedPreconditionError(moveErrors.operationFinished);
  if (packed.length === 0) return;
  // The batch must be exactly the stream's segments in its range: stored keys never outnumber segments.
  const first = packed[0]!;
  const last = packed[packed.length - 1]!;
  const { rows } = yield* exec(MS.positionsBetween, operation.streamId, first, last, packed.length + 1);
  if (rows.length !== packed.length || rows.some((r, i) => Number(r.position) !== packed[i])) throw new InvalidArgumentError(moveErrors.keysMismatch);
  yield* insertKeys(operationId, keys);
}

export function* finishMove(finish: FinishMove): Plan<MoveResult> {
  const { source, destination, now } = finish;
  const target: ObjectLocation = { projectId: source.projectId, bucket: destination.bucket, objectKey: destination.objectKey };
  const unchanged = (row: ObjectRecord): MoveResult => ({ object: row, deletedSegments: [], changed: false });

  let operationId: Uint8Array | undefined;
  if ('operationId' in finish.keys) {
    operationId = finish.keys.operationId;
    const row = (yield* exec(MS.lockOperation, operationId, source.projectId, now)).rows[0];
    if (!row) throw new NotFoundError(moveErrors.operationNotFound);
    const operation = operationFromRow(row);
    if (!equalBytes(operation.streamId, source.streamId)) throw new InvalidArgumentError(moveErrors.operationMismatch);
    if (operation.finishedStreamId) {
      const done = (yield* exec(S.lockStream, operation.finishedStreamId)).rows[0];
      if (!done) throw new NotFoundError('the moved object no longer exists');
      return unchanged(objectFromRow(done));
    }
  }
  if (finish.mode === 'copy') {
    const found = (yield* exec(S.lockStream, finish.copyStreamId!)).rows[0];
    if (found) {
      const copied = objectFromRow(found);
      if (copied.status === 'committed' && isAt(copied, target)) return unchanged(copied);
      throw new AlreadyExistsError('stream id already exists');
    }
  }
  const locked = yield* lockExact(source);
  const checked = checkMoveSource(finish, target, locked.row, locked.exact);
  if (checked.settled) return unchanged(checked.row);
  const row = checked.row;
  const given = operationId ? Number((yield* exec(MS.countKeys, operationId)).rows[0]!.keys) : (finish.keys as { segments: readonly SegmentKey[] }).segments.length;
  if (given !== row.segmentCount) throw new InvalidArgumentError(moveErrors.keyCount(given, row.segmentCount));
  if ((yield* exec(S.lockBucketShared, target.projectId, utf8(target.bucket))).rows.length === 0) {
    throw new NotFoundError(`bucket ${JSON.stringify(target.bucket)} not found`);
  }
  const version = Number((yield* exec(S.latestVersion, ...where(target))).rows[0]!.version) + 1;
  const deletedSegments: SegmentRecord[] = [];
  if (version > 1) {
    const taken = (yield* exec(MS.lockCommittedAtKey, ...where(target))).rows.map(objectFromRow);
    if (taken.length > 0 && !finish.overwrite) throw new AlreadyExistsError(moveErrors.destinationTaken);
    for (const old of taken) deletedSegments.push(...(yield* removeStream(old.streamId)));
  }

  // Small objects bring their keys along: they go through the keys table too, so one join applies both kinds.
  const keysId = operationId ?? getCryptoProvider().randomBytes(16);
  if (!operationId) yield* insertKeys(keysId, (finish.keys as { segments: readonly SegmentKey[] }).segments);
  const m = finish.metadataKey;
  let result: ObjectRecord;
  if (finish.mode === 'move') {
    const { count } = yield* exec(MS.rekeySegments, keysId, row.streamId);
    // Fewer rows than segments: some keys name positions the stream lacks. Throwing rolls everything back.
    if (count !== row.segmentCount) throw new InvalidArgumentError(moveErrors.keysMismatch);
    const renamed = yield* exec(
      MS.renameStream, row.streamId, utf8(target.bucket), target.objectKey, version, m?.encryptedMetadataKey ?? null, m?.encryptedMetadataKeyNonce ?? null,
    );
    result = objectFromRow(renamed.rows[0]!);
  } else {
    const metadata = row.metadata && m && { ...row.metadata, ...m };
    const copy = cloneObject(row, { streamId: finish.copyStreamId!, bucket: target.bucket, objectKey: target.objectKey, version, createdAt: now, committedAt: now, metadata });
    const inserted = yield* exec(S.insertObject, ...objectValues(copy));
    if (inserted.rows.length === 0) throw new AlreadyExistsError('stream id already exists');
    const { count } = yield* exec(MS.copySegments, keysId, row.streamId, copy.streamId);
    if (count !== row.segmentCount) throw new InvalidArgumentError(moveErrors.keysMismatch);
    result = objectFromRow(inserted.rows[0]!);
  }
  yield* exec(MS.deleteKeys, keysId);
  if (operationId) yield* exec(MS.markFinished, operationId, result.streamId);
  return { object: result, deletedSegments: deletedSegments.sort(compareSegments), changed: true };
}

export function* deleteExpiredMoves(now: number, limit: number): Plan<number> {
  const { rows } = yield* exec(MS.lockExpiredOperations, now, limit);
  for (const row of rows) {
    yield* exec(MS.deleteKeys, row.operation_id as Uint8Array);
    yield* exec(MS.deleteOperation, row.operation_id as Uint8Array);
  }
  return rows.length;
}
