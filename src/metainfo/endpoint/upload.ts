/** The upload calls of seed 003: combined begin/commit steps, inline objects and multipart. */
import { equalBytes } from '../../core/bytes.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { getCryptoProvider } from '../../crypto/select.js';
import type * as M from '../methods.js';
import type { EncryptedMetadata } from '../metabase/types.js';
import type { InlineSegment, ObjectInfo, SegmentCommit, SegmentUploadInfo } from '../schemas.js';
import type { StreamUpload } from '../upload-id.js';
import { objectInfo, uploadMismatch, type MetainfoContext } from './context.js';
import { beginSegment } from './limits.js';
import { verifyUploadedPieces } from './pieces.js';

import type { Req } from './types.js';

async function beginStream(ctx: MetainfoContext, req: { header: { apiKey: string }; bucket: string; encryptedKey: Uint8Array; expiresAt?: number; encryption: StreamUpload['encryption'] }): Promise<StreamUpload> {
  const projectId = await ctx.authorize(req.header, { op: 'write', bucket: req.bucket, encryptedKey: req.encryptedKey });
  ctx.checkKey(req.encryptedKey);
  ctx.checkExpiry(req.expiresAt);
  // The metabase refuses a stream in a missing bucket (NotFound) in the same statement.
  const now = ctx.now();
  const stream: StreamUpload = {
    projectId,
    bucket: req.bucket,
    encryptedKey: req.encryptedKey,
    streamId: getCryptoProvider().randomBytes(16),
    createdAt: now,
    ...(req.expiresAt === undefined ? {} : { expiresAt: req.expiresAt }),
    uploadDeadline: now + ctx.config.uploadTtlMs,
    redundancy: ctx.config.redundancy,
    encryption: req.encryption,
  };
  await ctx.deps.metabase.beginObject({
    projectId,
    bucket: stream.bucket,
    objectKey: stream.encryptedKey,
    streamId: stream.streamId,
    createdAt: now,
    expiresAt: stream.expiresAt,
    uploadDeadline: stream.uploadDeadline,
    redundancy: stream.redundancy,
    encryption: stream.encryption,
  });
  return stream;
}

/** Opens a stream upload id and checks the caller's project owns it. */
async function openStream(ctx: MetainfoContext, header: { apiKey: string }, streamUploadId: Uint8Array): Promise<StreamUpload> {
  const grant = await ctx.grant(header);
  const stream = ctx.sealer.openStream(streamUploadId, ctx.now());
  // The sealed id names the object, so a restricted key is checked against where it writes.
  ctx.check(grant, { op: 'write', bucket: stream.bucket, encryptedKey: stream.encryptedKey });
  if (!equalBytes(stream.projectId, grant.projectId)) throw new InvalidArgumentError('"streamUploadId" belongs to another project');
  return stream;
}

function location(stream: StreamUpload) {
  return { projectId: stream.projectId, bucket: stream.bucket, objectKey: stream.encryptedKey };
}

async function commitRemoteSegment(ctx: MetainfoContext, stream: StreamUpload, commit: SegmentCommit): Promise<void> {
  const segment = ctx.sealer.openSegment(commit.segmentUploadId);
  if (!equalBytes(segment.streamId, stream.streamId)) throw uploadMismatch();
  const pieces = verifyUploadedPieces(segment, commit, stream.redundancy);
  await ctx.deps.metabase.commitSegment({
    ...location(stream),
    streamId: stream.streamId,
    position: segment.position,
    createdAt: ctx.now(),
    expiresAt: stream.expiresAt,
    rootPieceId: segment.rootPieceId,
    encryptedKey: commit.encryptedKey,
    encryptedKeyNonce: commit.encryptedKeyNonce,
    encryptedSize: commit.encryptedSize,
    plainSize: commit.plainSize,
    redundancy: stream.redundancy,
    pieces,
  });
}

function checkInline(ctx: MetainfoContext, inline: InlineSegment): void {
  if (inline.inlineData.length > ctx.config.maxInlineSize) {
    throw new InvalidArgumentError(`"inline.inlineData" is ${inline.inlineData.length} bytes, over the inline limit of ${ctx.config.maxInlineSize}`);
  }
  if (inline.plainSize > inline.inlineData.length) throw new InvalidArgumentError('"inline.plainSize" cannot exceed the inline data size');
}

async function commitInlineSegment(ctx: MetainfoContext, stream: StreamUpload, inline: InlineSegment): Promise<void> {
  checkInline(ctx, inline);
  await ctx.deps.metabase.commitSegment({
    ...location(stream),
    streamId: stream.streamId,
    position: inline.position,
    createdAt: ctx.now(),
    expiresAt: stream.expiresAt,
    rootPieceId: new Uint8Array(0),
    encryptedKey: inline.encryptedKey,
    encryptedKeyNonce: inline.encryptedKeyNonce,
    encryptedSize: inline.inlineData.length,
    plainSize: inline.plainSize,
    pieces: [],
    inlineData: inline.inlineData,
  });
}

async function commitStream(ctx: MetainfoContext, stream: StreamUpload, metadata: EncryptedMetadata | undefined): Promise<ObjectInfo> {
  ctx.checkMetadata(metadata);
  const now = ctx.now();
  const committed = await ctx.deps.metabase.commitObject({
    ...location(stream),
    streamId: stream.streamId,
    committedAt: now,
    metadata,
    now,
    maxSegments: ctx.config.maxSegmentsPerObject,
  });
  return objectInfo(committed);
}

export function uploadHandlers(ctx: MetainfoContext) {
  return {
    async startStreamAndStartSegment(req: Req<typeof M.StartStreamAndStartSegment>): Promise<{ streamUploadId: Uint8Array; streamId: Uint8Array; segment: SegmentUploadInfo }> {
      const stream = await beginStream(ctx, req);
      let segment: SegmentUploadInfo;
      try {
        segment = await beginSegment(ctx, stream, req.position, req.maxEncryptedSegmentSize);
      } catch (err) {
        // The client never learns this stream's id, so it could not abort it: do it here.
        await ctx.deps.metabase.deletePendingObject(location(stream), stream.streamId).catch(() => undefined);
        throw err;
      }
      return { streamUploadId: ctx.sealer.sealStream(stream), streamId: stream.streamId, segment };
    },

    async commitSegmentAndStartSegment(req: Req<typeof M.CommitSegmentAndStartSegment>): Promise<{ segment: SegmentUploadInfo }> {
      const stream = await openStream(ctx, req.header, req.streamUploadId);
      await commitRemoteSegment(ctx, stream, req.commit);
      return { segment: await beginSegment(ctx, stream, req.position, req.maxEncryptedSegmentSize) };
    },

    async commitSegmentAndCommitStream(req: Req<typeof M.CommitSegmentAndCommitStream>): Promise<{ object: ObjectInfo }> {
      const stream = await openStream(ctx, req.header, req.streamUploadId);
      if (req.commit && req.inline) throw new InvalidArgumentError('give either "commit" or "inline" for the last segment, not both');
      if (req.commit) await commitRemoteSegment(ctx, stream, req.commit);
      if (req.inline) await commitInlineSegment(ctx, stream, req.inline);
      return { object: await commitStream(ctx, stream, req.metadata) };
    },

    async commitInlineObject(req: Req<typeof M.CommitInlineObject>): Promise<{ object: ObjectInfo }> {
      const projectId = await ctx.authorize(req.header, { op: 'write', bucket: req.bucket, encryptedKey: req.encryptedKey });
      ctx.checkKey(req.encryptedKey);
      ctx.checkExpiry(req.expiresAt);
      ctx.checkMetadata(req.metadata);
      checkInline(ctx, req.inline);
      const now = ctx.now();
      const committed = await ctx.deps.metabase.commitInlineObject(
        {
          projectId,
          bucket: req.bucket,
          objectKey: req.encryptedKey,
          streamId: getCryptoProvider().randomBytes(16),
          createdAt: now,
          expiresAt: req.expiresAt,
          uploadDeadline: now + ctx.config.uploadTtlMs,
          redundancy: ctx.config.redundancy,
          encryption: req.encryption,
        },
        {
          position: req.inline.position,
          createdAt: now,
          expiresAt: req.expiresAt,
          rootPieceId: new Uint8Array(0),
          encryptedKey: req.inline.encryptedKey,
          encryptedKeyNonce: req.inline.encryptedKeyNonce,
          encryptedSize: req.inline.inlineData.length,
          plainSize: req.inline.plainSize,
          pieces: [],
          inlineData: req.inline.inlineData,
        },
        req.metadata,
        now,
      );
      return { object: objectInfo(committed) };
    },

    async beginObject(req: Req<typeof M.BeginObject>) {
      const stream = await beginStream(ctx, req);
      return { streamUploadId: ctx.sealer.sealStream(stream), streamId: stream.streamId, redundancy: stream.redundancy };
    },

    async beginSegment(req: Req<typeof M.BeginSegment>) {
      const stream = await openStream(ctx, req.header, req.streamUploadId);
      return { segment: await beginSegment(ctx, stream, req.position, req.maxEncryptedSegmentSize) };
    },

    async commitSegment(req: Req<typeof M.CommitSegment>) {
      const stream = await openStream(ctx, req.header, req.streamUploadId);
      await commitRemoteSegment(ctx, stream, req.commit);
      return {};
    },

    async makeInlineSegment(req: Req<typeof M.MakeInlineSegment>) {
      const stream = await openStream(ctx, req.header, req.streamUploadId);
      await commitInlineSegment(ctx, stream, req.inline);
      return {};
    },

    async commitObject(req: Req<typeof M.CommitObject>) {
      const stream = await openStream(ctx, req.header, req.streamUploadId);
      return { object: await commitStream(ctx, stream, req.metadata) };
    },

    async abortObject(req: Req<typeof M.AbortObject>) {
      const grant = await ctx.grant(req.header);
      // An expired upload can still be aborted: only the MAC, the project and the key's reach matter here.
      const stream = ctx.sealer.openStream(req.streamUploadId, 0);
      ctx.check(grant, { op: 'write', bucket: stream.bucket, encryptedKey: stream.encryptedKey });
      const { projectId } = grant;
      if (!equalBytes(stream.projectId, projectId)) throw new InvalidArgumentError('"streamUploadId" belongs to another project');
      const segments = await ctx.deps.metabase.deletePendingObject(location(stream), stream.streamId);
      ctx.segmentsDeleted(segments);
      return {};
    },
  };
}

