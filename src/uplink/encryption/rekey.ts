/**
 * Everything a server-side move (or copy) needs from the key hierarchy, in one object: the old
 * and new encrypted object keys, and re-wrapping of every segment key and of the metadata key
 * from the old path's content key to the new one. Nothing else depends on the path: content,
 * metadata ciphertext and pieces stay as they are.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import { wipe } from './derive.js';
import { rewrapKey, rewrapKeys, type WrappedKey } from './key-wrap.js';
import { rewrapMetadataKey, type EncryptedMetadata } from './metadata.js';
import { encryptPath, pathContentKey } from './path-cipher.js';

/** An object's plaintext location. */
export interface ObjectPath {
  readonly bucket: string;
  readonly path: string;
}

/**
 * Re-keys one object from one path to another. Holds both path content keys until
 * {@link ObjectRekeying.dispose}, which wipes them.
 */
export class ObjectRekeying {
  /** The encrypted object key at the source (to locate the object). */
  readonly oldEncryptedKey: Uint8Array;
  /** The encrypted object key at the destination. */
  readonly newEncryptedKey: Uint8Array;
  readonly #oldKey: Uint8Array;
  readonly #newKey: Uint8Array;
  #disposed = false;

  /** Use {@link rekeyObject}. */
  constructor(rootKey: Uint8Array, from: ObjectPath, to: ObjectPath) {
    this.oldEncryptedKey = encryptPath(rootKey, from.bucket, from.path);
    this.newEncryptedKey = encryptPath(rootKey, to.bucket, to.path);
    this.#oldKey = pathContentKey(rootKey, from.bucket, from.path);
    this.#newKey = pathContentKey(rootKey, to.bucket, to.path);
  }

  #check(): void {
    if (this.#disposed) throw new InvalidArgumentError('ObjectRekeying: used after dispose');
  }

  /** One segment's wrapped key, re-wrapped under a fresh nonce. */
  rewrap(wrapped: WrappedKey): WrappedKey {
    this.#check();
    return rewrapKey(this.#oldKey, this.#newKey, wrapped.encryptedKey, wrapped.encryptedKeyNonce);
  }

  /** Every item's wrapped key re-wrapped, other fields (positions) kept, order kept. */
  rewrapAll<T extends WrappedKey>(items: Iterable<T>): T[] {
    this.#check();
    return rewrapKeys(this.#oldKey, this.#newKey, items);
  }

  /** The object's metadata with its key re-wrapped; the metadata ciphertext is unchanged. */
  rewrapMetadata(metadata: EncryptedMetadata): EncryptedMetadata {
    this.#check();
    return rewrapMetadataKey(this.#oldKey, this.#newKey, metadata);
  }

  /** Wipes both path content keys; the object cannot be used afterwards. */
  dispose(): void {
    this.#disposed = true;
    wipe(this.#oldKey);
    wipe(this.#newKey);
  }
}

/**
 * The re-keying of an object moving from `from` to `to` (same or another bucket of the project).
 *
 * @example
 * ```ts
 * const rekey = rekeyObject(rootKey, { bucket, path: 'old.txt' }, { bucket, path: 'new.txt' });
 * try {
 *   const begin = await metainfo.beginMoveObject({ bucket, encryptedKey: rekey.oldEncryptedKey });
 *   await metainfo.finishMoveObject({
 *     newEncryptedKey: rekey.newEncryptedKey,
 *     metadata: begin.metadata && rekey.rewrapMetadata(begin.metadata),
 *     segmentKeys: rekey.rewrapAll(begin.segmentKeys),
 *   });
 * } finally {
 *   rekey.dispose();
 * }
 * ```
 */
export function rekeyObject(rootKey: Uint8Array, from: ObjectPath, to: ObjectPath): ObjectRekeying {
  return new ObjectRekeying(rootKey, from, to);
}
