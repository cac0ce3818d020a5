import type * as M from '../methods.js';
import { projectSalt } from '../../uplink/encryption/root-key.js';
import { bucketVisible, type Caveat } from '../../projects/caveat.js';

/** The buckets a key's caveats name (those every path caveat allows), or `undefined` when none restricts buckets. */
function namedBuckets(caveats: readonly Caveat[]): Set<string> | undefined {
  const first = caveats.find((c) => c.paths !== undefined);
  if (first === undefined) return undefined;
  return new Set(first.paths!.map((p) => p.bucket).filter((name) => bucketVisible(caveats, name)));
}
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
      const named = namedBuckets(caveats);
      if (named === undefined) {
        const buckets = await metabase.listBuckets(projectId, { cursor: req.cursor, limit: req.limit });
        return { buckets: buckets.map((b) => ({ name: b.name, createdAt: b.createdAt })) };
      }
      // A key restricted to a few buckets sees only those: looked up by name, so a page is never
      // short for a bucket it cannot see (a short page tells the client the list has ended).
      // At most 16 names per caveat, so looking each one up is cheap.
      const after = [...named].filter((name) => req.cursor === undefined || name > req.cursor).sort();
      const found = (await Promise.all(after.map((name) => metabase.getBucket(projectId, name)))).filter((b) => b !== undefined);
      return { buckets: found.slice(0, req.limit).map((b) => ({ name: b.name, createdAt: b.createdAt })) };
    },

    async deleteBucket(req: Req<typeof M.DeleteBucket>) {
      const projectId = await ctx.authorize(req.header, { op: 'write', bucket: req.name });
      ctx.segmentsDeleted(await metabase.deleteBucket(projectId, req.name, { force: req.force ?? false }));
      return {};
    },
  };
}
