/** `handoff stat`: one object's size, version, dates and metadata. */
import { toHex } from '../../core/bytes.js';
import { ACCESS_OPTION } from '../access/open.js';
import { defineCommand } from '../command.js';
import { formatBytes } from '../format.js';
import { parseObjectUrl } from '../objects/url.js';
import { withAccess } from '../objects/session.js';

export const stat = defineCommand<{ access?: string; json: boolean }>({
  path: ['stat'],
  summary: "an object's size, version, dates, content type and metadata",
  define: (cmd) => cmd.argument('<hf://bucket/key>', 'the object').option(...ACCESS_OPTION).option('--json', 'print it as one JSON object', false),
  async run({ args: [target], options }, context) {
    const { bucket, key } = parseObjectUrl(target!);
    return withAccess(options.access, context, async ({ uplink, allow }, signal) => {
      allow({ write: false, bucket, key });
      const info = await uplink.stat(bucket, key, { signal });
      const view = {
        bucket,
        key: info.key,
        size: info.size,
        version: info.version,
        createdAt: info.createdAt.toISOString(),
        expires: info.expires?.toISOString() ?? null,
        contentType: info.contentType ?? null,
        metadata: info.metadata,
        segments: info.segmentCount,
        streamId: toHex(info.streamId),
      };
      if (options.json) context.io.out(JSON.stringify(view));
      else for (const [name, value] of Object.entries({ ...view, size: `${formatBytes(info.size)} (${info.size} bytes)`, metadata: JSON.stringify(info.metadata) })) context.io.out(`${name.padEnd(12)}${String(value)}`);
      return 0;
    });
  },
});
