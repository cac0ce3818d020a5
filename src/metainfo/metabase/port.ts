import type {
  Bucket,
  EncryptedMetadata,
  EncryptionParameters,
  ObjectRecord,
  Piece,
  ProjectId,
  RedundancyScheme,
  SegmentCursor,
  SegmentPosition,
  SegmentRecord,
  StreamId,
} from './types.js';
import type { BeginMove, FinishMove, MoveOperation, MoveResult, SegmentKey } from './move.js';

/** Locates one stream exactly. */
export interface ObjectLocation {
  readonly projectId: ProjectId;
  readonly bucket: string;
  readonly objectKey: Uint8Array;
}

export interface BeginObject extends ObjectLocation {
  readonly streamId: StreamId;
  readonly createdAt: number;
  readonly expiresAt?: number | undefined;
  readonly uploadDeadline: number;
  readonly redundancy: RedundancyScheme;
  readonly encryption: EncryptionParameters;
}

export interface CommitSegment {
  readonly projectId: ProjectId;
  readonly bucket: string;
  readonly objectKey: Uint8Array;
  readonly streamId: StreamId;
  readonly position: SegmentPosition;
  readonly createdAt: number;
  readonly expiresAt?: number | undefined;
  readonly rootPieceId: Uint8Array;
  readonly encryptedKey: Uint8Array;
  readonly encryptedKeyNonce: Uint8Array;
  readonly encryptedSize: number;
  readonly plainSize: number;
  readonly redundancy?: RedundancyScheme | undefined;
  readonly pieces: readonly Piece[];
  readonly inlineData?: Uint8Array | undefined;
}

export interface CommitObject {
  readonly projectId: ProjectId;
  readonly bucket: string;
  readonly objectKey: Uint8Array;
  readonly streamId: StreamId;
  readonly committedAt: number;
  readonly metadata?: EncryptedMetadata | undefined;
  /** Refuse (FailedPrecondition) when the pending stream's deadline is before this time. */
  readonly now: number;
  readonly maxSegments: number;
}

/**
 * A position inside one key's entries. A listing orders entries by key (bytes, memcmp), and the
 * entries of one key by version, newest first, then pending streams (version 0) by `streamId`.
 */
export interface VersionCursor {
  readonly version: number;
  readonly streamId: StreamId;
}

/**
 * One page of a bucket listing. Entries are ordered by key bytes; a collapsed prefix sits where
 * its key sorts and appears once.
 */
export interface ListObjects {
  readonly projectId: ProjectId;
  readonly bucket: string;
  /** Only keys starting with these bytes. */
  readonly prefix: Uint8Array;
  /**
   * Resume after this key (exclusive): every entry of the key is skipped, and a collapsed prefix
   * is skipped entirely. Ignored when it sorts before `prefix`.
   */
  readonly cursor?: Uint8Array | undefined;
  /**
   * With `cursor`: resume after this entry of the cursor key instead of after the whole key —
   * pass the page's `moreVersion` when listing several entries per key (`allVersions`,
   * `includePending`), where a page may end inside one key's entries.
   */
  readonly cursorVersion?: VersionCursor | undefined;
  /**
   * When false, keys with another `/` (0x2f) after the prefix are folded into one
   * `prefix` entry (like S3's delimiter) — components are encrypted one by one, so the separator
   * survives encryption.
   */
  readonly recursive: boolean;
  readonly limit: number;
  /** Also list pending streams (default: committed, latest version only). */
  readonly includePending?: boolean | undefined;
  /** List every committed version instead of only the latest. */
  readonly allVersions?: boolean | undefined;
}

/** A position in the streams ordered by creation: (createdAt, streamId). */
export interface StreamCreationCursor {
  readonly createdAt: number;
  readonly streamId: StreamId;
}

export type ListedEntry = { readonly kind: 'object'; readonly object: ObjectRecord } | { readonly kind: 'prefix'; readonly key: Uint8Array };

export interface ListPage {
  readonly entries: readonly ListedEntry[];
  /** Pass as `cursor` to continue; undefined when nothing follows. */
  readonly more: Uint8Array | undefined;
  /** When the page ends with an object: its entry, to pass as `cursorVersion` together with `more`. */
  readonly moreVersion?: VersionCursor | undefined;
}

/** One window of {@link MetabaseStore.iterateSegmentsHolding}. */
export interface SegmentWindow {
  /** The window's segments that may hold a piece on the node, in iteration order. */
  readonly segments: SegmentRecord[];
  /** Segments in the window (at most `limit`; fewer means the iteration is over). */
  readonly scanned: number;
  /** The window's last segment, where the next window starts; undefined for an empty window. */
  readonly last: SegmentCursor | undefined;
}

/**
 * The satellite's object store. Every multi-row change is atomic (one transaction or one
 * compare-and-swap statement). Implementations: memory, SQLite, PostgreSQL — all pass
 * `metabaseStoreSuite` from handoff/testing.
 *
 * Malformed input (id lengths: projectId/streamId 16 bytes, rootPieceId 32 or 0 for inline,
 * nodeId 32; negative or unsafe sizes and times; limit < 1; repeated piece numbers) is an
 * `InvalidArgumentError` and changes nothing. Lists that span several streams return segments
 * in (streamId, part, index) order.
 *
 * Pieces can be shared: a copy's segments reference the source's root piece ids. So every
 * delete (object, bucket, pending, expired, a move's overwrite) returns only the deleted
 * segments whose pieces are released — remote segments whose root piece id no remaining segment
 * references — plus inline ones (they have no pieces). Callers delete the pieces of exactly
 * what is returned.
 */
export interface MetabaseStore {
  createBucket(bucket: Bucket): Promise<void>; // AlreadyExists
  getBucket(projectId: ProjectId, name: string): Promise<Bucket | undefined>;
  /** A project's buckets ordered by name (UTF-8 bytes), after `cursor` (exclusive). */
  listBuckets(projectId: ProjectId, options: { cursor?: string | undefined; limit: number }): Promise<Bucket[]>;
  /**
   * Deletes a bucket; a non-empty one (any committed or pending stream) only with `force` (then
   * every object and segment in it). FailedPrecondition otherwise; NotFound when absent.
   * Returns the deleted segments whose pieces are released (see above).
   */
  deleteBucket(projectId: ProjectId, name: string, options: { force: boolean }): Promise<SegmentRecord[]>;

  /** Inserts a pending stream (version 0). AlreadyExists when the streamId is taken; NotFound when the bucket does not exist. */
  beginObject(begin: BeginObject): Promise<ObjectRecord>;
  /** Stores a segment of a pending stream (replacing none: AlreadyExists if the position is taken). FailedPrecondition if the stream is not pending or past its deadline (uses `createdAt` as now). */
  commitSegment(segment: CommitSegment): Promise<void>;
  /**
   * Atomically: checks the stream is pending at this location and not past its deadline
   * (FailedPrecondition otherwise), orders its segments by (part, index), refuses more than
   * `maxSegments` (InvalidArgument), sets their plain offsets, assigns version = highest committed
   * + 1, marks it committed (`uploadDeadline` becomes undefined). Returns the committed object.
   */
  commitObject(commit: CommitObject): Promise<ObjectRecord>;
  /**
   * Inserts a committed object and its single inline segment (position {0, 0}, `inlineData`
   * required) in one step. AlreadyExists when the streamId is taken; NotFound without the bucket.
   */
  commitInlineObject(begin: BeginObject, segment: Omit<CommitSegment, keyof ObjectLocation | 'streamId'>, metadata: EncryptedMetadata | undefined, committedAt: number): Promise<ObjectRecord>;

  /** The latest committed version, or the given version (committed). */
  getObject(location: ObjectLocation, version?: number): Promise<ObjectRecord | undefined>;
  /** A stream by id (pending or committed) within the location. */
  getStream(location: ObjectLocation, streamId: StreamId): Promise<ObjectRecord | undefined>;
  listObjects(list: ListObjects): Promise<ListPage>;
  /** Segments of a stream in (part, index) order, after `cursor` (exclusive). */
  listSegments(streamId: StreamId, options: { cursor?: SegmentPosition | undefined; limit: number }): Promise<SegmentRecord[]>;
  getSegment(streamId: StreamId, position: SegmentPosition): Promise<SegmentRecord | undefined>;

  /** Deletes the latest committed version (or the given one) with its segments; returns those whose pieces are released, or undefined if none. */
  deleteObject(location: ObjectLocation, version?: number): Promise<{ object: ObjectRecord; segments: SegmentRecord[] } | undefined>;
  /** Deletes a pending stream and its segments (abort); returns those whose pieces are released. NotFound if there is none. */
  deletePendingObject(location: ObjectLocation, streamId: StreamId): Promise<SegmentRecord[]>;
  /**
   * Deletes up to `limit` streams: pending ones whose `uploadDeadline < now` (oldest deadline
   * first), then committed ones whose `expiresAt <= now` (soonest first), one at a time; returns
   * the streams and the segments whose pieces are released.
   */
  deleteExpired(now: number, limit: number): Promise<{ objects: ObjectRecord[]; segments: SegmentRecord[] }>;

  /** Every segment of every stream, in (streamId, part, index) order, after `cursor` (exclusive). */
  iterateSegments(options: { cursor?: SegmentCursor | undefined; limit: number }): Promise<SegmentRecord[]>;
  /**
   * Optional: the window `iterateSegments` would return, of which only the segments that may
   * hold a piece on `nodeId` are decoded and returned (the caller checks each; one with no piece
   * there may come back, one with a piece never stays out). A store can sift the raw rows far
   * more cheaply than the caller can sift records: graceful exit's gathering reads every segment
   * to find the few holding one node's pieces.
   */
  iterateSegmentsHolding?(nodeId: Uint8Array, options: { cursor?: SegmentCursor | undefined; limit: number }): Promise<SegmentWindow>;
  /**
   * Optional: the window `iterateSegments` would return, of which only the segments `match`
   * accepts are decoded and returned. `match` sees each segment's stored piece list — the
   * canonical blob of `encodePieces`: 34 bytes a piece (a u16 big-endian number, then the 32-byte
   * node id), by number; empty for an inline segment —, its redundancy and its stream id, before
   * any record is built: the repair checker reads every segment to find the few that need repair.
   */
  iterateSegmentsMatching?(
    match: (pieces: Uint8Array, redundancy: RedundancyScheme | undefined, streamId: Uint8Array) => boolean,
    options: { cursor?: SegmentCursor | undefined; limit: number },
  ): Promise<SegmentWindow>;
  /**
   * Every segment whose root piece id is `rootPieceId` — a segment and the copies sharing its
   * pieces — in (streamId, position) order. Graceful exit and repair use it so that handing over
   * or replacing a piece updates every segment that references it.
   */
  segmentsByRootPieceId(rootPieceId: Uint8Array): Promise<SegmentRecord[]>;
  /**
   * Compare-and-swap of a segment's piece list: applies `next` only if the stored list equals
   * `expected` (same numbers and node ids, in any order; stored sorted by number). Returns false
   * (and changes nothing) otherwise, or if the segment is gone. One statement: of racing swaps
   * from the same `expected`, exactly one wins.
   */
  swapSegmentPieces(streamId: StreamId, position: SegmentPosition, expected: readonly Piece[], next: readonly Piece[]): Promise<boolean>;

  // Garbage collection (docs/durability.md).

  /**
   * Streams, pending or committed, created at or after `since`, in (createdAt, streamId) order,
   * after `cursor` (exclusive). A copy is a new stream created when it is made, so this finds
   * every copy made since a time — the segment rows a full iteration may have passed by.
   */
  listStreamsCreatedSince(since: number, options: { cursor?: StreamCreationCursor | undefined; limit: number }): Promise<ObjectRecord[]>;
  /** When the oldest pending stream (upload in progress) was created; undefined when none is pending. */
  oldestPendingCreatedAt(): Promise<number | undefined>;

  // Server-side move and copy (seed 002, docs/move.md).

  /** A stream's wrapped segment keys in (part, index) order, after `cursor` (exclusive) — what a move re-wraps. */
  listSegmentKeys(streamId: StreamId, options: { cursor?: SegmentPosition | undefined; limit: number }): Promise<SegmentKey[]>;
  /**
   * Records a chunked move of `source`, which must be committed exactly there (NotFound
   * otherwise). AlreadyExists when the operation id is taken.
   */
  beginMove(begin: BeginMove): Promise<MoveOperation>;
  /** The operation, if it exists, belongs to `projectId` and has not expired at `now`. */
  getMoveOperation(projectId: ProjectId, operationId: Uint8Array, now: number): Promise<MoveOperation | undefined>;
  /**
   * Stores re-wrapped keys under an operation. The batch must be exactly the source stream's
   * segments between its lowest and highest position (InvalidArgument otherwise), so an
   * operation never holds more keys than the object has segments. Idempotent per position: a
   * chunk sent again replaces its keys. NotFound for an unknown, foreign or expired operation;
   * FailedPrecondition once it is finished.
   */
  putMoveKeys(projectId: ProjectId, operationId: Uint8Array, keys: readonly SegmentKey[], now: number): Promise<void>;
  /**
   * Applies a move or copy in one transaction, after checking that the source is still
   * committed exactly there (FailedPrecondition "object was changed during move"; NotFound when
   * it expired), that the keys cover every segment exactly once (InvalidArgument), that the
   * metadata key is given exactly when the object has metadata, and that the destination bucket
   * exists (NotFound) and key is free (AlreadyExists) unless `overwrite` (then its committed
   * versions are deleted in the same transaction). The destination version is its highest
   * committed version + 1. A move keeps `createdAt` and every segment's (streamId, position),
   * changing only keys; a copy is a new stream whose segments share the source's pieces.
   * Retry-safe: a finished operation returns its result until it expires, and a finish whose
   * move already happened (the stream is at the destination, or the copy exists) returns it with
   * `changed: false`. Source = destination is a no-op.
   */
  finishMove(finish: FinishMove): Promise<MoveResult>;
  /** Deletes up to `limit` move operations (with their keys) whose `expiresAt <= now`; returns how many. */
  deleteExpiredMoves(now: number, limit: number): Promise<number>;

  close(): Promise<void>;
}
