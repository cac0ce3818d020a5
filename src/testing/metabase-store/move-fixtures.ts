/** Builders for the move part of the metabase store suite. */
import { toHex } from '../../core/bytes.js';
import type { MetabaseStore } from '../../metainfo/metabase/port.js';
import type { ExactObject, FinishMove, SegmentKey } from '../../metainfo/metabase/move.js';
import type { ObjectRecord, SegmentPosition, StreamId } from '../../metainfo/metabase/types.js';
import { id16, key, T0 } from './fixtures.js';

let operations = 0;
/** A fresh operation id. */
export function newOperationId(): Uint8Array {
  return id16(0x0e, ++operations);
}

let copies = 0;
/** A fresh stream id for a copy (sorts after every upload's). */
export function newCopyStreamId(): StreamId {
  return id16(0xc0, ++copies);
}

/** Where a committed object is, exactly. */
export function exact(object: ObjectRecord): ExactObject {
  return { projectId: object.projectId, bucket: object.bucket, objectKey: object.objectKey, version: object.version, streamId: object.streamId };
}

/** A re-wrapped key the tests can recognize: every byte `tag`. */
export function keyAt(position: SegmentPosition, tag: number): SegmentKey {
  return { position, encryptedKey: new Uint8Array(48).fill(tag), encryptedKeyNonce: new Uint8Array(24).fill(tag) };
}

/** New keys for every segment of a stream, as an uplink would send them. */
export async function newKeys(store: MetabaseStore, streamId: StreamId, tag: number): Promise<SegmentKey[]> {
  const keys = await store.listSegmentKeys(streamId, { limit: 100_000 });
  return keys.map((k) => keyAt(k.position, tag));
}

/** A single-shot finish of `object` to `to` with every key tagged `tag`. */
export async function finishOf(
  store: MetabaseStore,
  object: ObjectRecord,
  to: string,
  overrides: Partial<Omit<FinishMove, 'keys'>> & { tag?: number } = {},
): Promise<FinishMove & { keys: { segments: readonly SegmentKey[] } }> {
  const { tag = 9, ...rest } = overrides;
  return {
    mode: 'move',
    source: exact(object),
    destination: { bucket: object.bucket, objectKey: key(to) },
    overwrite: false,
    metadataKey: object.metadata && { encryptedMetadataKey: new Uint8Array(48).fill(tag), encryptedMetadataKeyNonce: new Uint8Array(24).fill(tag) },
    keys: { segments: await newKeys(store, object.streamId, tag) },
    now: T0 + 5000,
    ...rest,
  };
}

/** Root piece ids as hex strings, for comparing which pieces a delete released. */
export function roots(segments: readonly { rootPieceId: Uint8Array }[]): string[] {
  return segments.map((s) => toHex(s.rootPieceId)).sort();
}
