/**
 * Client-side encryption for the uplink: the root key, the per-path key hierarchy, encrypted
 * object keys, segment content, wrapped keys and object metadata. See docs/encryption.md.
 * Runs unchanged in browsers: no node: imports, all primitives come from the crypto provider
 * (and Argon2id from @noble/hashes).
 */
export { DEFAULT_ROOT_KEY_KDF, deriveRootKey, projectSalt, rootKeyFromBytes, type RootKeyKdfParams } from './root-key.js';
export { CIPHER_SUITE, deriveBucketKey, deriveKey, KEY_LENGTH, LABELS } from './derive.js';
export { COMPONENT_ALPHABET } from './component-encoding.js';
export { decryptPath, decryptPrefix, encryptedPathLength, encryptPath, encryptPrefix, maxPathLength, pathContentKey } from './path-cipher.js';
export {
  blockRangeFor,
  DEFAULT_BLOCK_SIZE,
  encryptedSizeFor,
  MAX_BLOCK_SIZE,
  type BlockRange,
  type ContentOptions,
  type SegmentPosition,
} from './content-blocks.js';
export { decryptSegment, decryptSegmentRange, encryptSegment, newContentKey } from './segment-cipher.js';
export { openSegmentStream, sealSegmentStream, SegmentOpener, SegmentSealer, type SegmentOpenerOptions } from './segment-stream.js';
export { rewrapKey, rewrapKeys, unwrapKey, WRAP_NONCE_LENGTH, WRAPPED_KEY_LENGTH, wrapKey, type WrappedKey } from './key-wrap.js';
export { decryptMetadata, encryptMetadata, MAX_METADATA_SIZE, rewrapMetadataKey, type EncryptedMetadata, type ObjectMetadata } from './metadata.js';
export { ObjectRekeying, rekeyObject, type ObjectPath } from './rekey.js';
export { CANNOT_DECRYPT } from './failures.js';
