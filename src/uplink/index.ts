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
export * from './encryption/index.js';
export * from './erasure/index.js';
