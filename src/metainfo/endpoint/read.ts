/** Reads and deletes: get, download (segment list + limits), list, delete — each with an optional version. */
import { InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import type * as M from '../methods.js';
import type { ObjectInfo, SegmentDownloadInfo } from '../schemas.js';
import { notExpired, objectInfo, requireFound, type MetainfoContext } from './context.js';
import { segmentDownloadInfo } from './limits.js';
import type { Req } from './types.js';

export function readHandlers(ctx: MetainfoContext) {
  async function findObject(req: { header: { apiKey: string }; bucket: string; encryptedKey: Uint8Array; version?: number }) {
    const projectId = await ctx.authorize(req.header, { op: 'read', bucket: req.bucket, encryptedKey: req.encryptedKey });
    ctx.checkKey(req.encryptedKey);
    const location = { projectId, bucket: req.bucket, objectKey: req.encryptedKey };
    const object = notExpired(await ctx.deps.metabase.getObject(location, req.version), ctx.now());
    // Only a miss pays for the bucket lookup that tells "no such bucket" from "no such object".
    if (object === undefined) await ctx.requireBucket(projectId, req.bucket);
    return { location, object: requireFound(object, req.version === undefined ? 'object' : `version ${req.version} of the object`) };
  }

  return {
    async getObject(req: Req<typeof M.GetObject>): Promise<{ object: ObjectInfo }> {
      return { object: objectInfo((await findObject(req)).object) };
    },

    async downloadObject(req: Req<typeof M.DownloadObject>) {
      const { object } = await findObject(req);
      const limit = req.segmentLimit ?? 100;
      const records = await ctx.deps.metabase.listSegments(object.streamId, { limit });
      // Limits for the first segment ride along, so a one-segment download costs one trip here.
      const segments: SegmentDownloadInfo[] = [];
      for (const [i, record] of records.entries()) segments.push(await segmentDownloadInfo(ctx, record, i === 0));
      return { object: objectInfo(object), segments, moreSegments: records.length < object.segmentCount };
    },

    async downloadSegments(req: Req<typeof M.DownloadSegments>) {
      const projectId = await ctx.authorize(req.header, { op: 'read', bucket: req.bucket, encryptedKey: req.encryptedKey });
      const location = { projectId, bucket: req.bucket, objectKey: req.encryptedKey };
      const stream = await ctx.deps.metabase.getStream(location, req.streamId);
      if (!stream || stream.status !== 'committed' || !notExpired(stream, ctx.now())) throw new NotFoundError('object not found');
      const records = await ctx.deps.metabase.listSegments(req.streamId, { cursor: req.after, limit: req.limit + 1 });
      const page = records.slice(0, req.limit);
      const segments: SegmentDownloadInfo[] = [];
      for (const record of page) segments.push(await segmentDownloadInfo(ctx, record, req.withLimits));
      return { segments, moreSegments: records.length > req.limit };
    },

    async listObjects(req: Req<typeof M.ListObjects>) {
      // Only inside the key's prefixes: listing a parent of one would name what lies beside it.
      const projectId = await ctx.authorize(req.header, { op: 'list', bucket: req.bucket, encryptedKey: req.prefix ?? new Uint8Array(0) });
      await ctx.requireBucket(projectId, req.bucket);
      const page = await ctx.deps.metabase.listObjects({
        projectId,
        bucket: req.bucket,
        prefix: req.prefix,
        cursor: req.cursor,
        cursorVersion: req.cursorVersion,
        recursive: req.recursive,
        limit: req.limit,
        includePending: req.includePending ?? false,
        allVersions: req.allVersions ?? false,
      });
      const items = page.entries.map((entry) =>
        entry.kind === 'object' ? { kind: 'object' as const, object: objectInfo(entry.object) } : { kind: 'prefix' as const, key: entry.key },
      );
      return {
        items,
        ...(page.more === undefined ? {} : { more: page.more }),
        ...(page.moreVersion === undefined ? {} : { moreVersion: page.moreVersion }),
      };
    },

    async deleteObject(req: Req<typeof M.DeleteObject>) {
      const projectId = await ctx.authorize(req.header, { op: 'write', bucket: req.bucket, encryptedKey: req.encryptedKey });
      ctx.checkKey(req.encryptedKey);
      if (req.version !== undefined && req.version < 1) throw new InvalidArgumentError('"version" must be at least 1');
      const deleted = await ctx.deps.metabase.deleteObject({ projectId, bucket: req.bucket, objectKey: req.encryptedKey }, req.version);
      if (!deleted) {
        // Nothing to delete is fine; a bucket that does not exist is a mistake worth saying.
        await ctx.requireBucket(projectId, req.bucket);
        return {};
      }
      ctx.segmentsDeleted(deleted.segments);
      return { object: objectInfo(deleted.object) };
    },
  };
}
