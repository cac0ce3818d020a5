/** `handoff cat`: an object's bytes to standard output, streamed. */
import { ACCESS_OPTION } from '../access/open.js';
import { defineCommand } from '../command.js';
import { parseObjectUrl } from '../objects/url.js';
import { withAccess } from '../objects/session.js';

export const cat = defineCommand<{ access?: string }>({
  path: ['cat'],
  summary: "write an object's content to standard output",
  define: (cmd) => cmd.argument('<hf://bucket/key>', 'the object').option(...ACCESS_OPTION),
  async run({ args: [target], options }, context) {
    const { bucket, key } = parseObjectUrl(target!);
    return withAccess(options.access, context, async ({ uplink, allow }, signal) => {
      allow({ write: false, bucket, key });
      const download = await uplink.downloadStream(bucket, key, { signal });
      const out = context.io.stdout;
      for await (const chunk of download) {
        // Waits for a slow reader (a pager, a pipe) instead of buffering the object.
        if (out.write(chunk) === false && 'once' in out) await new Promise((resolve) => (out as NodeJS.WritableStream).once('drain', resolve));
      }
      return 0;
    });
  },
});
