/**
 * The memory store's bucket and object tables: buckets by project in name order, streams by id,
 * and each bucket's rows in listing order (key, version descending, streamId) — what the SQL
 * stores keep in `metabase_buckets` and `metabase_objects` with its listing index. Removing a
 * stream removes its segments too, as the SQL stores' deletes do.
 */
import { compareBytes, equalBytes, toHex, utf8 } from '../../core/bytes.js';
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '../../core/errors.js';
import { compareListed, isAtOrAfter, type ScanQuery } from './listing.js';
import type { MemorySegmentTable } from './memory-segments.js';
import type { ExactObject } from './move.js';
import type { ObjectLocation } from './port.js';
import { cloneObject, compareSegments, isAt } from './records.js';
import { insertSorted, lowerBound, removeSorted } from './sorted.js';
import type { Bucket, ObjectRecord, ProjectId, SegmentRecord, StreamId } from './types.js';

const compareBucketNames = (a: string, b: string): number => compareBytes(utf8(a), utf8(b));
const bucketKey = (projectId: ProjectId, bucket: string): string => `${toHex(projectId)}/${bucket}`;
const copyBucket = (b: Bucket): Bucket => ({ ...b, projectId: new Uint8Array(b.projectId) });

/**
 * See the file comment.
 *
 * @example
 * ```ts
 * const segments = new MemorySegmentTable();
 * const objects = new MemoryObjectTable(segments);
 * objects.insertBucket({ projectId, name: 'photos', createdAt: 0 });
 * ```
 */
export class MemoryObjectTable {
  /** project → buckets by name. */
  readonly #buckets = new Map<string, Bucket[]>();
  /** streamId → its row. */
  readonly #streams = new Map<string, ObjectRecord>();
  /** project/bucket → rows in listing order (key, version descending, streamId). */
  readonly #rows = new Map<string, ObjectRecord[]>();
  readonly #segments: MemorySegmentTable;

  constructor(segments: MemorySegmentTable) {
    this.#segments = segments;
  }

  insertBucket(bucket: Bucket): void {
    const list = this.#bucketsOf(bucket.projectId, true);
    if (findBucket(list, bucket.name)) throw new AlreadyExistsError(`bucket ${JSON.stringify(bucket.name)} already exists`);
    const stored = { projectId: new Uint8Array(bucket.projectId), name: bucket.name, createdAt: bucket.createdAt };
    insertSorted(list, stored, (a, b) => compareBucketNames(a.name, b.name));
  }

  /** A copy of the bucket, if it exists. */
  getBucket(projectId: ProjectId, name: string): Bucket | undefined {
    const found = findBucket(this.#bucketsOf(projectId, false), name);
    return found && copyBucket(found);
  }

  /** Copies of the project's buckets named after `cursor`, at most `limit`. */
  listBuckets(projectId: ProjectId, cursor: string | undefined, limit: number): Bucket[] {
    const list = this.#bucketsOf(projectId, false);
    const from = cursor === undefined ? 0 : lowerBound(list, (b) => compareBucketNames(b.name, cursor) <= 0);
    return list.slice(from, from + limit).map(copyBucket);
  }

  /** Deletes a bucket (with its objects when `force`); returns the segments whose pieces are released. */
  deleteBucket(projectId: ProjectId, name: string, force: boolean): SegmentRecord[] {
    const list = this.#bucketsOf(projectId, false);
    const bucket = findBucket(list, name);
    if (!bucket) throw new NotFoundError(`bucket ${JSON.stringify(name)} not found`);
    const rows = this.#rows.get(bucketKey(projectId, name)) ?? [];
    if (rows.length > 0 && !force) throw new FailedPreconditionError(`bucket ${JSON.stringify(name)} is not empty`);
    const segments = this.remove([...rows]);
    list.splice(list.indexOf(bucket), 1);
    return segments.sort(compareSegments);
  }

  requireBucket(projectId: ProjectId, name: string): void {
    if (!findBucket(this.#bucketsOf(projectId, false), name)) throw new NotFoundError(`bucket ${JSON.stringify(name)} not found`);
  }

  /** The stored row of a stream (the live object: callers replace it, never mutate it). */
  stream(streamId: StreamId): ObjectRecord | undefined {
    return this.#streams.get(toHex(streamId));
  }

  /** Every stored row, in no particular order. */
  streams(): ObjectRecord[] {
    return [...this.#streams.values()];
  }

  /** The stream `streamId`, which must be pending at `location`. */
  pendingStream(location: ObjectLocation, streamId: StreamId): ObjectRecord {
    const row = this.stream(streamId);
    if (!row || !isAt(row, location) || row.status !== 'pending') throw new FailedPreconditionError('no pending object for this stream');
    return row;
  }

  /** The committed stream `exact` names, if it is still exactly there. */
  exact(exact: ExactObject): ObjectRecord | undefined {
    const row = this.stream(exact.streamId);
    return row && row.status === 'committed' && row.version === exact.version && isAt(row, exact) ? row : undefined;
  }

  /** Rows of `location`'s key, in listing order (committed newest first, then pending). */
  keyRows(location: ObjectLocation): ObjectRecord[] {
    const rows = this.#rows.get(bucketKey(location.projectId, location.bucket)) ?? [];
    const from = lowerBound(rows, (r) => compareBytes(r.objectKey, location.objectKey) < 0);
    const to = lowerBound(rows, (r) => compareBytes(r.objectKey, location.objectKey) <= 0);
    return rows.slice(from, to);
  }

  latestVersion(location: ObjectLocation): number {
    return this.keyRows(location).find((r) => r.status === 'committed')?.version ?? 0;
  }

  /** The committed row of `location` at `version`, or its latest one. */
  committed(location: ObjectLocation, version: number | undefined): ObjectRecord | undefined {
    return this.keyRows(location).find((r) => r.status === 'committed' && (version === undefined || r.version === version));
  }

  /** Copies of a bucket's visible rows for one listing scan (see {@link ScanQuery}). */
  scan(location: { readonly projectId: ProjectId; readonly bucket: string }, query: ScanQuery): ObjectRecord[] {
    const rows = this.#rows.get(bucketKey(location.projectId, location.bucket)) ?? [];
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

  insert(row: ObjectRecord): void {
    this.#streams.set(toHex(row.streamId), row);
    const key = bucketKey(row.projectId, row.bucket);
    let rows = this.#rows.get(key);
    if (!rows) this.#rows.set(key, (rows = []));
    insertSorted(rows, row, compareListed);
  }

  /** Puts `row` where `old` was (same stream; its key, version or status may differ). */
  replace(old: ObjectRecord, row: ObjectRecord): void {
    removeSorted(this.#rows.get(bucketKey(old.projectId, old.bucket))!, old, compareListed);
    this.insert(row);
  }

  /** Removes streams with their segments; returns the segments whose pieces are released (see MemorySegmentTable). */
  remove(rows: readonly ObjectRecord[]): SegmentRecord[] {
    for (const row of rows) {
      this.#streams.delete(toHex(row.streamId));
      const bucketRows = this.#rows.get(bucketKey(row.projectId, row.bucket))!;
      removeSorted(bucketRows, row, compareListed);
      if (bucketRows.length === 0) this.#rows.delete(bucketKey(row.projectId, row.bucket));
    }
    return this.#segments.removeStreams(rows.map((row) => row.streamId));
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
}

function findBucket(list: readonly Bucket[], name: string): Bucket | undefined {
  return list.find((b) => b.name === name);
}
