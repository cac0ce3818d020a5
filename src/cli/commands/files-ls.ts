/**
 * `handoff files ls [path]`: what the transfer dialog browses, from the command line — without a
 * path the drives the user may read or edit, with one (`/<drive>/…`) that folder as its provider
 * lists it through the core, every page followed up to a limit.
 */
import type { FolderEntry } from '../../transfer/core/ports.js';
import { defineCommand } from '../command.js';
import { formatBytes, formatTime, table } from '../format.js';
import { clientOptions, openTransferClient, type ClientOptions } from './transfer.js';

/** Most names listed (the core's pages are followed up to this). */
const MAX_LISTED = 10_000;

function kindText(entry: FolderEntry): string {
  return entry.kind === 'folder' ? 'folder' : formatBytes(entry.size);
}

export const filesLs = defineCommand<ClientOptions & { json: boolean }>({
  path: ['files', 'ls'],
  summary: 'list your drives, or a folder on one of them, as the transfer dialog browses them',
  define: (cmd) =>
    clientOptions(cmd.argument('[path]', 'a folder: /<drive>/… (default: your drives)'))
      .option('--json', 'one JSON object per drive or entry', false),
  async run({ args, options }, { io, env }) {
    const path = args[0] as string | undefined;
    const client = await openTransferClient(options, env);
    try {
      if (path === undefined) {
        const drives = await client.listDrives();
        if (options.json) for (const d of drives) io.out(JSON.stringify(d));
        else if (drives.length === 0) io.out('no drives');
        else for (const line of table([['DRIVE', 'PROVIDER', 'RIGHTS'], ...drives.map((d) => [`/${d.drive}`, d.provider, [d.canRead && 'read', d.canEdit && 'edit'].filter(Boolean).join('+')])])) io.out(line);
        return 0;
      }
      const entries: FolderEntry[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listFolder(path, cursor === undefined ? {} : { cursor });
        entries.push(...page.entries);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined && entries.length < MAX_LISTED);
      if (options.json) for (const e of entries) io.out(JSON.stringify(e));
      else if (entries.length === 0) io.out('empty folder');
      else for (const line of table([['NAME', 'SIZE', 'MODIFIED'], ...entries.map((e) => [e.kind === 'folder' ? `${e.name}/` : e.name, kindText(e), formatTime(e.modifiedAt)])])) io.out(line);
      if (cursor !== undefined) io.err(`only the first ${entries.length} names are shown`);
      return 0;
    } finally {
      await client.close();
    }
  },
});
