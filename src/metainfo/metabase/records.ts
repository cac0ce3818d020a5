/**
 * Building and copying metabase records. Every store hands out fresh copies, so a caller that
 * mutates returned bytes never changes stored state.
 */
import { compareBytes, equalBytes } from '../../core/bytes.js';
import type { BeginObject, CommitSegment, ObjectLocation } from './port.js';
import { comparePositions } from './position.js';
import type { EncryptedMetadata, ObjectRecord, Piece, RedundancyScheme, SegmentRecord, StreamId } from './types.js';

const copy = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

function copyMetadata(metadata: EncryptedMetadata | undefined): EncryptedMetadata | undefined {
  if (metadata === undefined) return undefined;
  return {
    encryptedMetadata: copy(metadata.encryptedMetadata),
    encryptedMetadataNonce: copy(metadata.encryptedMetadataNonce),
    encryptedMetadataKey: copy(metadata.encryptedMetadataKey),
    encryptedMetadataKeyNonce: copy(metadata.encryptedMetadataKeyNonce),
  };
}

function copyRedundancy(r: RedundancyScheme): RedundancyScheme {
  return { algorithm: r.algorithm, shareSize: r.shareSize, required: r.required, repair: r.repair, success: r.success, total: r.total };
}

function copyPieces(pieces: readonly Piece[]): Piece[] {
  return pieces.map((p) => ({ number: p.number, nodeId: copy(p.nodeId) }));
}

/** The pending stream `begin` describes (version 0, nothing committed yet). */
export function pendingObject(begin: BeginObject): ObjectRecord {
  return {
    projectId: copy(begin.projectId),
    bucket: begin.bucket,
    objectKey: copy(begin.objectKey),
    version: 0,
    streamId: copy(begin.streamId),
    status: 'pending',
    createdAt: begin.createdAt,
    committedAt: undefined,
    expiresAt: begin.expiresAt,
    uploadDeadline: begin.uploadDeadline,
    segmentCount: 0,
    totalPlainSize: 0,
    totalEncryptedSize: 0,
    redundancy: copyRedundancy(begin.redundancy),
    encryption: { cipherSuite: begin.encryption.cipherSuite, blockSize: begin.encryption.blockSize },
    metadata: undefined,
  };
}

/** The committed one-segment object an inline upload makes, at `version`. */
export function inlineObject(
  begin: BeginObject,
  version: number,
  segment: Pick<CommitSegment, 'plainSize' | 'encryptedSize'>,
  metadata: EncryptedMetadata | undefined,
  committedAt: number,
): ObjectRecord {
  return {
    ...pendingObject(begin),
    version,
    status: 'committed',
    committedAt,
    uploadDeadline: undefined,
    segmentCount: 1,
    totalPlainSize: segment.plainSize,
    totalEncryptedSize: segment.encryptedSize,
    metadata: copyMetadata(metadata),
  };
}

/** A segment row as committed (its plain offset is set when the object commits). */
export function newSegment(
  streamId: StreamId,
  segment: Omit<CommitSegment, keyof ObjectLocation | 'streamId'>,
  pieces: readonly Piece[],
): SegmentRecord {
  return {
    streamId: copy(streamId),
    position: { part: segment.position.part, index: segment.position.index },
    createdAt: segment.createdAt,
    expiresAt: segment.expiresAt,
    rootPieceId: copy(segment.rootPieceId),
    encryptedKey: copy(segment.encryptedKey),
    encryptedKeyNonce: copy(segment.encryptedKeyNonce),
    encryptedSize: segment.encryptedSize,
    plainSize: segment.plainSize,
    plainOffset: 0,
    redundancy: segment.redundancy === undefined ? undefined : copyRedundancy(segment.redundancy),
    pieces: copyPieces(pieces),
    inlineData: segment.inlineData === undefined ? undefined : copy(segment.inlineData),
  };
}

export function cloneObject(o: ObjectRecord, changes: Partial<ObjectRecord> = {}): ObjectRecord {
  const merged = { ...o, ...changes };
  return {
    ...merged,
    projectId: copy(merged.projectId),
    objectKey: copy(merged.objectKey),
    streamId: copy(merged.streamId),
    redundancy: copyRedundancy(merged.redundancy),
    encryption: { ...merged.encryption },
    metadata: copyMetadata(merged.metadata),
  };
}

export function cloneSegment(s: SegmentRecord, changes: Partial<SegmentRecord> = {}): SegmentRecord {
  const merged = { ...s, ...changes };
  return {
    ...merged,
    streamId: copy(merged.streamId),
    position: { ...merged.position },
    rootPieceId: copy(merged.rootPieceId),
    encryptedKey: copy(merged.encryptedKey),
    encryptedKeyNonce: copy(merged.encryptedKeyNonce),
    redundancy: merged.redundancy === undefined ? undefined : copyRedundancy(merged.redundancy),
    pieces: copyPieces(merged.pieces),
    inlineData: merged.inlineData === undefined ? undefined : copy(merged.inlineData),
  };
}

/** Orders segments of several streams: by streamId bytes, then (part, index). */
export function compareSegments(a: SegmentRecord, b: SegmentRecord): number {
  return compareBytes(a.streamId, b.streamId) || comparePositions(a.position, b.position);
}

/** True when `object` sits at `location`. */
export function isAt(object: ObjectRecord, location: ObjectLocation): boolean {
  return object.bucket === location.bucket && equalBytes(object.projectId, location.projectId) && equalBytes(object.objectKey, location.objectKey);
}
