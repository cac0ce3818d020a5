/** `handoff rm`: delete an object, or every object under a prefix. */
import { ACCESS_OPTION } from '../access/open.js';
import { defineCommand } from '../command.js';
import { asFolder, formatObjectUrl, parseObjectUrl } from '../objects/url.js';
import { INTERRUPTED, withAccess } from '../objects/session.js';
import { CommandError } from './reach.js';

export const rm = defineCommand<{ access?: string; recursive: boolean; json: boolean }>({
  path: ['rm'],
  summary: 'delete an object (--recursive: every object under a prefix)',
  define: (cmd) =>
    cmd
      .argument('<hf://bucket/key>', 'the object, or the prefix with --recursive')
      .option(...ACCESS_OPTION)
      .option('-r, --recursive', 'delete every object under the prefix', false)
      .option('--json', 'print { deleted: [keys] } at the end', false),
  details: 'Exit status: 0; 1 when there was nothing to delete; 130 when cancelled.',
  async run({ args: [target], options }, context) {
    const { io } = context;
    const { bucket, key } = parseObjectUrl(target!);
    return withAccess(options.access, context, async ({ uplink, allow }, signal) => {
      const deleted: string[] = [];
      if (!options.recursive) {
        if (key === '' || key.endsWith('/')) throw new CommandError(`${target} is a prefix: add --recursive to delete everything under it`);
        allow({ write: true, bucket, key });
        const gone = await uplink.deleteObject(bucket, key, { signal });
        if (gone === undefined) throw new CommandError(`${formatObjectUrl(bucket, key)}: no such object`);
        deleted.push(key);
      } else {
        const prefix = asFolder(key);
        allow({ write: true, bucket, key: prefix });
        const keys: string[] = [];
        for await (const item of uplink.listObjects(bucket, { prefix, recursive: true, signal })) if (item.kind === 'object') keys.push(item.key);
        for (const k of keys) {
          if (signal.aborted) break;
          await uplink.deleteObject(bucket, k, { signal });
          deleted.push(k);
          if (!options.json) io.out(`deleted ${formatObjectUrl(bucket, k)}`);
        }
        if (signal.aborted) {
          io.err(`handoff: cancelled after deleting ${deleted.length} of ${keys.length} object(s)`);
          return INTERRUPTED;
        }
        if (keys.length === 0) throw new CommandError(`nothing under ${formatObjectUrl(bucket, prefix)} to delete`);
      }
      if (options.json) io.out(JSON.stringify({ deleted }));
      else if (!options.recursive) io.out(`deleted ${formatObjectUrl(bucket, key)}`);
      return 0;
    });
  },
});
