/** `handoff mb`: make a bucket. */
import { ACCESS_OPTION } from '../access/open.js';
import { UsageError } from '../args.js';
import { defineCommand } from '../command.js';
import { parseObjectUrl } from '../objects/url.js';
import { withAccess } from '../objects/session.js';

export const mb = defineCommand<{ access?: string; json: boolean }>({
  path: ['mb'],
  summary: 'make a bucket',
  define: (cmd) => cmd.argument('<hf://bucket>', 'the bucket to make (3–63 of a-z 0-9 . -)').option(...ACCESS_OPTION).option('--json', 'print { bucket, createdAt }', false),
  async run({ args: [target], options }, context) {
    const { bucket, key } = parseObjectUrl(target!, { bare: true });
    if (key !== '') throw new UsageError(`a bucket has no key: write hf://${bucket}`);
    return withAccess(options.access, context, async ({ uplink, allow }, signal) => {
      allow({ write: true });
      const made = await uplink.createBucket(bucket, { signal });
      context.io.out(options.json ? JSON.stringify({ bucket: made.name, createdAt: made.createdAt.toISOString() }) : `bucket ${made.name} made`);
      return 0;
    });
  },
});
