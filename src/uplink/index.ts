/**
 * `handoff/uplink`: the client library. `Uplink.connect(...)` and its methods, the options and
 * results they use, and the client-side encryption and erasure coding they are built from.
 * See docs/uplink.md.
 */
export { Uplink, type BucketInfo, type VersionOptions } from './uplink.js';
export type { ObjectInfo } from './object-info.js';
export type { ObjectDownload } from './object-download.js';
export type { ListItem, ListedObject, ListedPrefix, ObjectListing, UndecryptableEntry } from './listing.js';
export type { MultipartUpload, PartInfo, BeginMultipartOptions, CommitMultipartOptions } from './multipart.js';
export type { UploadData } from './byte-source.js';
export {
  DEFAULT_MAX_INLINE_SIZE,
  DEFAULT_SEGMENT_SIZE,
  type DownloadOptions,
  type ListObjectsOptions,
  type LongCallOptions,
  type Progress,
  type RootKeySource,
  type UplinkOptions,
  type UploadOptions,
} from './options.js';
export {
  DEFAULT_ROOT_KEY_KDF, deriveRootKey, projectSalt, rootKeyFromBytes, CIPHER_SUITE, deriveBucketKey, deriveKey, KEY_LENGTH, LABELS,
  COMPONENT_ALPHABET, decryptPath, decryptPrefix, encryptedPathLength, encryptPath, encryptPrefix, maxPathLength, pathContentKey,
  blockRangeFor, DEFAULT_BLOCK_SIZE, encryptedSizeFor, MAX_BLOCK_SIZE, decryptSegment, decryptSegmentRange, encryptSegment,
  newContentKey, openSegmentStream, sealSegmentStream, SegmentOpener, SegmentSealer, rewrapKey, rewrapKeys, unwrapKey,
  WRAP_NONCE_LENGTH, WRAPPED_KEY_LENGTH, wrapKey, decryptMetadata, encryptMetadata, MAX_METADATA_SIZE, rewrapMetadataKey,
  ObjectRekeying, rekeyObject, CANNOT_DECRYPT,
  type RootKeyKdfParams, type BlockRange, type ContentOptions, type SegmentPosition, type SegmentOpenerOptions, type WrappedKey,
  type EncryptedMetadata, type ObjectMetadata, type ObjectPath,
} from './encryption/index.js';
export {
  createErasureCoder, CorruptPieceError, pieceHash, verifyPiece, gfDiv, gfInv, gfMul, gfPow,
  type DecodeOptions, type DecodeStripesOptions, type ErasureCoder, type PieceCheck, type PieceInput,
  type EncodeStreamOptions, type SegmentDecoder, type StreamOptions,
} from './erasure/index.js';
