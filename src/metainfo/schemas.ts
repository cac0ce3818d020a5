/** Schemas shared by the metainfo messages and the upload ids. */
import { s, type Infer } from '../codec/index.js';
import { OrderLimitSchema } from '../orders/order-limit.js';
import { PieceHashSchema } from '../orders/piece-hash.js';

export const MAX_PART_NUMBER = 10_000;
export const MAX_SEGMENT_INDEX = 2 ** 31 - 1;

export const RedundancySchema = s.object({
  algorithm: s.literal('reed-solomon'),
  shareSize: s.int({ min: 256, max: 64 * 1024 }),
  required: s.int({ min: 1, max: 255 }),
  repair: s.int({ min: 1, max: 255 }),
  success: s.int({ min: 1, max: 255 }),
  total: s.int({ min: 1, max: 255 }),
});

export const EncryptionSchema = s.object({
  cipherSuite: s.string({ min: 1, max: 32 }),
  blockSize: s.int({ min: 0, max: 64 * 1024 * 1024 }),
});

export const PositionSchema = s.object({
  part: s.int({ min: 0, max: MAX_PART_NUMBER }),
  index: s.int({ min: 0, max: MAX_SEGMENT_INDEX }),
});

export const MetadataSchema = s.object({
  encryptedMetadata: s.bytes({ max: 64 * 1024 }),
  encryptedMetadataNonce: s.bytes({ max: 32 }),
  encryptedMetadataKey: s.bytes({ max: 128 }),
  encryptedMetadataKeyNonce: s.bytes({ max: 32 }),
});

// Long enough for a restricted key (hk1r_…, restricted-key.ts) with a few caveats.
export const Header = s.object({ apiKey: s.string({ min: 1, max: 4096 }) });

export const BucketName = s.string({ min: 3, max: 63, pattern: /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/ });

export const AddressedOrderLimit = s.object({ pieceNumber: s.int({ min: 0, max: 254 }), limit: OrderLimitSchema, address: s.string({ max: 256 }) });
export type AddressedOrderLimit = Infer<typeof AddressedOrderLimit>;

/** What an uplink needs to upload one segment's pieces. */
export const SegmentUploadInfo = s.object({
  segmentUploadId: s.bytes({ max: 32 * 1024 }),
  position: PositionSchema,
  rootPieceId: s.bytes({ length: 32 }),
  /** Signs piece hashes and orders; the public half is in every limit. */
  piecePrivateKey: s.bytes({ length: 32 }),
  addressedLimits: s.array(AddressedOrderLimit, { max: 255 }),
  redundancy: RedundancySchema,
  /** Largest piece a node will accept under these limits. */
  maxPieceSize: s.int({ min: 0 }),
});
export type SegmentUploadInfo = Infer<typeof SegmentUploadInfo>;

/** The uplink's report of one stored piece: the node's own signed hash is the receipt. */
export const UploadedPiece = s.object({
  pieceNumber: s.int({ min: 0, max: 254 }),
  nodeId: s.bytes({ length: 32 }),
  hash: PieceHashSchema,
});

export const SegmentCommit = s.object({
  segmentUploadId: s.bytes({ max: 32 * 1024 }),
  encryptedKey: s.bytes({ min: 1, max: 256 }),
  encryptedKeyNonce: s.bytes({ min: 1, max: 32 }),
  plainSize: s.int({ min: 0 }),
  encryptedSize: s.int({ min: 0 }),
  pieces: s.array(UploadedPiece, { max: 255 }),
});
export type SegmentCommit = Infer<typeof SegmentCommit>;

export const InlineSegment = s.object({
  position: PositionSchema,
  encryptedKey: s.bytes({ min: 1, max: 256 }),
  encryptedKeyNonce: s.bytes({ min: 1, max: 32 }),
  plainSize: s.int({ min: 0 }),
  inlineData: s.bytes({ max: 64 * 1024 }),
});
export type InlineSegment = Infer<typeof InlineSegment>;

export const ObjectInfo = s.object({
  bucket: s.string(),
  encryptedKey: s.bytes(),
  version: s.int({ min: 0 }),
  streamId: s.bytes({ length: 16 }),
  status: s.enum(['pending', 'committed'] as const),
  createdAt: s.int({ min: 0 }),
  committedAt: s.optional(s.int({ min: 0 })),
  expiresAt: s.optional(s.int({ min: 0 })),
  segmentCount: s.int({ min: 0 }),
  totalPlainSize: s.int({ min: 0 }),
  totalEncryptedSize: s.int({ min: 0 }),
  redundancy: RedundancySchema,
  encryption: EncryptionSchema,
  metadata: s.optional(MetadataSchema),
});
export type ObjectInfo = Infer<typeof ObjectInfo>;

/** One segment as a downloader sees it; `addressedLimits` only where the response says so. */
export const SegmentDownloadInfo = s.object({
  position: PositionSchema,
  plainOffset: s.int({ min: 0 }),
  plainSize: s.int({ min: 0 }),
  encryptedSize: s.int({ min: 0 }),
  encryptedKey: s.bytes(),
  encryptedKeyNonce: s.bytes(),
  inlineData: s.optional(s.bytes()),
  redundancy: s.optional(RedundancySchema),
  rootPieceId: s.optional(s.bytes({ length: 32 })),
  pieceSize: s.optional(s.int({ min: 0 })),
  /** GET limits for the pieces on reachable nodes, with the piece number each is for. */
  limits: s.optional(s.array(s.object({ pieceNumber: s.int({ min: 0, max: 254 }), limit: OrderLimitSchema, address: s.string() }), { max: 255 })),
  piecePrivateKey: s.optional(s.bytes({ length: 32 })),
});
export type SegmentDownloadInfo = Infer<typeof SegmentDownloadInfo>;
