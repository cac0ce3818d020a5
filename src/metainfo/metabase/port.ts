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

export interface ListObjects {
  readonly projectId: ProjectId;
  readonly bucket: string;
  /** Only keys starting with these bytes. */
  readonly prefix: Uint8Array;
  /** Resume after this key (exclusive). */
  readonly cursor?: Uint8Array | undefined;
  /**
   * When false, keys with another `/` (0x2f) after the prefix are folded into one
   * `prefix` entry (like S3's delimiter) — components are encrypted one by one, so the separator
   * survives encryption.
   */
  readonly recursive: boolean;
  readonly limit: number;
  /** Also list pending streams (default: committed, latest version only). */
  readonly includePending?: boolean;
  /** List every committed version instead of only the latest. */
  readonly allVersions?: boolean;
}

export type ListedEntry = { readonly kind: 'object'; readonly object: ObjectRecord } | { readonly kind: 'prefix'; readonly key: Uint8Array };

export interface ListPage {
  readonly entries: readonly ListedEntry[];
  /** Pass as `cursor` to continue; undefined at the end. */
  readonly more: Uint8Array | undefined;
}

/**
 * The satellite's object store. Every multi-row change is atomic (one transaction or one
 * compare-and-swap statement). Implementations: memory, SQLite, PostgreSQL — all pass
 * `metabaseStoreSuite` from handoff/testing.
 */
export interface MetabaseStore {
  createBucket(bucket: Bucket): Promise<void>; // AlreadyExists
  getBucket(projectId: ProjectId, name: string): Promise<Bucket | undefined>;
  listBuckets(projectId: ProjectId, options: { cursor?: string | undefined; limit: number }): Promise<Bucket[]>;
  /** Deletes a bucket; a non-empty one only with `force` (then every object and segment in it). FailedPrecondition otherwise. Returns deleted segments. */
  deleteBucket(projectId: ProjectId, name: string, options: { force: boolean }): Promise<SegmentRecord[]>;

  /** Inserts a pending stream. AlreadyExists when the streamId is taken. */
  beginObject(begin: BeginObject): Promise<ObjectRecord>;
  /** Stores a segment of a pending stream (replacing none: AlreadyExists if the position is taken). FailedPrecondition if the stream is not pending or past its deadline (uses `createdAt` as now). */
  commitSegment(segment: CommitSegment): Promise<void>;
  /**
   * Atomically: checks the stream is pending and not past its deadline, orders its segments by
   * (part, index), sets their plain offsets, assigns version = highest committed + 1, marks it
   * committed. Returns the committed object.
   */
  commitObject(commit: CommitObject): Promise<ObjectRecord>;
  /** Inserts a committed object and its single inline segment in one step. */
  commitInlineObject(begin: BeginObject, segment: Omit<CommitSegment, keyof ObjectLocation | 'streamId'>, metadata: EncryptedMetadata | undefined, committedAt: number): Promise<ObjectRecord>;

  /** The latest committed version, or the given version (committed). */
  getObject(location: ObjectLocation, version?: number): Promise<ObjectRecord | undefined>;
  /** A stream by id (pending or committed) within the location. */
  getStream(location: ObjectLocation, streamId: StreamId): Promise<ObjectRecord | undefined>;
  listObjects(list: ListObjects): Promise<ListPage>;
  /** Segments of a stream in (part, index) order, after `cursor` (exclusive). */
  listSegments(streamId: StreamId, options: { cursor?: SegmentPosition | undefined; limit: number }): Promise<SegmentRecord[]>;
  getSegment(streamId: StreamId, position: SegmentPosition): Promise<SegmentRecord | undefined>;

  /** Deletes the latest committed version (or the given one) with its segments; returns them, or undefined if none. */
  deleteObject(location: ObjectLocation, version?: number): Promise<{ object: ObjectRecord; segments: SegmentRecord[] } | undefined>;
  /** Deletes a pending stream and its segments (abort). NotFound if there is none. */
  deletePendingObject(location: ObjectLocation, streamId: StreamId): Promise<SegmentRecord[]>;
  /** Deletes up to `limit` pending streams past their deadline and committed objects past `expiresAt`; returns what went. */
  deleteExpired(now: number, limit: number): Promise<{ objects: ObjectRecord[]; segments: SegmentRecord[] }>;

  /** Every segment of every stream, in (streamId, part, index) order, after `cursor` (exclusive). */
  iterateSegments(options: { cursor?: SegmentCursor | undefined; limit: number }): Promise<SegmentRecord[]>;
  /**
   * Compare-and-swap of a segment's piece list: applies `next` only if the stored list equals
   * `expected` (same numbers and node ids). Returns false (and changes nothing) otherwise, or if
   * the segment is gone.
   */
  swapSegmentPieces(streamId: StreamId, position: SegmentPosition, expected: readonly Piece[], next: readonly Piece[]): Promise<boolean>;

  close(): Promise<void>;
}
