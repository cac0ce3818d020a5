/**
 * Builders for the metabase store suite: deterministic ids, requests with sensible defaults, and
 * whole uploads in one call.
 */
import { expect } from 'vitest';
import { utf8 } from '../../core/bytes.js';
import type { BeginObject, CommitObject, CommitSegment, MetabaseStore, ObjectLocation } from '../../metainfo/metabase/port.js';
import type { EncryptionParameters, ObjectRecord, Piece, ProjectId, RedundancyScheme, SegmentPosition, StreamId } from '../../metainfo/metabase/types.js';

/** The suite's "now": every time is an offset from it. */
export const T0 = 1_700_000_000_000;
export const HOUR = 3_600_000;

/** 16 bytes: `tag` then `n` big-endian — distinct and byte-ordered by (tag, n). */
export function id16(tag: number, n: number): Uint8Array {
  const id = new Uint8Array(16);
  id[0] = tag;
  new DataView(id.buffer).setUint32(12, n);
  return id;
}

export const projectA: ProjectId = id16(0xa0, 1);
export const projectB: ProjectId = id16(0xb0, 2);

let streams = 0;
/** A fresh stream id; later calls sort after earlier ones. */
export function newStreamId(): StreamId {
  return id16(0x5e, ++streams);
}

export function nodeId(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

export function pieces(...numbers: number[]): Piece[] {
  return numbers.map((number) => ({ number, nodeId: nodeId(number + 1) }));
}

export const redundancy: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 4, total: 5 };
export const encryption: EncryptionParameters = { cipherSuite: 'aes-256-gcm', blockSize: 7408 };

export function key(text: string): Uint8Array {
  return utf8(text);
}

export function at(objectKey: Uint8Array | string, bucket = 'photos', projectId: ProjectId = projectA): ObjectLocation {
  return { projectId, bucket, objectKey: typeof objectKey === 'string' ? key(objectKey) : objectKey };
}

export function begin(location: ObjectLocation, streamId: StreamId, overrides: Partial<BeginObject> = {}): BeginObject {
  return { ...location, streamId, createdAt: T0, uploadDeadline: T0 + 24 * HOUR, redundancy, encryption, ...overrides };
}

/**
 * A root piece id unique to (stream, position), as a satellite's random ones are: only copies
 * share pieces, and the suite tests that sharing explicitly.
 */
export function rootPieceIdOf(streamId: StreamId, position: SegmentPosition): Uint8Array {
  const id = new Uint8Array(32);
  id.set(streamId);
  const view = new DataView(id.buffer);
  view.setUint32(20, position.part);
  view.setUint32(24, position.index);
  id[31] = 1;
  return id;
}

export function segment(location: ObjectLocation, streamId: StreamId, position: SegmentPosition, overrides: Partial<CommitSegment> = {}): CommitSegment {
  return {
    ...location,
    streamId,
    position,
    createdAt: T0 + 1000,
    rootPieceId: rootPieceIdOf(streamId, position),
    encryptedKey: new Uint8Array(48).fill(7),
    encryptedKeyNonce: new Uint8Array(24).fill(8),
    encryptedSize: 1024 + position.index,
    plainSize: 1000 + position.index,
    pieces: pieces(0, 1, 2, 3),
    ...overrides,
  };
}

export function commit(location: ObjectLocation, streamId: StreamId, overrides: Partial<CommitObject> = {}): CommitObject {
  return { ...location, streamId, committedAt: T0 + 2000, now: T0 + 2000, maxSegments: 100, ...overrides };
}

export const metadata = {
  encryptedMetadata: new Uint8Array([1, 2, 3]),
  encryptedMetadataNonce: new Uint8Array(24).fill(2),
  encryptedMetadataKey: new Uint8Array(48).fill(3),
  encryptedMetadataKeyNonce: new Uint8Array(24).fill(4),
};

/** Creates `names` in project A (and any other project given). */
export async function buckets(store: MetabaseStore, names: string[], projectId: ProjectId = projectA): Promise<void> {
  for (const name of names) await store.createBucket({ projectId, name, createdAt: T0 });
}

/** Begins, commits `segments` positions and commits a stream; returns the committed object. */
export async function upload(
  store: MetabaseStore,
  location: ObjectLocation,
  options: { segments?: SegmentPosition[]; streamId?: StreamId; expiresAt?: number } = {},
): Promise<ObjectRecord> {
  const streamId = options.streamId ?? newStreamId();
  await store.beginObject(begin(location, streamId, { expiresAt: options.expiresAt }));
  for (const position of options.segments ?? [{ part: 0, index: 0 }]) await store.commitSegment(segment(location, streamId, position));
  return store.commitObject(commit(location, streamId));
}

/** Begins a stream and leaves it pending; returns its id. */
export async function pending(store: MetabaseStore, location: ObjectLocation, overrides: Partial<BeginObject> = {}): Promise<StreamId> {
  const streamId = newStreamId();
  await store.beginObject(begin(location, streamId, overrides));
  return streamId;
}

/** Asserts `promise` rejects with the handoff error class named `name`. */
export async function rejectsWith(promise: Promise<unknown>, name: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name });
}

/** The keys of an object list, as text. */
export function keysOf(objects: readonly { objectKey: Uint8Array }[]): string[] {
  return objects.map((o) => new TextDecoder().decode(o.objectKey));
}
