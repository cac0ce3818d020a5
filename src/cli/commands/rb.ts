/** `handoff rb`: remove a bucket (with --force, and everything in it). */
import { ACCESS_OPTION } from '../access/open.js';
import { defineCommand } from '../command.js';
import { parseObjectUrl } from '../objects/url.js';
import { withAccess } from '../objects/session.js';

export const rb = defineCommand<{ access?: string; force: boolean }>({
  path: ['rb'],
  summary: 'remove a bucket (--force: and every object in it)',
  define: (cmd) => cmd.argument('<hf://bucket>', 'the bucket to remove').option(...ACCESS_OPTION).option('--force', 'remove the objects in it too (otherwise only an empty bucket is removed)', false),
  async run({ args: [target], options }, context) {
    const { bucket } = parseObjectUrl(target!, { bare: true });
    return withAccess(options.access, context, async ({ uplink, allow }, signal) => {
      allow({ write: true, bucket, key: '' });
      await uplink.deleteBucket(bucket, { force: options.force, signal });
      context.io.out(`bucket ${bucket} removed`);
      return 0;
    });
  },
});
