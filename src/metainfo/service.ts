import type { RpcServer } from '../rpc/server.js';
import { bucketHandlers } from './endpoint/buckets.js';
import { MetainfoContext, type MetainfoDeps } from './endpoint/context.js';
import { readHandlers } from './endpoint/read.js';
import { uploadHandlers } from './endpoint/upload.js';
import * as M from './methods.js';

/**
 * Registers the metainfo service (seed 003) on `server`.
 *
 * @example
 * ```ts
 * registerMetainfo(server, { identity, metabase, overlay, projects, config: metainfoConfig(), clock: systemClock });
 * ```
 */
export function registerMetainfo(server: RpcServer, deps: MetainfoDeps): MetainfoContext {
  const ctx = new MetainfoContext(deps);
  const buckets = bucketHandlers(ctx);
  const upload = uploadHandlers(ctx);
  const read = readHandlers(ctx);
  server
    .unary(M.GetProjectInfo, buckets.getProjectInfo)
    .unary(M.CreateBucket, buckets.createBucket)
    .unary(M.GetBucket, buckets.getBucket)
    .unary(M.ListBuckets, buckets.listBuckets)
    .unary(M.DeleteBucket, buckets.deleteBucket)
    .unary(M.StartStreamAndStartSegment, upload.startStreamAndStartSegment)
    .unary(M.CommitSegmentAndStartSegment, upload.commitSegmentAndStartSegment)
    .unary(M.CommitSegmentAndCommitStream, upload.commitSegmentAndCommitStream)
    .unary(M.CommitInlineObject, upload.commitInlineObject)
    .unary(M.BeginObject, upload.beginObject)
    .unary(M.BeginSegment, upload.beginSegment)
    .unary(M.CommitSegment, upload.commitSegment)
    .unary(M.MakeInlineSegment, upload.makeInlineSegment)
    .unary(M.CommitObject, upload.commitObject)
    .unary(M.AbortObject, upload.abortObject)
    .unary(M.GetObject, read.getObject)
    .unary(M.DownloadObject, read.downloadObject)
    .unary(M.DownloadSegments, read.downloadSegments)
    .unary(M.ListObjects, read.listObjects)
    .unary(M.DeleteObject, read.deleteObject);
  return ctx;
}
