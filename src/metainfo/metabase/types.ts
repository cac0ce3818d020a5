/**
 * The metabase's records: buckets, objects (one row per stream) and segments keyed by
 * (streamId, position). Keys and metadata are ciphertext: the satellite never sees a
 * plaintext name, key or byte.
 */

/** 16 random bytes. */
export type ProjectId = Uint8Array;
/** 16 random bytes, one per upload. */
export type StreamId = Uint8Array;

/** How segments are erasure-coded: `required` of `total` pieces rebuild one; `repair` and `success` thresholds. */
export interface RedundancyScheme {
  readonly algorithm: 'reed-solomon';
  /** Bytes per erasure share; a multiple of 256. */
  readonly shareSize: number;
  /** k: pieces needed to rebuild a segment. */
  readonly required: number;
  /** Below this many healthy pieces the segment needs repair. */
  readonly repair: number;
  /** An upload stops (and a segment commits) once this many pieces are stored. */
  readonly success: number;
  /** n: pieces the uplink tries to store. */
  readonly total: number;
}

/** How an object is encrypted: cipher suite and block size. */
export interface EncryptionParameters {
  /** e.g. `'aes-256-gcm'`; `'none'` only in tests. */
  readonly cipherSuite: string;
  /** Plaintext bytes per sealed block. */
  readonly blockSize: number;
}

/** Where a segment sits: multipart part number and index within the part. */
export interface SegmentPosition {
  readonly part: number;
  readonly index: number;
}

export interface Bucket {
  readonly projectId: ProjectId;
  readonly name: string;
  readonly createdAt: number;
}

export type ObjectStatus = 'pending' | 'committed';

/** Everything the uplink needs to decrypt an object's metadata. */
export interface EncryptedMetadata {
  readonly encryptedMetadata: Uint8Array;
  readonly encryptedMetadataNonce: Uint8Array;
  /** The metadata key wrapped with the path's content key ("encrypted key"). */
  readonly encryptedMetadataKey: Uint8Array;
  readonly encryptedMetadataKeyNonce: Uint8Array;
}

/** One stream of an object key. */
export interface ObjectRecord {
  readonly projectId: ProjectId;
  readonly bucket: string;
  readonly objectKey: Uint8Array;
  /** 0 while pending; assigned (highest committed + 1) at commit. */
  readonly version: number;
  readonly streamId: StreamId;
  readonly status: ObjectStatus;
  readonly createdAt: number;
  readonly committedAt: number | undefined;
  /** The object disappears at this time (ms since epoch), when set. */
  readonly expiresAt: number | undefined;
  /** A pending stream not committed by then is deleted by the cleanup chore; undefined once committed. */
  readonly uploadDeadline: number | undefined;
  readonly segmentCount: number;
  readonly totalPlainSize: number;
  readonly totalEncryptedSize: number;
  readonly redundancy: RedundancyScheme;
  readonly encryption: EncryptionParameters;
  readonly metadata: EncryptedMetadata | undefined;
}

/** A piece of a remote segment: piece number `number` stored on node `nodeId` (32 bytes). */
export interface Piece {
  readonly number: number;
  readonly nodeId: Uint8Array;
}

/** One segment in the metabase: its position, keys, and pieces (or inline data). */
export interface SegmentRecord {
  readonly streamId: StreamId;
  readonly position: SegmentPosition;
  readonly createdAt: number;
  readonly expiresAt: number | undefined;
  /** Random per segment; piece ids derive from it. Zero-length for inline segments. */
  readonly rootPieceId: Uint8Array;
  /** The segment's content key wrapped with the path's content key. */
  readonly encryptedKey: Uint8Array;
  readonly encryptedKeyNonce: Uint8Array;
  readonly encryptedSize: number;
  readonly plainSize: number;
  /** Offset of this segment's plaintext in the object; set at commit. */
  readonly plainOffset: number;
  readonly redundancy: RedundancyScheme | undefined;
  /** Remote pieces, sorted by number; empty for inline segments. */
  readonly pieces: readonly Piece[];
  /** The ciphertext of an inline segment. */
  readonly inlineData: Uint8Array | undefined;
}

/** A full-iteration cursor: segments are visited in (streamId, part, index) order. */
export interface SegmentCursor {
  readonly streamId: StreamId;
  readonly position: SegmentPosition;
}
