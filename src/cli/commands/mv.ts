/** `handoff mv`: rename objects on the satellite — one, or every object under a prefix — without moving data. */
import { ACCESS_OPTION } from '../access/open.js';
import { UsageError } from '../args.js';
import { defineCommand } from '../command.js';
import { asFolder, formatObjectUrl, parseObjectUrl } from '../objects/url.js';
import { INTERRUPTED, withAccess } from '../objects/session.js';

interface Options {
  access?: string;
  recursive: boolean;
  parallel: string;
  json: boolean;
}

export const mv = defineCommand<Options>({
  path: ['mv'],
  summary: 'move an object, or every object under a prefix, on the satellite (no data is copied)',
  define: (cmd) =>
    cmd
      .argument('<src>', 'hf://bucket/key, or hf://bucket/prefix/ (a prefix: ends with / or --recursive)')
      .argument('<dst>', 'hf://bucket/key, or hf://bucket/newprefix/')
      .option(...ACCESS_OPTION)
      .option('-r, --recursive', 'move every object under the prefix SRC', false)
      .option('-p, --parallel <n>', 'objects moved at once (prefixes)', '4')
      .option('--json', 'print { moved, skipped, failed, failures: [...] } at the end', false),
  details: `A move renames: only the encrypted name and the wrapped keys change; no piece moves. A prefix
move is resumable: run the same command again after an interruption and it moves the rest (objects
already moved are counted as skipped).

Exit status: 0; 1 when an object could not be moved; 130 when cancelled.`,
  async run({ args: [src, dst], options }, context) {
    const { io } = context;
    const from = parseObjectUrl(src!);
    const to = parseObjectUrl(dst!);
    const prefixMove = options.recursive || from.key === '' || from.key.endsWith('/');
    const concurrency = Number(options.parallel);
    if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError(`--parallel is a number from 1 to 64, got ${JSON.stringify(options.parallel)}`);
    return withAccess(options.access, context, async ({ uplink, allow }, signal) => {
      if (!prefixMove) {
        allow({ write: true, bucket: from.bucket, key: from.key });
        const toKey = to.key === '' || to.key.endsWith('/') ? `${to.key}${from.key.slice(from.key.lastIndexOf('/') + 1)}` : to.key;
        allow({ write: true, bucket: to.bucket, key: toKey });
        await uplink.moveObject(from.bucket, from.key, toKey, { ...(to.bucket === from.bucket ? {} : { newBucket: to.bucket }), signal });
        if (options.json) io.out(JSON.stringify({ moved: 1, skipped: 0, failed: 0, failures: [] }));
        else io.out(`${formatObjectUrl(from.bucket, from.key)} -> ${formatObjectUrl(to.bucket, toKey)}`);
        return 0;
      }
      const oldPrefix = asFolder(from.key);
      const newPrefix = asFolder(to.key);
      allow({ write: true, bucket: from.bucket, key: oldPrefix });
      allow({ write: true, bucket: to.bucket, key: newPrefix });
      let movedSoFar = 0;
      const cancelled = (): number => {
        // A move in flight when stopped may still have finished on the satellite: hence "at least".
        io.err(`handoff: cancelled after moving at least ${movedSoFar} object(s); run the same command again to move the rest`);
        return INTERRUPTED;
      };
      let report: Awaited<ReturnType<typeof uplink.moveObjects>>;
      try {
        report = await uplink.moveObjects(from.bucket, oldPrefix, newPrefix, {
          ...(to.bucket === from.bucket ? {} : { newBucket: to.bucket }),
          concurrency,
          signal,
          onObject: (entry) => {
            if (entry.status !== 'moved') return;
            movedSoFar++;
            if (!options.json) io.out(`${formatObjectUrl(from.bucket, entry.key)} -> ${formatObjectUrl(to.bucket, entry.newKey)}`);
          },
        });
      } catch (err) {
        // Each object moves whole or not at all: what is left is moved by running it again.
        if (signal.aborted) return cancelled();
        throw err;
      }
      if (signal.aborted) return cancelled();
      for (const failure of report.failures) io.err(`handoff: ${formatObjectUrl(from.bucket, failure.key)}: ${failure.error?.message ?? 'not moved'}`);
      if (options.json) {
        io.out(JSON.stringify({ moved: report.moved, skipped: report.skipped, failed: report.failed, failures: report.failures.map((f) => ({ key: f.key, newKey: f.newKey, error: f.error?.message ?? null })) }));
      } else {
        io.out(`${report.moved} moved, ${report.skipped} already there, ${report.failed} failed`);
      }
      return report.failed > 0 ? 1 : 0;
    });
  },
});
