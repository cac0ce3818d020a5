/** What the uplink tells its caller about an object: the satellite's record, decrypted. */
import type { ObjectInfo as WireObjectInfo } from '../metainfo/schemas.js';
import { decryptMetadata } from './encryption/index.js';

/**
 * An object version as its owner sees it: plaintext key, size and metadata.
 *
 * @example
 * ```ts
 * const info = await uplink.stat('photos', '2024/beach.jpg');
 * console.log(info.key, info.version, info.size, info.contentType, info.metadata.camera);
 * ```
 */
export interface ObjectInfo {
  readonly bucket: string;
  readonly key: string;
  /** Assigned by the satellite when the upload committed: the key's highest version + 1. */
  readonly version: number;
  /** `pending` only in listings that ask for uploads in progress. */
  readonly status: 'pending' | 'committed';
  /** Plaintext bytes. */
  readonly size: number;
  readonly createdAt: Date;
  readonly committedAt?: Date;
  readonly expires?: Date;
  readonly contentType?: string;
  /** The application's own name/value pairs given at upload. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly segmentCount: number;
  /** The upload this version came from (16 bytes). */
  readonly streamId: Uint8Array;
}

/**
 * Decrypts the satellite's record of the object at `key`, whose path content key is
 * `contentKey`. Throws `UnauthenticatedError` when the metadata was not written under this key.
 */
export function objectInfoFrom(wire: WireObjectInfo, key: string, contentKey: Uint8Array): ObjectInfo {
  const metadata = wire.metadata === undefined ? {} : decryptMetadata(contentKey, wire.metadata);
  return {
    bucket: wire.bucket,
    key,
    version: wire.version,
    status: wire.status,
    size: wire.totalPlainSize,
    createdAt: new Date(wire.createdAt),
    ...(wire.committedAt === undefined ? {} : { committedAt: new Date(wire.committedAt) }),
    ...(wire.expiresAt === undefined ? {} : { expires: new Date(wire.expiresAt) }),
    ...(metadata.contentType === undefined ? {} : { contentType: metadata.contentType }),
    metadata: metadata.custom ?? {},
    segmentCount: wire.segmentCount,
    streamId: wire.streamId,
  };
}
