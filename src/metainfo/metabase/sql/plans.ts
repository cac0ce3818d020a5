/**
 * The SQL metabase's operations as plans (see plan.ts): the same steps run in SQLite and in
 * PostgreSQL. Inputs are validated by the caller; plans check state. In PostgreSQL the `lock`
 * of a statement serialises what must not interleave: a segment commit holds its stream row
 * shared, an object commit holds it exclusively, an object insert holds its bucket row shared and
 * a bucket delete holds it exclusively.
 */
import { utf8 } from '../../../core/bytes.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../../core/errors.js';
import type { BeginObject, CommitObject, CommitSegment, ObjectLocation } from '../port.js';
import { compareSegments, inlineObject, isAt, newSegment, pendingObject } from '../records.js';
import type { Bucket, EncryptedMetadata, ObjectRecord, Piece, SegmentRecord, StreamId } from '../types.js';
import { exec, type Plan } from './plan.js';
import * as MS from './move-statements.js';
import { objectFromRow, objectValues, segmentFromRow, segmentValues, type Row } from './rows.js';
import * as S from './statements.js';

const where = (l: ObjectLocation) => [l.projectId, utf8(l.bucket), l.objectKey] as const;

export function* createBucket(bucket: Bucket): Plan<void> {
  const { count } = yield* exec(S.insertBucket, bucket.projectId, utf8(bucket.name), bucket.createdAt);
  if (count === 0) throw new AlreadyExistsError(`bucket ${JSON.stringify(bucket.name)} already exists`);
}

function* requireBucket(projectId: Uint8Array, name: string, statement: typeof S.lockBucket): Plan<void> {
  const { rows } = yield* exec(statement, projectId, utf8(name));
  if (rows.length === 0) throw new NotFoundError(`bucket ${JSON.stringify(name)} not found`);
}

export function* deleteBucket(projectId: Uint8Array, name: string, force: boolean): Plan<SegmentRecord[]> {
  yield* requireBucket(projectId, name, S.lockBucket);
  const bucket = [projectId, utf8(name)] as const;
  if (!force && (yield* exec(S.bucketHasObjects, ...bucket)).rows.length > 0) {
    throw new FailedPreconditionError(`bucket ${JSON.stringify(name)} is not empty`);
  }
  const { rows } = yield* exec(MS.bucketSegmentsShared, ...bucket);
  yield* exec(MS.deleteSegmentsOfBucket, ...bucket);
  yield* exec(S.deleteBucketObjects, ...bucket);
  yield* exec(S.deleteBucket, ...bucket);
  return released(rows).sort(compareSegments);
}

/**
 * The segments of `rows` (read with a `shared` flag) whose pieces a deletion releases: inline
 * ones (no pieces at all) and remote ones no remaining segment shares a root piece id with.
 */
function released(rows: readonly Row[]): SegmentRecord[] {
  const out: SegmentRecord[] = [];
  for (const row of rows) {
    const segment = segmentFromRow(row);
    // SQLite answers EXISTS with 0/1, PostgreSQL with a boolean.
    const shared = row.shared === true || row.shared === 1 || row.shared === 1n;
    if (segment.rootPieceId.length === 0 || !shared) out.push(segment);
  }
  return out;
}

export function* beginObject(begin: BeginObject): Plan<ObjectRecord> {
  yield* requireBucket(begin.projectId, begin.bucket, S.lockBucketShared);
  const { rows } = yield* exec(S.insertObject, ...objectValues(pendingObject(begin)));
  if (rows.length === 0) throw new AlreadyExistsError('stream id already exists');
  return objectFromRow(rows[0]!);
}

/** The stream row, which must be pending at `location`; locked as `statement` says. */
function* pendingStream(statement: typeof S.lockStream, location: ObjectLocation, streamId: StreamId): Plan<ObjectRecord> {
  const { rows } = yield* exec(statement, streamId);
  const stream = rows[0] && objectFromRow(rows[0]);
  if (!stream || !isAt(stream, location) || stream.status !== 'pending') throw new FailedPreconditionError('no pending object for this stream');
  return stream;
}

export function* commitSegment(segment: CommitSegment, pieces: readonly Piece[]): Plan<void> {
  const stream = yield* pendingStream(S.lockStreamShared, segment, segment.streamId);
  if (stream.uploadDeadline! < segment.createdAt) throw new FailedPreconditionError('upload expired');
  const { count } = yield* exec(S.insertSegment, ...segmentValues(newSegment(segment.streamId, segment, pieces)));
  if (count === 0) throw new AlreadyExistsError(`segment ${segment.position.part}/${segment.position.index} already exists`);
}

function* latestVersion(location: ObjectLocation): Plan<number> {
  const { rows } = yield* exec(S.latestVersion, ...where(location));
  return Number(rows[0]!.version);
}

export function* commitObject(commit: CommitObject): Plan<ObjectRecord> {
  const stream = yield* pendingStream(S.lockStream, commit, commit.streamId);
  if (stream.uploadDeadline! < commit.now) throw new FailedPreconditionError('upload expired');
  const totals = (yield* exec(S.segmentTotals, commit.streamId)).rows[0]!;
  const segments = Number(totals.segments);
  if (segments > commit.maxSegments) throw new InvalidArgumentError(`"segmentCount" ${segments} exceeds the limit of ${commit.maxSegments}`);
  if (segments > 0) yield* exec(S.setPlainOffsets, commit.streamId);
  const version = (yield* latestVersion(commit)) + 1;
  const m = commit.metadata;
  const { rows } = yield* exec(
    S.commitStream, commit.streamId, version, commit.committedAt, segments, Number(totals.plain), Number(totals.encrypted),
    m?.encryptedMetadata ?? null, m?.encryptedMetadataNonce ?? null, m?.encryptedMetadataKey ?? null, m?.encryptedMetadataKeyNonce ?? null,
  );
  return objectFromRow(rows[0]!);
}

export function* commitInlineObject(
  begin: BeginObject,
  segment: Omit<CommitSegment, keyof ObjectLocation | 'streamId'>,
  pieces: readonly Piece[],
  metadata: EncryptedMetadata | undefined,
  committedAt: number,
): Plan<ObjectRecord> {
  yield* requireBucket(begin.projectId, begin.bucket, S.lockBucketShared);
  const object = inlineObject(begin, (yield* latestVersion(begin)) + 1, segment, metadata, committedAt);
  const { rows } = yield* exec(S.insertObject, ...objectValues(object));
  if (rows.length === 0) throw new AlreadyExistsError('stream id already exists');
  yield* exec(S.insertSegment, ...segmentValues(newSegment(begin.streamId, segment, pieces)));
  return objectFromRow(rows[0]!);
}

export function* getObject(location: ObjectLocation, version: number | undefined): Plan<ObjectRecord | undefined> {
  const { rows } = version === undefined ? yield* exec(S.getLatest, ...where(location)) : yield* exec(S.getVersion, ...where(location), version);
  return rows[0] && objectFromRow(rows[0]);
}

export function* getStream(location: ObjectLocation, streamId: StreamId): Plan<ObjectRecord | undefined> {
  const { rows } = yield* exec(S.getStream, ...where(location), streamId);
  return rows[0] && objectFromRow(rows[0]);
}

/** Deletes one stream's rows; returns its segments whose pieces are released, by position. */
export function* removeStream(streamId: StreamId): Plan<SegmentRecord[]> {
  const { rows } = yield* exec(MS.streamSegmentsShared, streamId);
  yield* exec(MS.deleteSegmentsOfStream, streamId);
  yield* exec(S.deleteStream, streamId);
  return released(rows);
}

export function* deleteObject(location: ObjectLocation, version: number | undefined): Plan<{ object: ObjectRecord; segments: SegmentRecord[] } | undefined> {
  const { rows } = version === undefined ? yield* exec(S.lockLatest, ...where(location)) : yield* exec(S.lockVersion, ...where(location), version);
  if (!rows[0]) return undefined;
  const object = objectFromRow(rows[0]);
  return { object, segments: yield* removeStream(object.streamId) };
}

export function* deletePendingObject(location: ObjectLocation, streamId: StreamId): Plan<SegmentRecord[]> {
  const { rows } = yield* exec(S.lockStream, streamId);
  const stream = rows[0] && objectFromRow(rows[0]);
  if (!stream || !isAt(stream, location) || stream.status !== 'pending') throw new NotFoundError('pending object not found');
  return yield* removeStream(streamId);
}

export function* deleteExpired(now: number, limit: number): Plan<{ objects: ObjectRecord[]; segments: SegmentRecord[] }> {
  const abandoned = (yield* exec(S.lockAbandoned, now, limit)).rows;
  const expired = abandoned.length < limit ? (yield* exec(S.lockExpired, now, limit - abandoned.length)).rows : [];
  const objects = [...abandoned, ...expired].map(objectFromRow);
  const segments: SegmentRecord[] = [];
  for (const object of objects) segments.push(...(yield* removeStream(object.streamId)));
  return { objects, segments: segments.sort(compareSegments) };
}
