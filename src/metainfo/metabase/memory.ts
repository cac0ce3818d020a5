/**
 * The in-memory metabase: sorted arrays standing in for the SQL indexes, so it orders, pages and
 * refuses exactly like the SQLite and PostgreSQL stores (all three pass `metabaseStoreSuite`).
 * Every method runs to completion without yielding, which makes each one atomic.
 */
import { compareBytes, equalBytes, toHex, utf8 } from '../../core/bytes.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import { compareListed, isAtOrAfter, listObjectsPage, type ScanQuery } from './listing.js';
import { canonicalPieces, encodePieces } from './pieces.js';
import type { BeginObject, CommitObject, CommitSegment, ListObjects, ListPage, MetabaseStore, ObjectLocation } from './port.js';
import { MemorySegmentTable } from './memory-segments.js';
import { cloneKey, cloneOperation, MemoryMoveTable } from './memory-moves.js';
import {
  isOntoItself, moveErrors, requireOperationId, validateBeginMove, validateFinishMove, validateSegmentKeys,
  type BeginMove, type ExactObject, type FinishMove, type MoveOperation, type MoveResult, type SegmentKey,
} from './move.js';
import { packPosition, requirePosition } from './position.js';
import { cloneObject, cloneSegment, compareSegments, isAt, newSegment, pendingObject } from './records.js';
import { insertSorted, lowerBound, removeSorted } from './sorted.js';
import type { Bucket, EncryptedMetadata, ObjectRecord, Piece, ProjectId, SegmentCursor, SegmentPosition, SegmentRecord, StreamId } from './types.js';
import * as v from './validate.js';

const compareBucketNames = (a: string, b: string): number => compareBytes(utf8(a), utf8(b));
const bucketKey = (projectId: ProjectId, bucket: string): string => `${toHex(projectId)}/${bucket}`;

/**
 * @example
 * ```ts
 * const store = new MemoryMetabaseStore();
 * await store.createBucket({ projectId, name: 'photos', createdAt: Date.now() });
 * ```
 */
export class MemoryMetabaseStore implements MetabaseStore {
  /** project → buckets by name. */
  readonly #buckets = new Map<string, Bucket[]>();
  /** streamId → its row. */
  readonly #streams = new Map<string, ObjectRecord>();
  /** project/bucket → rows in listing order (key, version descending, streamId). */
  readonly #rows = new Map<string, ObjectRecord[]>();
  readonly #segments = new MemorySegmentTable();
  readonly #moves = new MemoryMoveTable();

  async createBucket(bucket: Bucket): Promise<void> {
    v.requireBytes(bucket.projectId, 'projectId', v.ID_LENGTH);
    v.requireBucketName(bucket.name, 'name');
    v.requireCount(bucket.createdAt, 'createdAt');
    const list = this.#bucketsOf(bucket.projectId, true);
    if (this.#findBucket(list, bucket.name)) throw new AlreadyExistsError(`bucket ${JSON.stringify(bucket.name)} already exists`);
    insertSorted(list, { projectId: new Uint8Array(bucket.projectId), name: bucket.name, createdAt: bucket.createdAt }, (a, b) =>
      compareBucketNames(a.name, b.name),
    );
  }

  async getBucket(projectId: ProjectId, name: string): Promise<Bucket | undefined> {
    v.requireBytes(projectId, 'projectId', v.ID_LENGTH);
    v.requireBucketName(name, 'name');
    const found = this.#findBucket(this.#bucketsOf(projectId, false), name);
    return found && { ...found, projectId: new Uint8Array(found.projectId) };
  }

  async listBuckets(projectId: ProjectId, options: { cursor?: string | undefined; limit: number }): Promise<Bucket[]> {
    v.requireBytes(projectId, 'projectId', v.ID_LENGTH);
    v.requireLimit(options.limit);
    const list = this.#bucketsOf(projectId, false);
    const { cursor } = options;
    const from = cursor === undefined ? 0 : lowerBound(list, (b) => compareBucketNames(b.name, cursor) <= 0);
    return list.slice(from, from + options.limit).map((b) => ({ ...b, projectId: new Uint8Array(b.projectId) }));
  }

  async deleteBucket(projectId: ProjectId, name: string, options: { force: boolean }): Promise<SegmentRecord[]> {
    v.requireBytes(projectId, 'projectId', v.ID_LENGTH);
    v.requireBucketName(name, 'name');
    const list = this.#bucketsOf(projectId, false);
    const bucket = this.#findBucket(list, name);
    if (!bucket) throw new NotFoundError(`bucket ${JSON.stringify(name)} not found`);
    const rows = this.#rows.get(bucketKey(projectId, name)) ?? [];
    if (rows.length > 0 && !options.force) throw new FailedPreconditionError(`bucket ${JSON.stringify(name)} is not empty`);
    const segments = this.#removeStreams([...rows]);
    list.splice(list.indexOf(bucket), 1);
    return segments.sort(compareSegments);
  }

  async beginObject(begin: BeginObject): Promise<ObjectRecord> {
    v.validateBegin(begin);
    this.#requireBucket(begin.projectId, begin.bucket);
    if (this.#streams.has(toHex(begin.streamId))) throw new AlreadyExistsError('stream id already exists');
    const row = pendingObject(begin);
    this.#insertStream(row);
    return cloneObject(row);
  }

  async commitSegment(segment: CommitSegment): Promise<void> {
    const pieces = v.validateCommitSegment(segment);
    const stream = this.#pendingStream(segment, segment.streamId);
    if (stream.uploadDeadline! < segment.createdAt) throw new FailedPreconditionError('upload expired');
    if (this.#segments.indexOf(segment.streamId, segment.position) >= 0) {
      throw new AlreadyExistsError(`segment ${segment.position.part}/${segment.position.index} already exists`);
    }
    this.#segments.insert(newSegment(segment.streamId, segment, pieces));
  }

  async commitObject(commit: CommitObject): Promise<ObjectRecord> {
    v.validateCommitObject(commit);
    const stream = this.#pendingStream(commit, commit.streamId);
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
      version: this.#latestVersion(commit) + 1,
      status: 'committed',
      committedAt: commit.committedAt,
      uploadDeadline: undefined,
      segmentCount: segments.length,
      totalPlainSize: offset,
      totalEncryptedSize: encrypted,
      metadata: commit.metadata,
    });
    this.#replaceStream(stream, committed);
    return cloneObject(committed);
  }

  async commitInlineObject(
    begin: BeginObject,
    segment: Omit<CommitSegment, keyof ObjectLocation | 'streamId'>,
    metadata: EncryptedMetadata | undefined,
    committedAt: number,
  ): Promise<ObjectRecord> {
    const pieces = v.validateInline(begin, segment, metadata, committedAt);
    this.#requireBucket(begin.projectId, begin.bucket);
    if (this.#streams.has(toHex(begin.streamId))) throw new AlreadyExistsError('stream id already exists');
    const row = cloneObject(pendingObject(begin), {
      version: this.#latestVersion(begin) + 1,
      status: 'committed',
      committedAt,
      uploadDeadline: undefined,
      segmentCount: 1,
      totalPlainSize: segment.plainSize,
      totalEncryptedSize: segment.encryptedSize,
      metadata,
    });
    this.#insertStream(row);
    this.#segments.insert(newSegment(begin.streamId, segment, pieces));
    return cloneObject(row);
  }

  async getObject(location: ObjectLocation, version?: number): Promise<ObjectRecord | undefined> {
    v.requireLocation(location);
    v.requireOptionalVersion(version);
    const found = this.#committed(location, version);
    return found && cloneObject(found);
  }

  async getStream(location: ObjectLocation, streamId: StreamId): Promise<ObjectRecord | undefined> {
    v.requireLocation(location);
    v.requireBytes(streamId, 'streamId', v.ID_LENGTH);
    const row = this.#streams.get(toHex(streamId));
    return row && isAt(row, location) ? cloneObject(row) : undefined;
  }

  async listObjects(list: ListObjects): Promise<ListPage> {
    return listObjectsPage(list, (query) => this.#scan(list, query));
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
    const found = this.#committed(location, version);
    if (!found) return undefined;
    return { object: cloneObject(found), segments: this.#removeStreams([found]) };
  }

  async deletePendingObject(location: ObjectLocation, streamId: StreamId): Promise<SegmentRecord[]> {
    v.requireLocation(location);
    v.requireBytes(streamId, 'streamId', v.ID_LENGTH);
    const row = this.#streams.get(toHex(streamId));
    if (!row || !isAt(row, location) || row.status !== 'pending') throw new NotFoundError('pending object not found');
    return this.#removeStreams([row]);
  }

  async deleteExpired(now: number, limit: number): Promise<{ objects: ObjectRecord[]; segments: SegmentRecord[] }> {
    v.requireCount(now, 'now');
    v.requireLimit(limit);
    const all = [...this.#streams.values()];
    const byTime = (time: (o: ObjectRecord) => number) => (a: ObjectRecord, b: ObjectRecord) =>
      time(a) - time(b) || compareBytes(a.streamId, b.streamId);
    const abandoned = all.filter((o) => o.status === 'pending' && o.uploadDeadline! < now).sort(byTime((o) => o.uploadDeadline!));
    const expired = all.filter((o) => o.status === 'committed' && o.expiresAt !== undefined && o.expiresAt <= now).sort(byTime((o) => o.expiresAt!));
    const objects = [...abandoned, ...expired].slice(0, limit);
    // One stream at a time, as the SQL stores do it.
    const segments = objects.flatMap((o) => this.#removeStreams([o]));
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

  async listSegmentKeys(streamId: StreamId, options: { cursor?: SegmentPosition | undefined; limit: number }): Promise<SegmentKey[]> {
    const segments = await this.listSegments(streamId, options);
    return segments.map((s) => ({ position: s.position, encryptedKey: s.encryptedKey, encryptedKeyNonce: s.encryptedKeyNonce }));
  }

  async beginMove(begin: BeginMove): Promise<MoveOperation> {
    validateBeginMove(begin);
    const source = this.#exact(begin.source);
    if (!source) throw new NotFoundError('object not found');
    if (this.#moves.has(begin.operationId)) throw new AlreadyExistsError('move operation id already exists');
    const operation: MoveOperation = {
      operationId: begin.operationId,
      projectId: source.projectId,
      streamId: source.streamId,
      segmentCount: source.segmentCount,
      createdAt: begin.createdAt,
      expiresAt: begin.expiresAt,
      finishedStreamId: undefined,
    };
    this.#moves.insert(operation);
    return cloneOperation(operation);
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
    const entry = this.#moves.live(projectId, operationId, now);
    if (!entry) throw new NotFoundError(moveErrors.operationNotFound);
    if (entry.operation.finishedStreamId) throw new FailedPreconditionError(moveErrors.operationFinished);
    if (packed.length === 0) return;
    // The batch must be exactly the stream's segments in its range: stored keys never outnumber segments.
    const first = packed[0]!;
    const last = packed[packed.length - 1]!;
    const inRange = this.#segments.ofStream(entry.operation.streamId).map((s) => packPosition(s.position)).filter((p) => p >= first && p <= last);
    if (inRange.length !== packed.length || inRange.some((p, i) => p !== packed[i])) throw new InvalidArgumentError(moveErrors.keysMismatch);
    for (const key of keys) entry.keys.set(packPosition(key.position), cloneKey(key));
  }

  async finishMove(finish: FinishMove): Promise<MoveResult> {
    validateFinishMove(finish);
    const { source, destination, now } = finish;
    const target = { projectId: source.projectId, bucket: destination.bucket, objectKey: destination.objectKey };
    const unchanged = (row: ObjectRecord): MoveResult => ({ object: cloneObject(row), deletedSegments: [], changed: false });
    const entry = 'operationId' in finish.keys ? this.#moves.live(source.projectId, finish.keys.operationId, now) : undefined;
    if ('operationId' in finish.keys) {
      if (!entry) throw new NotFoundError(moveErrors.operationNotFound);
      if (!equalBytes(entry.operation.streamId, source.streamId)) throw new InvalidArgumentError(moveErrors.operationMismatch);
      if (entry.operation.finishedStreamId) {
        const done = this.#streams.get(toHex(entry.operation.finishedStreamId));
        if (!done) throw new NotFoundError('the moved object no longer exists');
        return unchanged(done);
      }
    }
    if (finish.mode === 'copy') {
      const copied = this.#streams.get(toHex(finish.copyStreamId!));
      if (copied) {
        if (copied.status === 'committed' && isAt(copied, target)) return unchanged(copied);
        throw new AlreadyExistsError('stream id already exists');
      }
    }
    const row = this.#streams.get(toHex(source.streamId));
    if (!row || !this.#exact(source)) {
      // A move that already happened (its reply was lost): the stream sits at the destination.
      if (finish.mode === 'move' && row?.status === 'committed' && isAt(row, target)) return unchanged(row);
      throw new FailedPreconditionError(moveErrors.changed);
    }
    if (row.expiresAt !== undefined && row.expiresAt <= now) throw new NotFoundError('object not found');
    if (isOntoItself(finish)) return unchanged(row);
    if ((row.metadata === undefined) !== (finish.metadataKey === undefined)) {
      throw new InvalidArgumentError(row.metadata ? moveErrors.metadataMissing : moveErrors.metadataUnexpected);
    }
    const keys = entry ? entry.keys : new Map((finish.keys as { segments: readonly SegmentKey[] }).segments.map((k) => [packPosition(k.position), k]));
    if (keys.size !== row.segmentCount) throw new InvalidArgumentError(moveErrors.keyCount(keys.size, row.segmentCount));
    const segments = this.#segments.ofStream(row.streamId);
    if (segments.length !== keys.size || segments.some((s) => !keys.has(packPosition(s.position)))) throw new InvalidArgumentError(moveErrors.keysMismatch);
    this.#requireBucket(target.projectId, target.bucket);
    const taken = this.#keyRows(target).filter((r) => r.status === 'committed');
    if (taken.length > 0 && !finish.overwrite) throw new AlreadyExistsError(moveErrors.destinationTaken);

    // Every check passed: from here on nothing throws, so the change is all or nothing.
    const version = this.#latestVersion(target) + 1;
    const deletedSegments = this.#removeStreams(taken).sort(compareSegments);
    const m = finish.metadataKey;
    const metadata = row.metadata && m && { ...row.metadata, encryptedMetadataKey: m.encryptedMetadataKey, encryptedMetadataKeyNonce: m.encryptedMetadataKeyNonce };
    const rekeyed = (s: SegmentRecord, changes: Partial<SegmentRecord> = {}): SegmentRecord => {
      const key = keys.get(packPosition(s.position))!;
      return cloneSegment(s, { encryptedKey: key.encryptedKey, encryptedKeyNonce: key.encryptedKeyNonce, ...changes });
    };
    let result: ObjectRecord;
    if (finish.mode === 'move') {
      result = cloneObject(row, { bucket: target.bucket, objectKey: target.objectKey, version, metadata });
      segments.forEach((s, i) => (segments[i] = rekeyed(s)));
      this.#replaceStream(row, result);
    } else {
      const streamId = finish.copyStreamId!;
      result = cloneObject(row, { streamId, bucket: target.bucket, objectKey: target.objectKey, version, createdAt: now, committedAt: now, metadata });
      this.#insertStream(result);
      for (const s of [...segments]) this.#segments.insert(rekeyed(s, { streamId }));
    }
    if (entry) this.#moves.finish(entry, result.streamId);
    return { object: cloneObject(result), deletedSegments, changed: true };
  }

  async deleteExpiredMoves(now: number, limit: number): Promise<number> {
    v.requireCount(now, 'now');
    v.requireLimit(limit);
    return this.#moves.deleteExpired(now, limit);
  }

  async close(): Promise<void> {}

  /** The committed stream `exact` names, if it is still exactly there. */
  #exact(exact: ExactObject): ObjectRecord | undefined {
    const row = this.#streams.get(toHex(exact.streamId));
    return row && row.status === 'committed' && row.version === exact.version && isAt(row, exact) ? row : undefined;
  }

  #bucketsOf(projectId: ProjectId, create: boolean): Bucket[] {
    const key = toHex(projectId);
    let list = this.#buckets.get(key);
    if (!list) {
      list = [];
      if (create) this.#buckets.set(key, list);
    }
    return list;
  }

  #findBucket(list: readonly Bucket[], name: string): Bucket | undefined {
    return list.find((b) => b.name === name);
  }

  #requireBucket(projectId: ProjectId, name: string): void {
    if (!this.#findBucket(this.#bucketsOf(projectId, false), name)) throw new NotFoundError(`bucket ${JSON.stringify(name)} not found`);
  }

  /** The stream `streamId`, which must be pending at `location`. */
  #pendingStream(location: ObjectLocation, streamId: StreamId): ObjectRecord {
    const row = this.#streams.get(toHex(streamId));
    if (!row || !isAt(row, location) || row.status !== 'pending') throw new FailedPreconditionError('no pending object for this stream');
    return row;
  }

  /** Rows of `location`'s key, in listing order (committed newest first, then pending). */
  #keyRows(location: ObjectLocation): ObjectRecord[] {
    const rows = this.#rows.get(bucketKey(location.projectId, location.bucket)) ?? [];
    const from = lowerBound(rows, (r) => compareBytes(r.objectKey, location.objectKey) < 0);
    const to = lowerBound(rows, (r) => compareBytes(r.objectKey, location.objectKey) <= 0);
    return rows.slice(from, to);
  }

  #latestVersion(location: ObjectLocation): number {
    return this.#keyRows(location).find((r) => r.status === 'committed')?.version ?? 0;
  }

  #committed(location: ObjectLocation, version: number | undefined): ObjectRecord | undefined {
    return this.#keyRows(location).find((r) => r.status === 'committed' && (version === undefined || r.version === version));
  }

  #scan(list: ListObjects, query: ScanQuery): ObjectRecord[] {
    const rows = this.#rows.get(bucketKey(list.projectId, list.bucket)) ?? [];
    const out: ObjectRecord[] = [];
    for (let i = lowerBound(rows, (r) => !isAtOrAfter(r, query.start)); i < rows.length && out.length < query.limit; i++) {
      const row = rows[i]!;
      if (query.end !== undefined && compareBytes(row.objectKey, query.end) >= 0) break;
      // Committed rows of a key come first, newest first: the latest is the first row of its key.
      const latest = i === 0 || !equalBytes(rows[i - 1]!.objectKey, row.objectKey);
      const visible = row.status === 'pending' ? query.includePending : query.allVersions || latest;
      if (visible) out.push(cloneObject(row));
    }
    return out;
  }

  #insertStream(row: ObjectRecord): void {
    this.#streams.set(toHex(row.streamId), row);
    const key = bucketKey(row.projectId, row.bucket);
    let rows = this.#rows.get(key);
    if (!rows) this.#rows.set(key, (rows = []));
    insertSorted(rows, row, compareListed);
  }

  #replaceStream(old: ObjectRecord, row: ObjectRecord): void {
    removeSorted(this.#rows.get(bucketKey(old.projectId, old.bucket))!, old, compareListed);
    this.#insertStream(row);
  }

  /** Removes streams with their segments; returns the segments whose pieces are released (see MemorySegmentTable). */
  #removeStreams(rows: readonly ObjectRecord[]): SegmentRecord[] {
    for (const row of rows) {
      this.#streams.delete(toHex(row.streamId));
      const bucketRows = this.#rows.get(bucketKey(row.projectId, row.bucket))!;
      removeSorted(bucketRows, row, compareListed);
      if (bucketRows.length === 0) this.#rows.delete(bucketKey(row.projectId, row.bucket));
    }
    return this.#segments.removeStreams(rows.map((row) => row.streamId));
  }
}
