/**
 * The metainfo service's methods (seed 003). Every request carries `header.apiKey`; the
 * project comes from it, never from a field a client could set.
 */
import { s } from '../codec/index.js';
import { unaryMethod } from '../rpc/method.js';
import {
  BucketName,
  EncryptionSchema,
  Header,
  InlineSegment,
  MetadataSchema,
  ObjectInfo,
  PositionSchema,
  RedundancySchema,
  SegmentCommit,
  SegmentDownloadInfo,
  SegmentUploadInfo,
} from './schemas.js';

const EncryptedKey = s.bytes({ min: 1, max: 4096 });
const UploadId = s.bytes({ max: 32 * 1024 });
const Empty = s.object({});

/**
 * The caller's project: its id and the salt an uplink derives its root key with
 * (`deriveRootKey(passphrase, projectSalt)`), so one passphrase gives a different root key in
 * every project. Uplinks call it once at connect. `maxKeyLength` is the satellite's limit on an
 * encrypted object key, so an uplink can refuse a key that is too long in the terms its user
 * typed it (absent from satellites that predate it).
 */
export const GetProjectInfo = unaryMethod(
  'Metainfo.GetProjectInfo',
  s.object({ header: Header }),
  s.object({ projectId: s.bytes({ length: 16 }), projectSalt: s.bytes({ length: 32 }), maxKeyLength: s.optional(s.int({ min: 1 })) }),
);

const BucketInfo = s.object({ name: s.string(), createdAt: s.int({ min: 0 }) });

export const CreateBucket = unaryMethod('Metainfo.CreateBucket', s.object({ header: Header, name: BucketName }), BucketInfo);
export const GetBucket = unaryMethod('Metainfo.GetBucket', s.object({ header: Header, name: BucketName }), BucketInfo);
export const ListBuckets = unaryMethod(
  'Metainfo.ListBuckets',
  s.object({ header: Header, cursor: s.optional(s.string({ max: 63 })), limit: s.int({ min: 1, max: 1000 }) }),
  s.object({ buckets: s.array(BucketInfo, { max: 1000 }) }),
);
export const DeleteBucket = unaryMethod('Metainfo.DeleteBucket', s.object({ header: Header, name: BucketName, force: s.optional(s.bool()) }), Empty);

/** Begin the stream and its first segment in one trip. */
export const StartStreamAndStartSegment = unaryMethod(
  'Metainfo.StartStreamAndStartSegment',
  s.object({
    header: Header,
    bucket: BucketName,
    encryptedKey: EncryptedKey,
    /** -1 or absent: the server picks the stream (the only mode: streams are never chosen by clients). */
    streamId: s.optional(s.int({ min: -1, max: -1 })),
    position: PositionSchema,
    maxEncryptedSegmentSize: s.int({ min: 1 }),
    expiresAt: s.optional(s.int({ min: 0 })),
    encryption: EncryptionSchema,
  }),
  s.object({ streamUploadId: UploadId, streamId: s.bytes({ length: 16 }), segment: SegmentUploadInfo }),
);

/** Commit a segment and begin the next in one trip. */
export const CommitSegmentAndStartSegment = unaryMethod(
  'Metainfo.CommitSegmentAndStartSegment',
  s.object({ header: Header, streamUploadId: UploadId, commit: SegmentCommit, position: PositionSchema, maxEncryptedSegmentSize: s.int({ min: 1 }) }),
  s.object({ segment: SegmentUploadInfo }),
);

/** Commit the last segment (remote, or inline) and the stream in one trip. */
export const CommitSegmentAndCommitStream = unaryMethod(
  'Metainfo.CommitSegmentAndCommitStream',
  s.object({
    header: Header,
    streamUploadId: UploadId,
    commit: s.optional(SegmentCommit),
    inline: s.optional(InlineSegment),
    metadata: s.optional(MetadataSchema),
  }),
  s.object({ object: ObjectInfo }),
);

/** A small object whose data lives in the metabase, in one trip. */
export const CommitInlineObject = unaryMethod(
  'Metainfo.CommitInlineObject',
  s.object({
    header: Header,
    bucket: BucketName,
    encryptedKey: EncryptedKey,
    expiresAt: s.optional(s.int({ min: 0 })),
    encryption: EncryptionSchema,
    inline: InlineSegment,
    metadata: s.optional(MetadataSchema),
  }),
  s.object({ object: ObjectInfo }),
);

// The same steps one by one, for multipart uploads.
export const BeginObject = unaryMethod(
  'Metainfo.BeginObject',
  s.object({ header: Header, bucket: BucketName, encryptedKey: EncryptedKey, expiresAt: s.optional(s.int({ min: 0 })), encryption: EncryptionSchema }),
  s.object({ streamUploadId: UploadId, streamId: s.bytes({ length: 16 }), redundancy: RedundancySchema }),
);
export const BeginSegment = unaryMethod(
  'Metainfo.BeginSegment',
  s.object({ header: Header, streamUploadId: UploadId, position: PositionSchema, maxEncryptedSegmentSize: s.int({ min: 1 }) }),
  s.object({ segment: SegmentUploadInfo }),
);
export const CommitSegment = unaryMethod('Metainfo.CommitSegment', s.object({ header: Header, streamUploadId: UploadId, commit: SegmentCommit }), Empty);
export const MakeInlineSegment = unaryMethod('Metainfo.MakeInlineSegment', s.object({ header: Header, streamUploadId: UploadId, inline: InlineSegment }), Empty);
export const CommitObject = unaryMethod(
  'Metainfo.CommitObject',
  s.object({ header: Header, streamUploadId: UploadId, metadata: s.optional(MetadataSchema) }),
  s.object({ object: ObjectInfo }),
);
export const AbortObject = unaryMethod('Metainfo.AbortObject', s.object({ header: Header, streamUploadId: UploadId }), Empty);

const ObjectRef = { header: Header, bucket: BucketName, encryptedKey: EncryptedKey, version: s.optional(s.int({ min: 1 })) };

export const GetObject = unaryMethod('Metainfo.GetObject', s.object(ObjectRef), s.object({ object: ObjectInfo }));

/** The object, its segment list (a page) and the first segment's download limits. */
export const DownloadObject = unaryMethod(
  'Metainfo.DownloadObject',
  s.object({ ...ObjectRef, segmentLimit: s.optional(s.int({ min: 1, max: 1000 })) }),
  s.object({ object: ObjectInfo, segments: s.array(SegmentDownloadInfo, { max: 1000 }), moreSegments: s.bool() }),
);

/** Segments after a position, with download limits for each remote one. */
export const DownloadSegments = unaryMethod(
  'Metainfo.DownloadSegments',
  s.object({
    header: Header,
    bucket: BucketName,
    encryptedKey: EncryptedKey,
    streamId: s.bytes({ length: 16 }),
    after: s.optional(PositionSchema),
    limit: s.int({ min: 1, max: 100 }),
    withLimits: s.bool(),
  }),
  s.object({ segments: s.array(SegmentDownloadInfo, { max: 100 }), moreSegments: s.bool() }),
);

export const ListObjects = unaryMethod(
  'Metainfo.ListObjects',
  s.object({
    header: Header,
    bucket: BucketName,
    prefix: s.bytes({ max: 4096 }),
    cursor: s.optional(s.bytes({ max: 4096 })),
    /** With `allVersions` or `includePending`, where inside `cursor`'s entries the last page ended. */
    cursorVersion: s.optional(s.object({ version: s.int({ min: 0 }), streamId: s.bytes({ length: 16 }) })),
    recursive: s.bool(),
    limit: s.int({ min: 1, max: 1000 }),
    includePending: s.optional(s.bool()),
    allVersions: s.optional(s.bool()),
  }),
  s.object({
    items: s.array(s.variant('kind', { object: s.object({ object: ObjectInfo }), prefix: s.object({ key: s.bytes() }) }), { max: 1000 }),
    more: s.optional(s.bytes()),
    moreVersion: s.optional(s.object({ version: s.int({ min: 0 }), streamId: s.bytes({ length: 16 }) })),
  }),
);

export const DeleteObject = unaryMethod('Metainfo.DeleteObject', s.object(ObjectRef), s.object({ object: s.optional(ObjectInfo) }));

/** Every metainfo method, for registration and for the property tests that fuzz each one. */
export const METAINFO_METHODS = [
  GetProjectInfo,
  CreateBucket,
  GetBucket,
  ListBuckets,
  DeleteBucket,
  StartStreamAndStartSegment,
  CommitSegmentAndStartSegment,
  CommitSegmentAndCommitStream,
  CommitInlineObject,
  BeginObject,
  BeginSegment,
  CommitSegment,
  MakeInlineSegment,
  CommitObject,
  AbortObject,
  GetObject,
  DownloadObject,
  DownloadSegments,
  ListObjects,
  DeleteObject,
] as const;
