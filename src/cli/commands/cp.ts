/** `handoff cp`: files up to the network and objects down to files, one or whole folders. */
import { ACCESS_OPTION, explain } from '../access/open.js';
import { UsageError } from '../args.js';
import { defineCommand } from '../command.js';
import { formatBytes } from '../format.js';
import { describe, planCopy, runCopy } from '../objects/copy.js';
import { INTERRUPTED, withAccess } from '../objects/session.js';
import { transferProgress } from '../progress.js';

interface Options {
  access?: string;
  recursive: boolean;
  parallel: string;
  json: boolean;
  quiet: boolean;
}

export const cp = defineCommand<Options>({
  path: ['cp'],
  summary: 'copy files to hf://bucket/key and objects back to files (whole folders with --recursive)',
  define: (cmd) =>
    cmd
      .argument('<src>', 'a local file or folder, or hf://bucket/key (hf://bucket/prefix with --recursive)')
      .argument('<dst>', 'hf://bucket/key (or a prefix ending in /), or a local path')
      .option(...ACCESS_OPTION)
      .option('-r, --recursive', 'copy what is in a folder, or every object under a prefix', false)
      .option('-p, --parallel <n>', 'files in flight at once', '4')
      .option('--json', 'no progress; print { copied: [...], failed: [...] } at the end', false)
      .option('-q, --quiet', 'no progress and no per-file lines', false),
  details: `A folder's content goes under the prefix: cp -r ./photos hf://b/2024/ makes hf://b/2024/<file>.
Files stream (any size). In a terminal a live bar shows bytes, rate, ETA and files; otherwise one
line per file. Ctrl-C cancels: uploads in flight are dropped uncommitted, downloads in flight leave
no file; what finished stays.

Exit status: 0; 1 when a file failed (each on stderr); 130 when cancelled.`,
  async run({ args: [src, dst], options }, context) {
    const { io } = context;
    const parallel = Number(options.parallel);
    if (!Number.isSafeInteger(parallel) || parallel < 1 || parallel > 64) throw new UsageError(`--parallel is a number from 1 to 64, got ${JSON.stringify(options.parallel)}`);
    return withAccess(options.access, context, async ({ uplink, allow, access }, signal) => {
      const items = await planCopy(uplink, src!, dst!, options.recursive, signal);
      for (const item of items) {
        if (item.kind === 'upload') allow({ write: true, bucket: item.bucket, key: item.key });
        else if (item.kind === 'download') allow({ write: false, bucket: item.bucket, key: item.key });
        else {
          allow({ write: false, bucket: item.bucket, key: item.key });
          allow({ write: true, bucket: item.toBucket, key: item.toKey });
        }
      }
      if (items.length === 0) {
        io.err(`handoff: nothing to copy: ${src} is empty`);
        if (options.json) io.out(JSON.stringify({ copied: [], failed: [] }));
        return 0;
      }
      const progress = transferProgress(io.stderr ?? io.stdout, io.out, options.json || options.quiet);
      progress.addTotal(items.reduce((sum, item) => sum + item.size, 0), items.length);
      const copied: Array<{ source: string; destination: string; bytes: number }> = [];
      let failed: Awaited<ReturnType<typeof runCopy>>;
      try {
        failed = await runCopy(uplink, items, {
          parallel,
          signal,
          onBytes: (bytes) => progress.advance(bytes),
          onItem: (item, error) => {
            if (error !== undefined) context.log.debug(`${describe(item).source}: ${error.stack ?? error.message}`);
            const { source, destination } = describe(item);
            if (error === undefined) {
              copied.push({ source, destination, bytes: item.size });
              progress.fileDone(`${source} -> ${destination} (${formatBytes(item.size)})`);
            }
          },
        });
      } finally {
        progress.stop();
      }
      if (signal.aborted) {
        // An upload whose commit was on its way when stopped may still have landed, whole: "at least".
        io.err(`handoff: cancelled after copying at least ${copied.length} of ${items.length} file(s); nothing half-written is left`);
        return INTERRUPTED;
      }
      for (const { item, error } of failed) {
        const { source, destination } = describe(item);
        io.err(`handoff: ${source} -> ${destination}: ${explain(error, { satellite: access.satellite }).message}`);
      }
      if (options.json) {
        io.out(JSON.stringify({ copied, failed: failed.map(({ item, error }) => ({ ...describe(item), error: error.message })) }));
      } else if (!options.quiet && items.length > 1) {
        io.out(`${copied.length} of ${items.length} file(s) copied, ${formatBytes(copied.reduce((s, c) => s + c.bytes, 0))}`);
      }
      return failed.length > 0 ? 1 : 0;
    });
  },
});
