import type * as M from '../methods.js';
import { projectSalt } from '../../uplink/encryption/root-key.js';
import { bucketVisible } from '../../projects/caveat.js';
import { requireFound, type MetainfoContext } from './context.js';
import type { Req } from './types.js';

export function bucketHandlers(ctx: MetainfoContext) {
  const { metabase } = ctx.deps;
  return {
    async getProjectInfo(req: Req<typeof M.GetProjectInfo>) {
      const projectId = await ctx.authorize(req.header);
      return { projectId, projectSalt: projectSalt(projectId), maxKeyLength: ctx.config.maxKeyLength };
    },

    async createBucket(req: Req<typeof M.CreateBucket>) {
      const projectId = await ctx.authorize(req.header, { op: 'write', bucket: req.name });
      const bucket = { projectId, name: req.name, createdAt: ctx.now() };
      await metabase.createBucket(bucket);
      return { name: bucket.name, createdAt: bucket.createdAt };
    },

    async getBucket(req: Req<typeof M.GetBucket>) {
      const projectId = await ctx.authorize(req.header, { op: 'read', bucket: req.name });
      const bucket = requireFound(await metabase.getBucket(projectId, req.name), `bucket ${JSON.stringify(req.name)}`);
      return { name: bucket.name, createdAt: bucket.createdAt };
    },

    async listBuckets(req: Req<typeof M.ListBuckets>) {
      const { projectId, caveats } = await ctx.grant(req.header);
      const buckets = await metabase.listBuckets(projectId, { cursor: req.cursor, limit: req.limit });
      // A key restricted to some buckets sees only those (a short page is still a valid page).
      return { buckets: buckets.filter((b) => bucketVisible(caveats, b.name)).map((b) => ({ name: b.name, createdAt: b.createdAt })) };
    },

    async deleteBucket(req: Req<typeof M.DeleteBucket>) {
      const projectId = await ctx.authorize(req.header, { op: 'write', bucket: req.name });
      ctx.segmentsDeleted(await metabase.deleteBucket(projectId, req.name, { force: req.force ?? false }));
      return {};
    },
  };
}
