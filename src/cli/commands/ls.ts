/** `handoff ls`: the buckets, or what is in one. */
import { ACCESS_OPTION } from '../access/open.js';
import { defineCommand } from '../command.js';
import { formatBytes, formatTime } from '../format.js';
import { asFolder, parseObjectUrl } from '../objects/url.js';
import { withAccess } from '../objects/session.js';
import { CommandError } from './reach.js';

export const ls = defineCommand<{ access?: string; recursive: boolean; json: boolean }>({
  path: ['ls'],
  summary: 'list the buckets, or the objects and folders in a bucket or under a prefix',
  define: (cmd) =>
    cmd
      .argument('[hf://bucket[/prefix]]', 'what to list (default: the buckets)')
      .option(...ACCESS_OPTION)
      .option('-r, --recursive', 'everything below the prefix, not folded into folders', false)
      .option('--json', 'one JSON object per line: { kind: "bucket"|"object"|"prefix", … }', false),
  details: `Exit status: 0; 1 when some names could not be decrypted with this access's key (they were
written under another passphrase): they are counted on stderr.`,
  async run({ args: [target], options }, context) {
    const { io } = context;
    return withAccess(options.access, context, async ({ uplink, allow, access }, signal) => {
      if (target === undefined) {
        allow({ write: false });
        for (const b of await uplink.listBuckets({ signal })) {
          if (access.restrictions.bucket !== undefined && b.name !== access.restrictions.bucket) continue;
          io.out(options.json ? JSON.stringify({ kind: 'bucket', bucket: b.name, createdAt: b.createdAt.toISOString() }) : `${formatTime(b.createdAt.getTime())}  ${b.name}`);
        }
        return 0;
      }
      const url = parseObjectUrl(target, { bare: true });
      const prefix = asFolder(url.key);
      allow({ write: false, bucket: url.bucket, key: prefix });
      const listing = uplink.listObjects(url.bucket, { prefix, recursive: options.recursive, signal });
      const narrow = access.restrictions.prefix;
      for await (const item of listing) {
        const name = item.kind === 'object' ? item.key : item.prefix;
        if (narrow !== undefined && !name.startsWith(narrow) && !narrow.startsWith(name)) continue;
        if (options.json) {
          io.out(JSON.stringify(item.kind === 'object' ? { kind: 'object', key: item.key, size: item.size, version: item.version, createdAt: item.createdAt.toISOString(), contentType: item.contentType ?? null } : { kind: 'prefix', prefix: item.prefix }));
        } else {
          io.out(item.kind === 'object' ? `${formatTime(item.createdAt.getTime())}  ${formatBytes(item.size).padStart(10)}  ${item.key}` : `${'PRE'.padStart(32)}  ${item.prefix}`);
        }
      }
      if (listing.undecryptable > 0) {
        throw new CommandError(`${listing.undecryptable} name(s) here cannot be decrypted with this access's key: they were written under another passphrase (make an access with that one)`);
      }
      return 0;
    });
  },
});
