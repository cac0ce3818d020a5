/**
 * The in-memory metabase: sorted arrays standing in for the SQL indexes, so it orders, pages and
 * refuses exactly like the SQLite and PostgreSQL stores (all three pass `metabaseStoreSuite`).
 * Every method runs to completion without yielding, which makes each one atomic.
 *
 * Laid out like the SQL stores: this file validates and runs each operation; the tables are
 * memory-objects.ts (buckets, streams, listing), memory-segments.ts and memory-moves.ts, and
 * server-side move and copy are memory-move-plans.ts.
 */
import { compareBytes, equalBytes } from '../../core/bytes.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import { listObjectsPage } from './listing.js';
import { cloneOperation, MemoryMoveTable } from './memory-moves.js';
import * as movePlans from './memory-move-plans.js';
import { MemoryObjectTable } from './memory-objects.js';
import { MemorySegmentTable } from './memory-segments.js';
import {
  requireOperationId, validateBeginMove, validateFinishMove, validateSegmentKeys,
  type BeginMove, type FinishMove, type MoveOperation, type MoveResult, type SegmentKey,
} from './move.js';
import { canonicalPieces, encodePieces } from './pieces.js';
import type { BeginObject, CommitObject, CommitSegment, ListObjects, ListPage, MetabaseStore, ObjectLocation, StreamCreationCursor } from './port.js';
import { requirePosition } from './position.js';
import { cloneObject, cloneSegment, compareSegments, inlineObject, isAt, newSegment, pendingObject } from './records.js';
import type { Bucket, EncryptedMetadata, ObjectRecord, Piece, ProjectId, SegmentCursor, SegmentPosition, SegmentRecord, StreamId } from './types.js';
import * as v from './validate.js';

/**
 * @example
 * ```ts
 * const store = new MemoryMetabaseStore();
 * await store.createBucket({ projectId, name: 'photos', createdAt: Date.now() });
 * ```
 */
export class MemoryMetabaseStore implements MetabaseStore {
  readonly #segments = new MemorySegmentTable();
  readonly #objects = new MemoryObjectTable(this.#segments);
  readonly #moves = new MemoryMoveTable();
  readonly #tables: movePlans.MemoryTables = { objects: this.#objects, segments: this.#segments, moves: this.#moves };

  async createBucket(bucket: Bucket): Promise<void> {
    v.requireBytes(bucket.projectId, 'projectId', v.ID_LENGTH);
    v.requireBucketName(bucket.name, 'name');
    v.requireCount(bucket.createdAt, 'createdAt');
    this.#objects.insertBucket(bucket);
  }

  async getBucket(projectId: ProjectId, name: string): Promise<Bucket | undefined> {
    v.requireBytes(projectId, 'projectId', v.ID_LENGTH);
    v.requireBucketName(name, 'name');
    return this.#objects.getBucket(projectId, name);
  }

  async listBuckets(projectId: ProjectId, options: { cursor?: string | undefined; limit: number }): Promise<Bucket[]> {
    v.requireBytes(projectId, 'projectId', v.ID_LENGTH);
    v.requireLimit(options.limit);
    return this.#objects.listBuckets(projectId, options.cursor, options.limit);
  }

  async deleteBucket(projectId: ProjectId, name: string, options: { force: boolean }): Promise<SegmentRecord[]> {
    v.requireBytes(projectId, 'projectId', v.ID_LENGTH);
    v.requireBucketName(name, 'name');
    return this.#objects.deleteBucket(projectId, name, options.force);
  }

  async beginObject(begin: BeginObject): Promise<ObjectRecord> {
    v.validateBegin(begin);
    this.#objects.requireBucket(begin.projectId, begin.bucket);
    if (this.#objects.stream(begin.streamId)) throw new AlreadyExistsError('stream id already exists');
    const row = pendingObject(begin);
    this.#objects.insert(row);
    return cloneObject(row);
  }

  async commitSegment(segment: CommitSegment): Promise<void> {
    const pieces = v.validateCommitSegment(segment);
    const stream = this.#objects.pendingStream(segment, segment.streamId);
    if (stream.uploadDeadline! < segment.createdAt) throw new FailedPreconditionError('upload expired');
    if (this.#segments.indexOf(segment.streamId, segment.position) >= 0) {
      throw new AlreadyExistsError(`segment ${segment.position.part}/${segment.position.index} already exists`);
    }
    this.#segments.insert(newSegment(segment.streamId, segment, pieces));
  }

  async commitObject(commit: CommitObject): Promise<ObjectRecord> {
    v.validateCommitObject(commit);
    const stream = this.#objects.pendingStream(commit, commit.streamId);
    if (stream.uploadDeadline! < commit.now) throw new FailedPreconditionError('upload expired');
    const segments = this.#segments.ofStream(commit.streamId);
    if (segments.length > commit.maxSegments) {
      throw new InvalidArgumentError(`"segmentCount" ${segments.length} exceeds the limit of ${commit.maxSegments}`);
    }
    let offset = 0;
    let encrypted = 0;
    segments.forEach((s, i) => {
      segments[i] = { ...s, plainOffset: offset };
      offset += s.plainSize;
      encrypted += s.encryptedSize;
    });
    const committed = cloneObject(stream, {
      version: this.#objects.latestVersion(commit) + 1,
      status: 'committed',
      committedAt: commit.committedAt,
      uploadDeadline: undefined,
      segmentCount: segments.length,
      totalPlainSize: offset,
      totalEncryptedSize: encrypted,
      metadata: commit.metadata,
    });
    this.#objects.replace(stream, committed);
    return cloneObject(committed);
  }

  async commitInlineObject(
    begin: BeginObject,
    segment: Omit<CommitSegment, keyof ObjectLocation | 'streamId'>,
    metadata: EncryptedMetadata | undefined,
    committedAt: number,
  ): Promise<ObjectRecord> {
    const pieces = v.validateInline(begin, segment, metadata, committedAt);
    this.#objects.requireBucket(begin.projectId, begin.bucket);
    if (this.#objects.stream(begin.streamId)) throw new AlreadyExistsError('stream id already exists');
    const row = inlineObject(begin, this.#objects.latestVersion(begin) + 1, segment, metadata, committedAt);
    this.#objects.insert(row);
    this.#segments.insert(newSegment(begin.streamId, segment, pieces));
    return cloneObject(row);
  }

  async getObject(location: ObjectLocation, version?: number): Promise<ObjectRecord | undefined> {
    v.requireLocation(location);
    v.requireOptionalVersion(version);
    const found = this.#objects.committed(location, version);
    return found && cloneObject(found);
  }

  async getStream(location: ObjectLocation, streamId: StreamId): Promise<ObjectRecord | undefined> {
    v.requireLocation(location);
    v.requireBytes(streamId, 'streamId', v.ID_LENGTH);
    const row = this.#objects.stream(streamId);
    return row && isAt(row, location) ? cloneObject(row) : undefined;
  }

  async listObjects(list: ListObjects): Promise<ListPage> {
    return listObjectsPage(list, (query) => this.#objects.scan(list, query));
  }

  async listSegments(streamId: StreamId, options: { cursor?: SegmentPosition | undefined; limit: number }): Promise<SegmentRecord[]> {
    v.requireBytes(streamId, 'streamId', v.ID_LENGTH);
    const { cursor } = options;
    if (cursor !== undefined) requirePosition(cursor, 'cursor');
    v.requireLimit(options.limit);
    return this.#segments.list(streamId, cursor, options.limit);
  }

  async getSegment(streamId: StreamId, position: SegmentPosition): Promise<SegmentRecord | undefined> {
    v.requireBytes(streamId, 'streamId', v.ID_LENGTH);
    requirePosition(position);
    const at = this.#segments.indexOf(streamId, position);
    return at < 0 ? undefined : cloneSegment(this.#segments.ofStream(streamId)[at]!);
  }

  async deleteObject(location: ObjectLocation, version?: number): Promise<{ object: ObjectRecord; segments: SegmentRecord[] } | undefined> {
    v.requireLocation(location);
    v.requireOptionalVersion(version);
    const found = this.#objects.committed(location, version);
    if (!found) return undefined;
    return { object: cloneObject(found), segments: this.#objects.remove([found]) };
  }

  async deletePendingObject(location: ObjectLocation, streamId: StreamId): Promise<SegmentRecord[]> {
    v.requireLocation(location);
    v.requireBytes(streamId, 'streamId', v.ID_LENGTH);
    const row = this.#objects.stream(streamId);
    if (!row || !isAt(row, location) || row.status !== 'pending') throw new NotFoundError('pending object not found');
    return this.#objects.remove([row]);
  }

  async deleteExpired(now: number, limit: number): Promise<{ objects: ObjectRecord[]; segments: SegmentRecord[] }> {
    v.requireCount(now, 'now');
    v.requireLimit(limit);
    const all = this.#objects.streams();
    const byTime = (time: (o: ObjectRecord) => number) => (a: ObjectRecord, b: ObjectRecord) =>
      time(a) - time(b) || compareBytes(a.streamId, b.streamId);
    const abandoned = all.filter((o) => o.status === 'pending' && o.uploadDeadline! < now).sort(byTime((o) => o.uploadDeadline!));
    const expired = all.filter((o) => o.status === 'committed' && o.expiresAt !== undefined && o.expiresAt <= now).sort(byTime((o) => o.expiresAt!));
    const objects = [...abandoned, ...expired].slice(0, limit);
    // One stream at a time, as the SQL stores do it.
    const segments = objects.flatMap((o) => this.#objects.remove([o]));
    return { objects: objects.map((o) => cloneObject(o)), segments: segments.sort(compareSegments) };
  }

  async iterateSegments(options: { cursor?: SegmentCursor | undefined; limit: number }): Promise<SegmentRecord[]> {
    const { cursor } = options;
    if (cursor !== undefined) {
      v.requireBytes(cursor.streamId, 'cursor.streamId', v.ID_LENGTH);
      requirePosition(cursor.position, 'cursor.position');
    }
    v.requireLimit(options.limit);
    return this.#segments.iterate(cursor, options.limit);
  }

  async segmentsByRootPieceId(rootPieceId: Uint8Array): Promise<SegmentRecord[]> {
    v.requireBytes(rootPieceId, 'rootPieceId', 32);
    return this.#segments.byRootPieceId(rootPieceId);
  }

  async swapSegmentPieces(streamId: StreamId, position: SegmentPosition, expected: readonly Piece[], next: readonly Piece[]): Promise<boolean> {
    v.requireBytes(streamId, 'streamId', v.ID_LENGTH);
    requirePosition(position);
    const want = canonicalPieces(expected, 'expected');
    const replacement = canonicalPieces(next, 'next');
    const at = this.#segments.indexOf(streamId, position);
    if (at < 0) return false;
    const list = this.#segments.ofStream(streamId);
    if (!equalBytes(encodePieces(list[at]!.pieces), encodePieces(want))) return false;
    list[at] = { ...list[at]!, pieces: replacement };
    return true;
  }

  async listStreamsCreatedSince(since: number, options: { cursor?: StreamCreationCursor | undefined; limit: number }): Promise<ObjectRecord[]> {
    v.requireCount(since, 'since');
    v.requireCreationCursor(options.cursor);
    v.requireLimit(options.limit);
    const { cursor } = options;
    const byCreation = (a: { createdAt: number; streamId: Uint8Array }, b: { createdAt: number; streamId: Uint8Array }): number =>
      a.createdAt - b.createdAt || compareBytes(a.streamId, b.streamId);
    return this.#objects
      .streams()
      .filter((o) => o.createdAt >= since && (cursor === undefined || byCreation(o, cursor) > 0))
      .sort(byCreation)
      .slice(0, options.limit)
      .map((o) => cloneObject(o));
  }

  async oldestPendingCreatedAt(): Promise<number | undefined> {
    let oldest: number | undefined;
    for (const o of this.#objects.streams()) if (o.status === 'pending' && (oldest === undefined || o.createdAt < oldest)) oldest = o.createdAt;
    return oldest;
  }

  async listSegmentKeys(streamId: StreamId, options: { cursor?: SegmentPosition | undefined; limit: number }): Promise<SegmentKey[]> {
    const segments = await this.listSegments(streamId, options);
    return segments.map((s) => ({ position: s.position, encryptedKey: s.encryptedKey, encryptedKeyNonce: s.encryptedKeyNonce }));
  }

  async beginMove(begin: BeginMove): Promise<MoveOperation> {
    validateBeginMove(begin);
    return movePlans.beginMove(this.#tables, begin);
  }

  async getMoveOperation(projectId: ProjectId, operationId: Uint8Array, now: number): Promise<MoveOperation | undefined> {
    v.requireBytes(projectId, 'projectId', v.ID_LENGTH);
    requireOperationId(operationId);
    v.requireCount(now, 'now');
    const entry = this.#moves.live(projectId, operationId, now);
    return entry && cloneOperation(entry.operation);
  }

  async putMoveKeys(projectId: ProjectId, operationId: Uint8Array, keys: readonly SegmentKey[], now: number): Promise<void> {
    v.requireBytes(projectId, 'projectId', v.ID_LENGTH);
    requireOperationId(operationId);
    const packed = validateSegmentKeys(keys);
    v.requireCount(now, 'now');
    movePlans.putMoveKeys(this.#tables, projectId, operationId, keys, packed, now);
  }

  async finishMove(finish: FinishMove): Promise<MoveResult> {
    validateFinishMove(finish);
    return movePlans.finishMove(this.#tables, finish);
  }

  async deleteExpiredMoves(now: number, limit: number): Promise<number> {
    v.requireCount(now, 'now');
    v.requireLimit(limit);
    return this.#moves.deleteExpired(now, limit);
  }

  async close(): Promise<void> {}
}
