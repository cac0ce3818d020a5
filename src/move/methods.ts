/**
 * The move and copy methods of the metainfo service (seed 002, docs/move.md). Every request
 * carries `header.apiKey`; the project comes from it. Begin hands out a sealed move token that
 * Finish brings back, so Finish is bound to what Begin located and checked.
 */
import { s } from '../codec/index.js';
import { BucketName, Header, ObjectInfo, PositionSchema } from '../metainfo/schemas.js';
import { unaryMethod } from '../rpc/method.js';
import { MAX_ENTRY_BYTES } from './key-page.js';

/** Most segment keys one request or response carries (the seed's single-request size). */
export const MAX_MOVE_CHUNK = 10_000;

const EncryptedKey = s.bytes({ min: 1, max: 4096 });
const OperationId = s.bytes({ length: 16 });
/** A sealed token: its fields, then a 32-byte MAC. */
export const MoveToken = s.bytes({ min: 33, max: 16 * 1024 });

/**
 * A page of segment keys, packed (see key-page.ts): position, wrapped key and nonce per entry,
 * at most {@link MAX_MOVE_CHUNK} entries.
 */
export const SegmentKeyPage = s.bytes({ max: MAX_MOVE_CHUNK * MAX_ENTRY_BYTES });

/** The object's metadata key, wrapped for its path; the metadata ciphertext itself never moves. */
export const MetadataKeySchema = s.object({
  encryptedMetadataKey: s.bytes({ min: 1, max: 128 }),
  encryptedMetadataKeyNonce: s.bytes({ min: 1, max: 32 }),
});


const BeginRequest = s.object({
  header: Header,
  bucket: BucketName,
  encryptedKey: EncryptedKey,
  /** Absent: the latest committed version. */
  version: s.optional(s.int({ min: 1 })),
  /** Absent: the same bucket. Always the caller's project. */
  newBucket: s.optional(BucketName),
  newEncryptedKey: EncryptedKey,
  overwrite: s.optional(s.bool()),
  /** Most keys per page the client wants (the satellite may send fewer); an object with more moves in chunks. */
  segmentLimit: s.optional(s.int({ min: 1, max: MAX_MOVE_CHUNK })),
});

const BeginResponse = s.object({
  moveToken: MoveToken,
  /** The stream located: Finish fails if it is no longer exactly there. */
  streamId: s.bytes({ length: 16 }),
  version: s.int({ min: 1 }),
  segmentCount: s.int({ min: 0 }),
  metadataKey: s.optional(MetadataKeySchema),
  /** Every key (small objects) or the first page (chunked). */
  segmentKeys: SegmentKeyPage,
  moreSegments: s.bool(),
  /** Set when the move runs in chunks: page with GetMoveSegments, upload with PutMoveKeys. */
  operationId: s.optional(OperationId),
});

/** Locates the object (latest or a version), checks the destination, returns what to re-wrap. */
export const BeginMoveObject = unaryMethod('Metainfo.BeginMoveObject', BeginRequest, BeginResponse);
/** As BeginMoveObject, for a copy: Finish creates a new stream sharing the pieces. */
export const BeginCopyObject = unaryMethod('Metainfo.BeginCopyObject', BeginRequest, BeginResponse);

/** The next page of a chunked move's segment keys, after `after`. */
export const GetMoveSegments = unaryMethod(
  'Metainfo.GetMoveSegments',
  s.object({ header: Header, operationId: OperationId, after: s.optional(PositionSchema), limit: s.int({ min: 1, max: MAX_MOVE_CHUNK }) }),
  s.object({ segmentKeys: SegmentKeyPage, moreSegments: s.bool() }),
);

/**
 * Re-wrapped keys of a chunked move, kept by the satellite until Finish. A chunk must be a
 * contiguous run of the object's segments; sending one again is harmless.
 */
export const PutMoveKeys = unaryMethod(
  'Metainfo.PutMoveKeys',
  s.object({ header: Header, operationId: OperationId, segmentKeys: s.bytes({ min: 12, max: MAX_MOVE_CHUNK * MAX_ENTRY_BYTES }) }),
  s.object({}),
);

const FinishRequest = s.object({
  header: Header,
  moveToken: MoveToken,
  /** Required exactly when the object has metadata. */
  metadataKey: s.optional(MetadataKeySchema),
  /** Every re-wrapped key, for a move without an operation id; absent for a chunked one. */
  segmentKeys: s.optional(SegmentKeyPage),
});

/** Applies the move atomically; repeating it after a lost reply returns the same object. */
export const FinishMoveObject = unaryMethod('Metainfo.FinishMoveObject', FinishRequest, s.object({ object: ObjectInfo }));
/** Creates the copy atomically; repeating it after a lost reply returns the same copy. */
export const FinishCopyObject = unaryMethod('Metainfo.FinishCopyObject', FinishRequest, s.object({ object: ObjectInfo }));

/** Every move method, for registration and for the property tests that fuzz each one. */
export const MOVE_METHODS = [BeginMoveObject, BeginCopyObject, GetMoveSegments, PutMoveKeys, FinishMoveObject, FinishCopyObject] as const;
