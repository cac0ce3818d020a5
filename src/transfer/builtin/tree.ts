/**
 * What the source sends: the folders and regular files under the source path, folders before what
 * they hold, as paths relative to the transferred entry. Symbolic links and special files are not
 * sent (a link could point anywhere on the destination); their count is reported.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../../core/errors.js';

/** One entry to send. */
export type TreeEntry =
  | { readonly type: 'dir'; readonly path: string; readonly mode: number }
  | { readonly type: 'file'; readonly path: string; readonly local: string; readonly size: number; readonly mode: number; readonly mtimeMs: number };

/** The source tree. */
export interface SourceTree {
  readonly entries: readonly TreeEntry[];
  /** The sum of the files' sizes. */
  readonly bytes: number;
  /** Links and special files left out. */
  readonly skipped: number;
}

/**
 * Lists `sourcePath` (a folder or a single file). Throws `NotFoundError` when it does not exist.
 * Entries that vanish while listing are left out (the next run sees the tree as it is then).
 *
 * @example
 * ```ts
 * const { entries, bytes } = await listTree('/data/projects/run-17');
 * ```
 */
export async function listTree(sourcePath: string): Promise<SourceTree> {
  let root;
  try {
    root = await lstat(sourcePath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`the source ${sourcePath} does not exist`, { cause: err });
    throw err;
  }
  if (root.isFile()) {
    return { entries: [{ type: 'file', path: '', local: sourcePath, size: root.size, mode: root.mode & 0o777, mtimeMs: root.mtimeMs }], bytes: root.size, skipped: 0 };
  }
  if (!root.isDirectory()) return { entries: [], bytes: 0, skipped: 1 };
  const entries: TreeEntry[] = [{ type: 'dir', path: '', mode: root.mode & 0o777 }];
  let bytes = 0;
  let skipped = 0;
  const walk = async (local: string, relative: string): Promise<void> => {
    let names;
    try {
      names = (await readdir(local, { withFileTypes: true })).map((d) => d.name).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const full = join(local, name);
      const path = relative === '' ? name : `${relative}/${name}`;
      let st;
      try {
        st = await lstat(full);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        entries.push({ type: 'dir', path, mode: st.mode & 0o777 });
        await walk(full, path);
      } else if (st.isFile()) {
        entries.push({ type: 'file', path, local: full, size: st.size, mode: st.mode & 0o777, mtimeMs: st.mtimeMs });
        bytes += st.size;
      } else {
        skipped += 1;
      }
    }
  };
  await walk(sourcePath, '');
  return { entries, bytes, skipped };
}
