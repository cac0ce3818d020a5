/**
 * The `MetabaseStore` over SQL, shared by the SQLite and PostgreSQL stores: validates input,
 * then runs the plan of each operation through the dialect's {@link PlanRunner}.
 */
import { asUint8Array, utf8 } from '../../../core/bytes.js';
import { listObjectsPage } from '../listing.js';
import {
  requireOperationId, validateBeginMove, validateFinishMove, validateSegmentKeys,
  type BeginMove, type FinishMove, type MoveOperation, type MoveResult, type SegmentKey,
} from '../move.js';
import { canonicalPieces, encodePieces } from '../pieces.js';
import type { BeginObject, CommitObject, CommitSegment, ListObjects, ListPage, MetabaseStore, ObjectLocation, SegmentWindow, StreamCreationCursor } from '../port.js';
import { packPosition, requirePosition, unpackPosition } from '../position.js';
import type { Bucket, EncryptedMetadata, ObjectRecord, Piece, ProjectId, RedundancyScheme, SegmentCursor, SegmentPosition, SegmentRecord, StreamId } from '../types.js';
import * as v from '../validate.js';
import { exec, type Plan, type PlanRunner, type Statement } from './plan.js';
import * as plans from './plans.js';
import * as movePlans from './move-plans.js';
import { listSegmentKeys } from './move-statements.js';
import { bucketFromRow, objectFromRow, redundancyFromRow, segmentCursorFromRow, segmentFromRow, type Row, type SqlValue } from './rows.js';
import { scanStep } from './scan.js';
import type { SqlDialect } from './schema.js';
import * as S from './statements.js';

/** Whether `blob` contains `needle` (a native byte search, no copy). */
function blobContains(blob: Uint8Array, needle: Buffer): boolean {
  return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).indexOf(needle) >= 0;
}

/** A plan of one statement, returning its rows. */
function* single(statement: Statement, ...params: SqlValue[]): Plan<readonly Row[]> {
  return (yield* exec(statement, ...params)).rows;
}

export abstract class SqlMetabaseStore implements MetabaseStore {
  readonly #runner: PlanRunner;
  readonly #dialect: SqlDialect;

  protected constructor(runner: PlanRunner, dialect: SqlDialect) {
    this.#runner = runner;
    this.#dialect = dialect;
  }

  async createBucket(bucket: Bucket): Promise<void> {
    v.requireBytes(bucket.projectId, 'projectId', v.ID_LENGTH);
    v.requireBucketName(bucket.name, 'name');
    v.requireCount(bucket.createdAt, 'createdAt');
    return this.#runner.run(() => plans.createBucket(bucket));
  }

  async getBucket(projectId: ProjectId, name: string): Promise<Bucket | undefined> {
    v.requireBytes(projectId, 'projectId', v.ID_LENGTH);
    v.requireBucketName(name, 'name');
    const rows = await this.#runner.run(() => single(S.getBucket, projectId, utf8(name)));
    return rows[0] && bucketFromRow(rows[0]);
  }

  async listBuckets(projectId: ProjectId, options: { cursor?: string | undefined; limit: number }): Promise<Bucket[]> {
    v.requireBytes(projectId, 'projectId', v.ID_LENGTH);
    v.requireLimit(options.limit);
    const cursor = options.cursor === undefined ? new Uint8Array() : utf8(options.cursor);
    const rows = await this.#runner.run(() => single(S.listBuckets, projectId, cursor, options.limit));
    return rows.map(bucketFromRow);
  }

  async deleteBucket(projectId: ProjectId, name: string, options: { force: boolean }): Promise<SegmentRecord[]> {
    v.requireBytes(projectId, 'projectId', v.ID_LENGTH);
    v.requireBucketName(name, 'name');
    return this.#runner.transact(() => plans.deleteBucket(projectId, name, options.force === true));
  }

  async beginObject(begin: BeginObject): Promise<ObjectRecord> {
    v.validateBegin(begin);
    return this.#runner.transact(() => plans.beginObject(begin));
  }

  async commitSegment(segment: CommitSegment): Promise<void> {
    const pieces = v.validateCommitSegment(segment);
    return this.#runner.transact(() => plans.commitSegment(segment, pieces));
  }

  async commitObject(commit: CommitObject): Promise<ObjectRecord> {
    v.validateCommitObject(commit);
    return this.#runner.transact(() => plans.commitObject(commit));
  }

  async commitInlineObject(
    begin: BeginObject,
    segment: Omit<CommitSegment, keyof ObjectLocation | 'streamId'>,
    metadata: EncryptedMetadata | undefined,
    committedAt: number,
  ): Promise<ObjectRecord> {
    const pieces = v.validateInline(begin, segment, metadata, committedAt);
    return this.#runner.transact(() => plans.commitInlineObject(begin, segment, pieces, metadata, committedAt));
  }

  async getObject(location: ObjectLocation, version?: number): Promise<ObjectRecord | undefined> {
    v.requireLocation(location);
    v.requireOptionalVersion(version);
    return this.#runner.run(() => plans.getObject(location, version));
  }

  async getStream(location: ObjectLocation, streamId: StreamId): Promise<ObjectRecord | undefined> {
    v.requireLocation(location);
    v.requireBytes(streamId, 'streamId', v.ID_LENGTH);
    return this.#runner.run(() => plans.getStream(location, streamId));
  }

  async listObjects(list: ListObjects): Promise<ListPage> {
    return listObjectsPage(list, async (query) => {
      const step = scanStep(list, query, this.#dialect);
      const rows = await this.#runner.run(() => single(step.statement, ...step.values));
      return rows.map(objectFromRow);
    });
  }

  async listSegments(streamId: StreamId, options: { cursor?: SegmentPosition | undefined; limit: number }): Promise<SegmentRecord[]> {
    v.requireBytes(streamId, 'streamId', v.ID_LENGTH);
    if (options.cursor !== undefined) requirePosition(options.cursor, 'cursor');
    v.requireLimit(options.limit);
    const after = options.cursor === undefined ? -1 : packPosition(options.cursor);
    const rows = await this.#runner.run(() => single(S.listSegments, streamId, after, options.limit));
    return rows.map(segmentFromRow);
  }

  async getSegment(streamId: StreamId, position: SegmentPosition): Promise<SegmentRecord | undefined> {
    v.requireBytes(streamId, 'streamId', v.ID_LENGTH);
    requirePosition(position);
    const rows = await this.#runner.run(() => single(S.getSegment, streamId, packPosition(position)));
    return rows[0] && segmentFromRow(rows[0]);
  }

  async deleteObject(location: ObjectLocation, version?: number): Promise<{ object: ObjectRecord; segments: SegmentRecord[] } | undefined> {
    v.requireLocation(location);
    v.requireOptionalVersion(version);
    return this.#runner.transact(() => plans.deleteObject(location, version));
  }

  async deletePendingObject(location: ObjectLocation, streamId: StreamId): Promise<SegmentRecord[]> {
    v.requireLocation(location);
    v.requireBytes(streamId, 'streamId', v.ID_LENGTH);
    return this.#runner.transact(() => plans.deletePendingObject(location, streamId));
  }

  async deleteExpired(now: number, limit: number): Promise<{ objects: ObjectRecord[]; segments: SegmentRecord[] }> {
    v.requireCount(now, 'now');
    v.requireLimit(limit);
    return this.#runner.transact(() => plans.deleteExpired(now, limit));
  }

  async iterateSegments(options: { cursor?: SegmentCursor | undefined; limit: number }): Promise<SegmentRecord[]> {
    return (await this.#segmentRows(options)).map(segmentFromRow);
  }

  async iterateSegmentsHolding(nodeId: Uint8Array, options: { cursor?: SegmentCursor | undefined; limit: number }): Promise<SegmentWindow> {
    v.requireBytes(nodeId, 'nodeId', 32);
    // A native byte search of the piece blob: decoding every piece list is most of a full pass's cost.
    const needle = Buffer.from(nodeId.buffer, nodeId.byteOffset, nodeId.byteLength);
    return this.iterateSegmentsMatching((pieces) => blobContains(pieces, needle), options);
  }

  async iterateSegmentsMatching(
    match: (pieces: Uint8Array, redundancy: RedundancyScheme | undefined, streamId: Uint8Array) => boolean,
    options: { cursor?: SegmentCursor | undefined; limit: number },
  ): Promise<SegmentWindow> {
    const rows = await this.#segmentRows(options);
    // The same rows as iterateSegments; only those `match` accepts become records.
    const segments: SegmentRecord[] = [];
    for (const row of rows) {
      if (match(asUint8Array(row.pieces as Uint8Array), redundancyFromRow(row), asUint8Array(row.stream_id as Uint8Array))) segments.push(segmentFromRow(row));
    }
    const last = rows.at(-1);
    return { segments, scanned: rows.length, last: last && segmentCursorFromRow(last) };
  }

  /** The raw rows of one iteration window, after `cursor` (exclusive). */
  async #segmentRows(options: { cursor?: SegmentCursor | undefined; limit: number }): Promise<readonly Row[]> {
    const { cursor, limit } = options;
    if (cursor !== undefined) {
      v.requireBytes(cursor.streamId, 'cursor.streamId', v.ID_LENGTH);
      requirePosition(cursor.position, 'cursor.position');
    }
    v.requireLimit(limit);
    return this.#runner.run(() =>
      cursor === undefined ? single(S.iterateSegments, limit) : single(S.iterateSegmentsAfter, cursor.streamId, packPosition(cursor.position), limit),
    );
  }

  async segmentsByRootPieceId(rootPieceId: Uint8Array): Promise<SegmentRecord[]> {
    v.requireBytes(rootPieceId, 'rootPieceId', 32);
    const rows = await this.#runner.run(() => single(S.segmentsByRoot, rootPieceId));
    return rows.map(segmentFromRow);
  }

  async swapSegmentPieces(streamId: StreamId, position: SegmentPosition, expected: readonly Piece[], next: readonly Piece[]): Promise<boolean> {
    v.requireBytes(streamId, 'streamId', v.ID_LENGTH);
    requirePosition(position);
    const want = encodePieces(canonicalPieces(expected, 'expected'));
    const replacement = encodePieces(canonicalPieces(next, 'next'));
    const { count } = await this.#runner.run(() => exec(S.swapPieces, streamId, packPosition(position), want, replacement));
    return count === 1;
  }

  async listStreamsCreatedSince(since: number, options: { cursor?: StreamCreationCursor | undefined; limit: number }): Promise<ObjectRecord[]> {
    v.requireCount(since, 'since');
    v.requireCreationCursor(options.cursor);
    v.requireLimit(options.limit);
    const { cursor, limit } = options;
    const rows = await this.#runner.run(() =>
      cursor === undefined ? single(S.streamsCreatedSince, since, limit) : single(S.streamsCreatedSinceAfter, since, cursor.createdAt, cursor.streamId, limit),
    );
    return rows.map(objectFromRow);
  }

  async oldestPendingCreatedAt(): Promise<number | undefined> {
    const rows = await this.#runner.run(() => single(S.oldestPendingCreatedAt));
    const value = rows[0]?.created_at;
    return value === null || value === undefined ? undefined : Number(value);
  }

  async listSegmentKeys(streamId: StreamId, options: { cursor?: SegmentPosition | undefined; limit: number }): Promise<SegmentKey[]> {
    v.requireBytes(streamId, 'streamId', v.ID_LENGTH);
    if (options.cursor !== undefined) requirePosition(options.cursor, 'cursor');
    v.requireLimit(options.limit);
    const after = options.cursor === undefined ? -1 : packPosition(options.cursor);
    const rows = await this.#runner.run(() => single(listSegmentKeys, streamId, after, options.limit));
    return rows.map((row) => ({
      position: unpackPosition(Number(row.position)),
      encryptedKey: asUint8Array(row.encrypted_key as Uint8Array),
      encryptedKeyNonce: asUint8Array(row.encrypted_key_nonce as Uint8Array),
    }));
  }

  async beginMove(begin: BeginMove): Promise<MoveOperation> {
    validateBeginMove(begin);
    return this.#runner.transact(() => movePlans.beginMove(begin));
  }

  async getMoveOperation(projectId: ProjectId, operationId: Uint8Array, now: number): Promise<MoveOperation | undefined> {
    v.requireBytes(projectId, 'projectId', v.ID_LENGTH);
    requireOperationId(operationId);
    v.requireCount(now, 'now');
    return this.#runner.run(() => movePlans.getMoveOperation(projectId, operationId, now));
  }

  async putMoveKeys(projectId: ProjectId, operationId: Uint8Array, keys: readonly SegmentKey[], now: number): Promise<void> {
    v.requireBytes(projectId, 'projectId', v.ID_LENGTH);
    requireOperationId(operationId);
    const packed = validateSegmentKeys(keys);
    v.requireCount(now, 'now');
    return this.#runner.transact(() => movePlans.putMoveKeys(projectId, operationId, keys, packed, now));
  }

  async finishMove(finish: FinishMove): Promise<MoveResult> {
    validateFinishMove(finish);
    return this.#runner.transact(() => movePlans.finishMove(finish));
  }

  async deleteExpiredMoves(now: number, limit: number): Promise<number> {
    v.requireCount(now, 'now');
    v.requireLimit(limit);
    return this.#runner.transact(() => movePlans.deleteExpiredMoves(now, limit));
  }

  async close(): Promise<void> {
    await this.#runner.close();
  }
}
